"""The upload form: several files at once for one entity (Django's "Uploading multiple files" recipe)."""
from __future__ import annotations

from django import forms
from django.conf import settings

from dealiq.documents import SUPPORTED_EXTENSIONS

from .models import Deal, Entity


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A list of UploadedFiles. Empty files pass here: store_document refuses them with its own reason."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ",".join((*SUPPORTED_EXTENSIONS, ".zip"))}))
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)]

    def to_python(self, data):
        # FileField.to_python refuses names longer than max_length and, here, empty files; the service
        # judges names and content itself, so only "is it a file at all" is checked.
        if data in self.empty_values:
            return None
        if not hasattr(data, "name") or not hasattr(data, "size"):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return data


class UploadForm(forms.Form):
    entity = forms.ChoiceField(choices=Entity.choices, initial=Entity.TARGET, help_text="Whose documents these are.")
    files = MultipleFileField(
        help_text="Several files at once: " + ", ".join(SUPPORTED_EXTENSIONS) + ", or a .zip of them (a data-room "
        "export with target/ and buyer/ folders goes where its folders say)"
    )

    def clean_files(self):
        files = [f for f in self.cleaned_data["files"] if f is not None]
        if not files:
            raise forms.ValidationError("Choose at least one file.")
        limit = settings.DEALIQ_DOCUMENT_MAX_FILES_PER_UPLOAD
        if len(files) > limit:
            raise forms.ValidationError(f"At most {limit} files per upload; you chose {len(files)}.")
        return files


class DealForm(forms.ModelForm):
    class Meta:
        model = Deal
        fields = ["name", "target_name", "buyer_name", "deal_type", "industry", "reference_date"]
        widgets = {"reference_date": forms.DateInput(attrs={"type": "date"})}
        help_texts = {"name": "The project name, e.g. “Project Heron”."}
