"""Deal list and the deal's documents: list + upload (analysts and managers), detail with page text."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST
from django.views.generic import FormView, ListView, TemplateView

from workers.document_tasks import finish_upload

from .access import get_deal_for
from .curation import CurationError, move_to_entity, restore_document, withdraw_document
from .dataroom_import import import_uploaded_archive
from .forms import DealForm, UploadForm
from .highlight import highlight
from .ingestion import document_limits, store_uploaded_file
from .membership import MembershipError, create_deal, remove_member, set_member_role
from .models import Deal, Document, DocumentStatus, Entity, Role
from .uploads import install_original_name_handler, original_name

PAGES_PER_SCREEN = 50  # a 2,000-page PDF is shown 50 pages at a time; ?page=N picks the screen with N


class DealCreateView(LoginRequiredMixin, FormView):
    """Any signed-in user may open a deal; they manage it and add its members on its Members page."""

    template_name = "deals/deal_form.html"
    form_class = DealForm

    def form_valid(self, form):
        deal = create_deal(owner=self.request.user, **form.cleaned_data)
        messages.success(self.request, f"Deal “{deal.name}” created: you manage it. Upload its data room here.")
        return redirect(reverse("deals:documents", args=[deal.pk]))

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class MembersView(LoginRequiredMixin, TemplateView):
    """Who is on the deal (every member sees it); managers add people, change roles and remove them."""

    template_name = "deals/members.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        deal = get_deal_for(self.request.user, self.kwargs["deal_id"])
        context.update(
            deal=deal,
            members=deal.memberships.select_related("user").order_by("user__username"),
            roles=Role.choices,
            can_manage=deal.user_has_role(self.request.user, Role.MANAGER),
        )
        return context

    def post(self, request, deal_id: int):
        deal = get_deal_for(request.user, deal_id, role=Role.MANAGER)
        try:
            if request.POST.get("action") == "remove":
                gone = remove_member(deal, int(request.POST.get("membership") or 0), actor=request.user)
                messages.success(request, f"{gone.user.get_username()} is no longer on this deal.")
            else:
                member = set_member_role(deal, request.POST.get("username", ""), request.POST.get("role", ""),
                                         actor=request.user)
                messages.success(request, f"{member.user.get_username()} is {member.get_role_display().lower()} of this deal.")
        except (MembershipError, ValueError) as exc:
            messages.error(request, str(exc))
        return redirect(reverse("deals:members", args=[deal.pk]))


class DealListView(LoginRequiredMixin, ListView):
    template_name = "deals/deal_list.html"
    context_object_name = "deals"
    paginate_by = 50

    def get_queryset(self):
        return (
            Deal.objects.visible_to(self.request.user)
            .matching(self.request.GET.get("q", ""))
            .annotate(
                document_count=Count("documents", distinct=True),
                last_run=Max("runs__number"),
                completed_runs=Count("runs", filter=Q(runs__status="completed"), distinct=True),
            )
            .order_by("name", "pk")
        )


DOCUMENTS_PER_PAGE = 100


DOCUMENT_STATUS_FILTERS = (
    ("extracted", "Extracted"), ("pending", "Pending"), ("failed", "Failed"), ("withdrawn", "Withdrawn"),
    ("read", "Read by new runs"),
)


def filtered_documents(deal: Deal, params):
    """The deal's documents narrowed by the list's search (`q`: name), `entity` and `status` filters."""
    docs = Document.objects.for_deal(deal).for_listing()
    text = (params.get("q") or "").strip()
    if text:
        docs = docs.filter(Q(filename__icontains=text) | Q(original_name__icontains=text))
    if params.get("entity") in Entity.values:
        docs = docs.filter(entity=params["entity"])
    status = params.get("status")
    if status == "withdrawn":
        docs = docs.withdrawn()
    elif status == "read":
        docs = docs.newest_readable()
    elif status in DocumentStatus.values:
        docs = docs.filter(status=status).not_withdrawn()
    return docs


def _documents_context(request, deal: Deal, **extra) -> dict:
    page = Paginator(filtered_documents(deal, request.GET), DOCUMENTS_PER_PAGE).get_page(request.GET.get("page"))
    shown = [d.pk for d in page.object_list]
    return {
        "deal": deal,
        "documents": page.object_list,
        "page_obj": page,
        # Which of the shown versions a run started now would read (Document.objects.newest_readable).
        "read_by_new_runs": set(Document.objects.filter(pk__in=shown).newest_readable().values_list("pk", flat=True)),
        "can_upload": deal.user_has_role(request.user, Role.ANALYST),
        "limits": document_limits(),
        "entities": Entity.choices,
        "status_filters": DOCUMENT_STATUS_FILTERS,
        **extra,
    }


class DocumentListView(LoginRequiredMixin, TemplateView):
    """Every document of the deal, every version, with its status; the upload form for analysts."""

    template_name = "deals/documents.html"

    def get(self, request, deal_id: int):
        deal = get_deal_for(request.user, deal_id)
        return render(request, self.template_name, _documents_context(request, deal, form=UploadForm()))


@csrf_exempt  # only so the name-keeping upload handler is installed before the body is parsed…
@login_required
@require_POST
def upload_documents(request, deal_id: int):
    # …roles are checked before a byte of the body is read: a viewer gets 403, a non-member 404.
    deal = get_deal_for(request.user, deal_id, role=Role.ANALYST)
    install_original_name_handler(request)
    return _upload(request, deal)


@csrf_protect  # …and CSRF is then checked exactly as for any other form.
def _upload(request, deal: Deal):
    form = UploadForm(request.POST, request.FILES)
    refused = getattr(request, "upload_refused", "")
    if refused:  # the body was cut off at the limit: nothing of it is kept
        form.is_valid()
        form.errors.clear()
        form.add_error(None, f"Upload refused: {refused}.")
        return render(request, "deals/documents.html", _documents_context(request, deal, form=form), status=413)
    if not form.is_valid():
        return render(request, "deals/documents.html", _documents_context(request, deal, form=form), status=400)
    entity = form.cleaned_data["entity"]
    limits = document_limits()
    results = []
    for f in form.cleaned_data["files"]:
        name = original_name(f)
        if name.lower().endswith(".zip"):  # a data-room export: one line per document inside
            results += import_uploaded_archive(deal, entity, name, f, uploaded_by=request.user)
        else:
            results.append(store_uploaded_file(deal, entity, name, f, uploaded_by=request.user, limits=limits))
    finish_upload(results, deal=deal, actor=request.user, source="upload")
    for result in results:
        if result.document is not None:
            result.document.refresh_from_db()  # an eager extraction task may have just finished
    return render(request, "deals/documents.html", _documents_context(request, deal, form=UploadForm(), results=results))


class DocumentDetailView(LoginRequiredMixin, TemplateView):
    """One document: its versions and its page text. `?page=N` + `#page-N` opens a page, `?q=` marks a quote."""

    template_name = "deals/document_detail.html"

    def get_context_data(self, deal_id: int, doc_id: int, **kwargs):
        context = super().get_context_data(**kwargs)
        deal = get_deal_for(self.request.user, deal_id)
        document = get_object_or_404(Document.objects.for_deal(deal).select_related("uploaded_by"), pk=doc_id)
        wanted = self._wanted_page(document)
        first = ((wanted or 1) - 1) // PAGES_PER_SCREEN * PAGES_PER_SCREEN + 1
        last = first + PAGES_PER_SCREEN - 1
        quote = self.request.GET.get("q", "").strip()
        pages, matches = [], 0
        for page in document.pages.filter(number__gte=first, number__lte=last).order_by("number"):
            html, found = highlight(page.text, quote)
            matches += found
            pages.append({"number": page.number, "html": html, "current": page.number == wanted, "matches": found})
        context.update(
            can_edit=deal.user_has_role(self.request.user, Role.ANALYST),
            other_entity=Entity.BUYER if document.entity == Entity.TARGET else Entity.TARGET,
            deal=deal,
            document=document,
            versions=Document.objects.versions_of(document).select_related("uploaded_by"),
            pages=pages,
            wanted_page=wanted,
            quote=quote,
            quote_matches=matches,
            previous_screen=first - PAGES_PER_SCREEN if first > 1 else None,
            next_screen=last + 1 if last < document.page_count else None,
            screen_first=first,
            screen_last=min(last, document.page_count),
        )
        return context

    def _wanted_page(self, document: Document) -> int | None:
        raw = self.request.GET.get("page")
        if not raw:
            return None
        try:
            number = int(raw)
        except ValueError:
            raise Http404("page must be a number") from None
        if not 1 <= number <= max(document.page_count, 1):
            raise Http404(f"the document has no page {number}")
        return number



def _document_or_404(deal: Deal, doc_id: int) -> Document:
    return get_object_or_404(Document.objects.for_deal(deal), pk=doc_id)


@login_required
def document_original(request, deal_id: int, doc_id: int):
    """The uploaded file as it was. `?inline=1` opens a PDF in the browser (link it with #page=N to open
    at a page); other formats are always downloads — their page text is on the document page — so an
    uploaded HTML or SVG file is never rendered in DealIQ's origin."""
    deal = get_deal_for(request.user, deal_id)
    document = _document_or_404(deal, doc_id)
    if not document.file:
        raise Http404("The original file of this document is not stored.")
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("The original file of this document is missing from storage.") from None
    inline = request.GET.get("inline") == "1" and document.is_pdf
    return FileResponse(
        handle,
        as_attachment=not inline,
        filename=document.original_name or document.filename,
        content_type="application/pdf" if inline else (document.content_type or "application/octet-stream"),
    )


@login_required
@require_POST
def document_curation(request, deal_id: int, doc_id: int):
    """POST action=withdraw|restore|move: analysts and managers (viewers 403, non-members 404)."""
    deal = get_deal_for(request.user, deal_id, role=Role.ANALYST)
    document = _document_or_404(deal, doc_id)
    action = request.POST.get("action", "")
    label = f"{document.filename} v{document.version}"
    try:
        if action == "withdraw":
            reason = request.POST.get("reason", "")
            withdraw_document(document, request.user, reason)
            messages.success(request, f"{label} withdrawn: runs started from now on do not read it.")
        elif action == "restore":
            restore_document(document, request.user)
            messages.success(request, f"{label} restored: new runs read it again.")
        elif action == "move":
            entity = request.POST.get("entity", "")
            moved = move_to_entity(document, entity, request.user)
            messages.success(
                request, f"{document.filename} now belongs to the {Entity(entity).label.lower()} "
                f"({len(moved)} version{'s' if len(moved) != 1 else ''}); runs started from now on read it there."
            )
        else:
            messages.error(request, "Unknown action.")
    except CurationError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("deals:document", args=[deal.pk, document.pk]))
