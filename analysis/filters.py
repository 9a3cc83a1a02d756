"""django-filter FilterSets for the run-scoped lists (facts, gaps, findings) and their exports.

Everything is applied in SQL; `q` is full-text search (see services/search.py); `sort` is a whitelist.
"""
from __future__ import annotations

import django_filters as df
from django import forms

from deals.models import Entity

from .models import (
    DomainChoice,
    Fact,
    Finding,
    FindingType,
    Gap,
    Importance,
    Phase,
    ReviewDecision,
    Severity,
    VdrStatus,
    Verification,
)
from .services.reviews import with_reviewed_values
from .services.search import search_facts, search_text


def _nulls_last(field: str):
    """Rows without a value (a finding with no cost estimate) sort after the others, either direction."""
    from django.db.models import F

    return F(field[1:]).desc(nulls_last=True) if field.startswith("-") else F(field).asc(nulls_last=True)


class StableOrderingFilter(df.OrderingFilter):
    """Ordering plus `id` as the tie-breaker, so page 2 never repeats a row of page 1."""

    def filter(self, qs, value):
        if value in ([], (), {}, "", None):
            return qs
        fields = [self.get_ordering_value(v) for v in value]
        return qs.order_by(*(_nulls_last(f) for f in fields), "id")


def _category_label(value: str) -> str:
    text = value.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


class _Base(df.FilterSet):
    entity = df.ChoiceFilter(choices=Entity.choices, empty_label="Any entity")
    domain = df.ChoiceFilter(choices=DomainChoice.choices, empty_label="Any domain")
    # Choices are the categories the run has (one DISTINCT query), shown in words, not snake_case.
    category = df.ChoiceFilter(field_name="category", choices=[], empty_label="Any category", label="Category")

    def __init__(self, data=None, queryset=None, **kwargs):
        super().__init__(data, queryset=queryset, **kwargs)
        categories = queryset.order_by().values_list("category", flat=True).distinct() if queryset is not None else []
        self.filters["category"].extra["choices"] = [(c, _category_label(c)) for c in sorted(set(categories))]


class FactFilter(_Base):
    verification = df.ChoiceFilter(choices=Verification.choices, empty_label="Any status", label="Verification")
    document = df.NumberFilter(field_name="document_id", widget=forms.HiddenInput, label="Document")
    q = df.CharFilter(method="search", label="Search")
    sort = StableOrderingFilter(
        fields=(("domain", "domain"), ("entity", "entity"), ("category", "category"), ("item", "item"),
                ("confidence", "confidence"), ("verification", "verification"), ("id", "id")),
        label="Sort",
    )

    class Meta:
        model = Fact
        fields = ["entity", "domain", "category", "verification"]

    def search(self, qs, name, value):
        return search_facts(qs, value)


class GapFilter(_Base):
    importance = df.ChoiceFilter(choices=Importance.choices, empty_label="Any importance")
    resolved = df.ChoiceFilter(
        choices=[("no", "Open"), ("yes", "Resolved")], empty_label="Open and resolved", method="filter_resolved",
        label="Resolved",
    )
    status = df.ChoiceFilter(choices=VdrStatus.choices, method="filter_status", empty_label="Any status", label="Request")
    q = df.CharFilter(method="search", label="Search")
    sort = StableOrderingFilter(
        fields=(("domain", "domain"), ("entity", "entity"), ("importance_rank", "importance"), ("id", "id")),
        label="Sort",
    )

    class Meta:
        model = Gap
        fields = ["entity", "domain", "category", "importance"]

    def search(self, qs, name, value):
        return search_text(qs, ("description", "category"), value)

    def filter_status(self, qs, name, value):
        return qs.with_vdr_status_in([value])

    def filter_resolved(self, qs, name, value):
        return qs.filter(resolved_at__isnull=(value == "no"))


class FindingFilter(df.FilterSet):
    domain = df.ChoiceFilter(choices=DomainChoice.choices, empty_label="Any domain")
    type = df.ChoiceFilter(field_name="finding_type", choices=FindingType.choices, empty_label="Any type")
    # Severity, phase and cost are the reviewed values (an analyst's override wins over the engine's).
    severity = df.ChoiceFilter(field_name="reviewed_severity", choices=Severity.choices, empty_label="Any severity")
    phase = df.ChoiceFilter(field_name="reviewed_phase", choices=Phase.choices, empty_label="Any phase")
    review = df.ChoiceFilter(field_name="review_decision", choices=ReviewDecision.choices, empty_label="Any review", label="Review")
    owner = df.CharFilter(field_name="review_owner_name", label="Owner")
    q = df.CharFilter(method="search", label="Search")
    sort = StableOrderingFilter(
        fields=(("domain", "domain"), ("severity_rank", "severity"), ("reviewed_phase", "phase"),
                ("reviewed_cost_high", "cost"), ("title", "title"), ("finding_type", "type"),
                ("review_decision", "review"), ("id", "id")),
        label="Sort",
    )

    class Meta:
        model = Finding
        fields = ["domain", "severity", "phase"]

    def search(self, qs, name, value):
        return search_text(qs, ("title", "description", "reasoning"), value)


FILTER_FOR_KIND = {"facts": FactFilter, "gaps": GapFilter, "findings": FindingFilter}


SEVERITY_RANK = {s: i for i, s in enumerate(("critical", "high", "medium", "low"))}
IMPORTANCE_RANK = {s: i for i, s in enumerate(("critical", "important", "nice_to_have"))}


def _rank(field: str, ranks: dict[str, int]):
    from django.db.models import Case, IntegerField, Value, When

    return Case(*(When(**{field: k}, then=Value(v)) for k, v in ranks.items()), default=Value(99), output_field=IntegerField())


def with_ranks(qs):
    """Severity and importance as numbers, so "sort by severity" means critical first (in SQL)."""
    model = qs.model
    if model is Finding:
        if "reviewed_severity" not in qs.query.annotations:
            qs = with_reviewed_values(qs)
        return qs.annotate(severity_rank=_rank("reviewed_severity", SEVERITY_RANK))
    if model is Gap:
        return qs.annotate(importance_rank=_rank("importance", IMPORTANCE_RANK))
    return qs


DEFAULT_ORDER = {
    "facts": ("domain", "entity", "category", "id"),
    "gaps": ("importance_rank", "domain", "entity", "id"),
    "findings": ("severity_rank", "domain", "phase", "id"),
}


def base_queryset(kind: str, run):
    """The run's rows of one kind, ranked, in the default order, with what list pages and exports show."""
    if kind == "facts":
        qs = Fact.objects.for_run(run).select_related("document").defer("search_vector")  # pages never show it
    elif kind == "gaps":
        qs = Gap.objects.for_run(run).select_related("document", "answer_document")
    elif kind == "findings":
        qs = with_reviewed_values(Finding.objects.for_run(run))
    else:
        raise ValueError(kind)
    return with_ranks(qs).order_by(*DEFAULT_ORDER[kind])


def filtered(kind: str, run, data):
    """(filterset, queryset) for `kind` of `run` filtered by the GET parameters `data` (invalid → none)."""
    filterset = FILTER_FOR_KIND[kind](data, queryset=base_queryset(kind, run))
    qs = filterset.qs if filterset.is_valid() else base_queryset(kind, run).none()
    return filterset, qs
