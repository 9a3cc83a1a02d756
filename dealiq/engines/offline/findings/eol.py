"""end_of_life: products past (or near) end of support, one subject per release and entity.

Support is assessed again here on the deal's reference date (the catalogue is the authority, not what a
fact's details say), so a run with a later reference date re-rates the same facts. Facts that carry no
product details (e.g. from the Anthropic engine) are matched against the catalogue by their item text.
"""
from __future__ import annotations

from ....eol.catalogue import PAST_EOL, SUPPORTED, Release, assess
from ....schemas import FactRecord
from ..products import ProductRules
from .context import ReasoningContext, Subject, plural, quotes

HORIZON = "eol_horizon"


def _release_of(fact: FactRecord, products: ProductRules, domain: str) -> Release | None:
    details = fact.details or {}
    catalogue = products.catalogue()
    if details.get("product") and details.get("cycle"):
        return catalogue.release(details["product"], details["cycle"])
    if details.get("rule"):
        return None  # one of our own non-product facts ("IT project: Windows 10 to 11 refresh")
    # A fact from another engine: recognise the product in its item, if it belongs to this domain.
    matches = catalogue.find(fact.item)
    if len(matches) == 1 and products.profile(matches[0].release).domain == domain:
        return matches[0].release
    return None


def subjects(rule: dict, ctx: ReasoningContext, products: ProductRules) -> list[Subject]:
    wanted = rule.get("status", PAST_EOL)
    horizon = int(rule.get("horizon_months", 36))
    groups: dict[tuple[str, str, str], tuple[Release, list[FactRecord]]] = {}
    for fact in ctx.facts_for(rule.get("entities") or ["target"]):
        release = _release_of(fact, products, ctx.domain)
        if release is None:
            continue
        key = (fact.entity, release.product, release.cycle)
        groups.setdefault(key, (release, []))[1].append(fact)

    found = []
    for (entity, _, _), (release, facts) in sorted(groups.items()):
        support = assess(release, ctx.reference_date)
        status = support.status
        if status == SUPPORTED and support.months_to_eol is not None and support.months_to_eol <= horizon:
            status = HORIZON
        if status != wanted:
            continue
        found.append(_subject(entity, release, facts, support, products, ctx))
    return found


def _subject(entity, release, facts, support, products: ProductRules, ctx: ReasoningContext) -> Subject:
    profile = products.profile(release)
    counts = sorted({f.details["count"] for f in facts if isinstance((f.details or {}).get("count"), int)})
    # count_text reads inside parentheses ("40–46 servers; the documents disagree"), units_text in a
    # sentence ("Move 40–46 servers off ...", "Move every system off ...").
    if not counts:
        count_text, units_text, quantity = "count not stated", f"every {profile.unit}", None
    elif len(counts) == 1:
        count_text = units_text = f"{counts[0]:,} {plural(profile.unit, counts[0])}"
        quantity = (counts[0], counts[0])
    else:
        units_text = f"{counts[0]:,}–{counts[-1]:,} {plural(profile.unit, 2)}"
        count_text = f"{units_text}; the documents disagree"
        quantity = (counts[0], counts[-1])

    eol_text = support.eol_date.isoformat() if support.eol_date else "(date not recorded)"
    esu = support.extended_support_until
    flags = set()
    esu_text = ""
    if esu and esu >= ctx.reference_date:
        esu_text = f"; paid extended support runs to {esu.isoformat()} and can bridge the upgrade"
        flags.add("extended_support_active")
    elif esu:
        esu_text = f"; paid extended support also ended {esu.isoformat()}"
        flags.add("extended_support_ended")
    internet_facing = any((f.details or {}).get("internet_facing") for f in facts) or profile.internet_facing
    if internet_facing:
        flags.add("internet_facing")
    months = abs(support.months_to_eol) if support.months_to_eol is not None else None
    cost_item = next(((f.details or {}).get("cost_item") for f in facts if (f.details or {}).get("cost_item")), profile.cost_item)
    return Subject(
        entity=entity,
        facts=facts,
        quantity=quantity,
        flags=flags,
        vars={
            "release": release.display_name,
            "count_text": count_text,
            "units_text": units_text,
            "unit": profile.unit,
            "category_text": plural(profile.unit, 2),
            "eol_text": eol_text,
            "esu_text": esu_text,
            "months_text": f"{months} months" if months is not None else "an unknown time",
            "exposure_text": ", and this system sits on the internet edge" if internet_facing else "",
            "support_kind": "mainstream maintenance" if release.product.startswith("sap-") else "vendor support",
            "lifecycle_source": release.source,
            "cost_item": cost_item or "",
            "quotes": quotes(facts),
        },
    )

