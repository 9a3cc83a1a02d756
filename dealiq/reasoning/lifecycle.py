"""End of support, consolidated: one risk per platform family and entity (Windows Server, the Linux
estate, SQL Server, FortiOS…) with the releases, their counts, their support dates on the completion date
and one remediation cost range — not a risk plus a work item per release. Dates are assessed here against the deal's reference date (the catalogue is the
authority, not what an engine wrote into a fact), so facts from any engine are rated the same way.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..eol.catalogue import (
    EOL_SOON,
    PAST_EOL,
    SUPPORTED,
    Release,
    SupportAssessment,
    assess,
)
from ..schemas import FactRecord, FindingItem
from .context import Rules
from .emit import make_finding, plural, quotes
from .view import DealView

HORIZON_MONTHS = 36
# Releases of one platform that an analyst remediates as one estate.
LINUX = ("rhel", "centos", "ubuntu", "sles", "debian", "oracle-linux", "almalinux", "rocky-linux", "amazon-linux", "opensuse")
FAMILIES = {**{p: "Linux" for p in LINUX}, "windows-server": "Windows Server", "dotnet": "Microsoft .NET", "dotnetfx": "Microsoft .NET", "vmware-esxi": "VMware vSphere", "vmware-vcenter": "VMware vSphere", "windows": "Windows client"}
_COUNT_IN_TEXT = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d{1,5})\s+(?:x\s+)?(?:\w+\s+)?(?:servers?|hosts?|VMs?|instances?|devices?|"
    r"appliances?|firewalls?|nodes?|databases?|laptops|desktops|endpoints|PCs|systems|clusters?)\b",
    re.IGNORECASE,
)


@dataclass
class _Release:
    release: Release
    support: SupportAssessment
    facts: list[FactRecord] = field(default_factory=list)
    retired_claims: list[FactRecord] = field(default_factory=list)

    @property
    def counts(self) -> list[int]:
        return sorted({c for f in self.facts if (c := _count(f)) is not None})


def _count(fact: FactRecord) -> int | None:
    details = fact.details or {}
    for name in ("count", "quantity", "qty", "number", "servers", "instances", "devices", "hosts"):
        value = details.get(name)
        if isinstance(value, int) and value > 0:
            return value
        if isinstance(value, str) and value.replace(",", "").strip().isdigit():
            return int(value.replace(",", ""))
    if details.get("rule"):
        return None  # an offline fact without a count states none
    match = _COUNT_IN_TEXT.search(f"{fact.item} {fact.evidence}")
    return int(match.group(1).replace(",", "")) if match else None


def release_of(fact: FactRecord, rules: Rules) -> Release | None:
    details = fact.details or {}
    catalogue = rules.products.catalogue()
    if details.get("product") and details.get("cycle"):
        return catalogue.release(details["product"], details["cycle"])
    if details.get("rule"):
        return None  # an offline non-product fact ("IT project: Windows 10 to 11 refresh")
    # Another engine's fact: recognise the release in its item (and version detail), if it names exactly one.
    text = " ".join(str(v) for v in (fact.item, details.get("product"), details.get("version")) if v)
    releases = {m.release for m in rules.products.find(text)} or {m.release for m in rules.products.find(fact.evidence or "")}
    return releases.pop() if len(releases) == 1 else None


_PLANNED = re.compile(
    r"\b(?:moving|move[sd]?|migrat\w*|upgrad\w*|port(?:ing|ed)?|re-?platform\w*|convert\w*|replac\w*(?: \w+)? (?:with|by))\b"
    r"[^.;]{0,25}\b(?:to|onto|with|by)\s*$",
    re.IGNORECASE,
)


def stated_retired(fact: FactRecord) -> bool:
    """A statement that the release is gone ("all 2012 R2 servers were retired in 2025"): the offline
    engine marks it; another engine's fact is read from its words around the release."""
    from ..engines.offline.products import retired_claim

    details = fact.details or {}
    if details.get("lifecycle_claim") == "retired" or str(details.get("status", "")).lower() in ("retired", "decommissioned"):
        return True
    if details.get("rule"):
        return False
    text = fact.evidence or fact.item
    said = str(details.get("matched_text") or details.get("product") or "")
    where = text.lower().find(said.lower()) if said else -1
    return where >= 0 and retired_claim(text, where, where + len(said))


def not_in_use(fact: FactRecord) -> bool:
    """A release the statement does not say is running: a planned target ("Moving to PHP 8.3 is four
    months of work"), a release stated as retired, or a catalogue match whose version numbers the matched
    words do not contain ("Windows 10 22H2" read from "Windows 11 Enterprise")."""
    details = fact.details or {}
    if stated_retired(fact) or details.get("stale_document"):
        return True  # gone, or named only by a document the room dates years back
    matched, release = str(details.get("matched_text") or ""), str(details.get("release") or "")
    named, read = set(re.findall(r"\d+", release)), set(re.findall(r"\d+", matched))
    if named and read and not named & read:
        return True
    evidence = fact.evidence or ""
    said = matched or fact.item  # a model's fact names the release in its item
    where = evidence.lower().find(said.lower()) if said else -1
    return where > 0 and bool(_PLANNED.search(evidence[max(0, where - 50):where]))


def _family(release: Release, rules: Rules) -> str:
    from ..eol.catalogue import (
        _SHORT_PRODUCT_NAMES,  # the names analysts use for each product
    )

    return FAMILIES.get(release.product) or _SHORT_PRODUCT_NAMES.get(release.product) or release.product_label


def findings(view: DealView, rules: Rules) -> list[FindingItem]:
    groups: dict[tuple[str, str], dict[tuple[str, str], _Release]] = {}
    retired: dict[tuple[str, str, str], list[FactRecord]] = {}
    for fact in view.of(*view.entities_in_scope()):
        release = release_of(fact, rules)
        if release is not None and stated_retired(fact):
            retired.setdefault((fact.entity, release.product, release.cycle), []).append(fact)
        if release is None or fact.key in view.covered or not_in_use(fact):
            continue
        support = assess(release, view.reference_date)
        family = _family(release, rules)
        entry = groups.setdefault((fact.entity, family), {}).setdefault(
            (release.product, release.cycle), _Release(release, support)
        )
        entry.facts.append(fact)

    out = []
    for (entity, family), releases in sorted(groups.items()):
        ordered = sorted(releases.values(), key=lambda r: (r.support.eol_date or view.reference_date, r.release.cycle))
        urgent = [r for r in ordered if r.support.status in (PAST_EOL, EOL_SOON)]
        horizon = [
            r for r in ordered
            if r.support.status == SUPPORTED and r.support.months_to_eol is not None and r.support.months_to_eol <= HORIZON_MONTHS
        ]
        if urgent:
            # A document saying a release was retired while another still lists it: the claim is linked
            # `contradicts` in the estate's risk (one finding per risk), never believed over the inventory.
            for entry in urgent:
                entry.retired_claims = [
                    f for f in retired.get((entity, entry.release.product, entry.release.cycle), [])
                    if all(f.document_id != g.document_id for g in entry.facts)
                ]
            out.append(_remediation(view, rules, entity, family, urgent))
        elif horizon:
            out.append(_plan(view, rules, entity, family, horizon))
    return out


def _describe(entry: _Release, rules: Rules, reference) -> str:
    profile = rules.products.profile(entry.release)
    counts = entry.counts
    if not counts:
        count_text = "count not stated"
    elif len(counts) == 1:
        count_text = f"{counts[0]:,} {plural(profile.unit, counts[0])}"
    else:
        count_text = f"{counts[0]:,}–{counts[-1]:,} {plural(profile.unit, 2)}, the documents disagree"
    support, esu = entry.support, entry.support.extended_support_until
    if support.status == PAST_EOL:
        when = f"support ended {support.eol_date.isoformat()}" if support.eol_date else "long out of support"
    else:
        when = f"support ends {support.eol_date.isoformat()}, {support.months_to_eol} months after completion"
    if esu and esu >= reference:
        when += f"; paid extended support to {esu.isoformat()}"
    elif esu:
        when += f"; extended support also ended {esu.isoformat()}"
    return f"{entry.release.display_name} ({count_text}; {when})"


def _cost(entries: list[_Release], rules: Rules) -> tuple[tuple[int, int] | None, list[dict]]:
    low = high = 0
    assumptions = []
    for entry in entries:
        profile = rules.products.profile(entry.release)
        item = next(((f.details or {}).get("cost_item") for f in entry.facts if (f.details or {}).get("cost_item")), None)
        item = item or profile.cost_item
        if not item or item not in rules.costs.items:
            continue
        counts = entry.counts
        estimate = rules.costs.estimate(
            item, counts[0] if counts else None, "as stated in the documents", quantity_high=counts[-1] if counts else None
        )
        low, high = low + estimate.low, high + estimate.high
        assumptions.append(estimate.as_assumption())
    return ((low, high) if assumptions else None), assumptions


def _remediation(view: DealView, rules: Rules, entity: str, family: str, entries: list[_Release]) -> FindingItem:
    facts = [f for e in entries for f in e.facts]
    past = [e for e in entries if e.support.status == PAST_EOL]
    internet = any(rules.products.profile(e.release).internet_facing or any((f.details or {}).get("internet_facing") for f in e.facts) for e in entries)
    no_bridge = any(
        not (e.support.extended_support_until and e.support.extended_support_until >= view.reference_date) for e in past
    )
    if past and internet and no_bridge:
        severity = "critical"  # exposed to the internet with no vendor fixes at all
    elif past and (internet or no_bridge):
        severity = "high"
    else:
        severity = "medium"
    # The buyer's own rule against unsupported software belongs in this finding (one finding per risk):
    # it links the rule and raises the stakes, blocking Day 1 when it gates connection.
    gate, blocks = (_buyer_gate(view) if entity == "target" and past else ([], False))
    if gate:
        # paid extended support still counts as vendor support: that estate is raised to high, not critical
        severity = "critical" if blocks and severity != "medium" else ("high" if severity == "medium" else severity)
    cost, assumptions = _cost(entries, rules)
    releases_text = "; ".join(_describe(e, rules, view.reference_date) for e in entries)
    claims = [f for e in entries for f in e.retired_claims]
    # "No systems past vendor end of support" while the documents list some: the claim is refuted here.
    denials = [f for f in view.of(entity) if (f.details or {}).get("lifecycle_claim") == "all_supported"] if past else []
    if denials:
        severity = "high" if severity == "medium" else severity
        releases_text += f". This contradicts the statement that no system is past vendor support ({quotes(denials)})"
    if claims:
        severity = "high" if severity == "medium" else severity  # the seller's own account of its estate is wrong
        releases_text += (
            f". The data room also says {', '.join(sorted({e.release.display_name for e in entries if e.retired_claims}))} "
            f"was retired ({quotes(claims)}), which the documents listing it contradict"
        )
    who = "" if entity == "target" else f" ({view.name(entity)})"
    cost_text = f" Estimated remediation {rules.costs.currency} {cost[0]:,}–{cost[1]:,}." if cost else ""
    return make_finding(
        "eol_platform_family",
        domain=rules.domain_of(entries[0].release, facts[0]),
        finding_type="risk",
        title=f"End-of-support {family} estate{who}",
        description=(
            f"{view.name(entity)} runs {family} releases that are out of vendor support, or leave it within 12 months of, the completion "
            f"date {view.reference_date.isoformat()}: {releases_text}."
            + (" Part of it sits on the internet edge." if internet else "")
            + (f" The buyer's integration rules forbid unsupported software ({quotes(gate[:2])})"
               + (", and the rule gates connection to the buyer's network." if blocks else ".") if gate else "")
            + cost_text
        ),
        reasoning=(
            f"{len(entries)} {family} {plural('release', len(entries))} named in the documents ({quotes(facts)}) are past or "
            f"within 12 months of end of support on {view.reference_date.isoformat()} per the lifecycle catalogue."
        ),
        severity=severity,
        phase="day_1" if internet and past else "100_day",
        mitigation="Remediate in one programme per platform (the cost range covers it), internet-facing and "
        "domain-joined systems first; buy extended support as a bridge where it is still sold.",
        triggers=facts,
        supports=gate,
        contradicts=(claims + [f for e in entries if e.retired_claims for f in e.facts] if claims else []) + denials,
        cost=cost,
        currency=rules.costs.currency,
        details={"entity": entity, "family": family, "releases": [e.release.display_name for e in entries],
                 "cost_assumptions": assumptions, "buyer_gate": bool(gate), "blocks_day_1": blocks},
    )


def _buyer_gate(view: DealView) -> tuple[list[FactRecord], bool]:
    from .gates import blocks_day_1, buyer_rules

    rule_facts = buyer_rules(view).get("supported_software", [])
    return rule_facts, blocks_day_1(rule_facts)


def _plan(view: DealView, rules: Rules, entity: str, family: str, entries: list[_Release]) -> FindingItem:
    facts = [f for e in entries for f in e.facts]
    who = "" if entity == "target" else f" ({view.name(entity)})"
    first = entries[0].support.eol_date
    return make_finding(
        "eol_platform_horizon",
        domain=rules.domain_of(entries[0].release, facts[0]),
        finding_type="recommendation",
        title=f"Plan the replacement of {family} before end of support{who}",
        description=(
            f"{view.name(entity)} runs {'; '.join(_describe(e, rules, view.reference_date) for e in entries)}. "
            "The replacement belongs in the long-term roadmap and the valuation."
        ),
        reasoning=(
            f"End of support {first.isoformat() if first else ''} falls 12–{HORIZON_MONTHS} months after the completion date "
            f"{view.reference_date.isoformat()} ({quotes(facts)})."
        ),
        severity="low",
        phase="long_term",
        mitigation="Agree the target platform and timeline before signing; price it in the long-term plan.",
        triggers=facts,
        details={"entity": entity, "family": family},
    )
