"""{% load dealiq_ui %}: the deal menu every deal page shows, sortable column headers, money.

    {% deal_menu "findings" %}                 the one deal menu (the active item is marked)
    {% sort_th "severity" "Severity" %}         a <th> whose link toggles ?sort=severity / -severity, with aria-sort
    {{ amount|money:currency }}                 "USD 120,000"
    {% money_range low high currency %}         "USD 40,000–120,000" or "—"
"""
from __future__ import annotations

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import reverse
from django.utils.html import format_html

from deals.models import Role

register = template.Library()

MENU = (
    ("dashboard", "Dashboard", "analysis:deal"),
    ("findings", "Findings", "analysis:findings"),
    ("gaps", "Gaps", "analysis:gaps"),
    ("facts", "Facts", "analysis:facts"),
    ("overlap", "Overlap", "analysis:overlap"),
    ("documents", "Documents", "deals:documents"),
    ("runs", "Runs", "analysis:runs"),
    ("members", "Members", "deals:members"),
    ("audit", "Audit", "analysis:audit"),
)
RUN_SCOPED = {"dashboard", "findings", "gaps", "facts", "overlap"}


@register.inclusion_tag("_deal_menu.html", takes_context=True)
def deal_menu(context, active: str = ""):
    deal = context["deal"]
    ctx = context.get("ctx")
    request = context["request"]
    if ctx is not None and hasattr(ctx, "can_edit"):
        can_edit = ctx.can_edit
    elif "can_edit" in context:
        can_edit = context["can_edit"]
    elif "can_upload" in context:  # the documents page already knows: analysts and managers upload
        can_edit = context["can_upload"]
    else:
        can_edit = deal.user_has_role(request.user, Role.ANALYST)
    run_query = context.get("run_query") or ""
    items = []
    for key, label, name in MENU:
        url = reverse(name, args=[deal.pk])
        if run_query and key in RUN_SCOPED:
            url += f"?{run_query}"
        items.append({"key": key, "label": label, "url": url, "active": key == active})
    return {"deal": deal, "items": items, "can_edit": can_edit, "csrf_token": context.get("csrf_token")}


@register.simple_tag(takes_context=True)
def sort_th(context, field: str, label: str, param: str = "sort"):
    request = context["request"]
    current = request.GET.get(param, "")
    if current == field:
        state, target = "ascending", f"-{field}"
    elif current == f"-{field}":
        state, target = "descending", field
    else:
        state, target = "none", field
    params = request.GET.copy()
    params.pop("page", None)
    params[param] = target
    arrow = {"ascending": " ▲", "descending": " ▼", "none": ""}[state]
    return format_html(
        '<th aria-sort="{}" data-sort="{}"><a href="?{}" class="sort">{}{}</a></th>', state, field, params.urlencode(), label, arrow
    )


def _amount(value) -> str:
    return intcomma(int(value)) if value is not None else ""


@register.filter
def money(value, currency: str = "USD") -> str:
    if value is None or value == "":
        return "—"
    return f"{currency} {_amount(value)}"


@register.simple_tag
def money_range(low, high, currency: str = "USD") -> str:
    if low is None and high is None:
        return "—"
    if low == high or high is None:
        return f"{currency} {_amount(low if low is not None else high)}"
    return f"{currency} {_amount(low)}–{_amount(high)}"


@register.filter
def humanize_key(value: str) -> str:
    """snake_case category → "Snake case"."""
    text = str(value or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@register.filter
def phase_label(value: str) -> str:
    from analysis.models import Phase

    return Phase(value).label if value in Phase.values else str(value or "")


@register.filter
def severity_label(value: str) -> str:
    from analysis.models import Severity

    return Severity(value).label if value in Severity.values else str(value or "")


@register.filter
def event_label(event) -> str:
    from analysis.services.audit_text import event_label as label

    return label(event.event_type)


@register.filter
def event_actor(event) -> str:
    from analysis.services.audit_text import actor_name

    return actor_name(event)
