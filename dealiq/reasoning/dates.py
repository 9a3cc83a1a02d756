"""Dates against the completion date: contracts and support agreements ending around completion, and
TSA terms shorter than the buyer's own migration timeline for the same system. The arithmetic is done
here, on dates read from the facts; no engine is trusted to have done it.
"""
from __future__ import annotations

import datetime as dt
import re

from ..eol.catalogue import add_months, months_between
from ..schemas import FactRecord, FindingItem
from .context import Rules
from .emit import make_finding, quotes
from .systems import domain_for_systems, systems_in
from .view import DealView, dates_in, document_of

WINDOW_MONTHS = 6
_CONTRACT_WORDS = re.compile(
    r"\b(?:contract|agreement|subscription|licen[cs]e|maintenance|support (?:agreement|contract)|lease|renewal|SLA|MSA)\b",
    re.IGNORECASE,
)
_END_KEYS = re.compile(r"end|expir|renew|until|terminat|valid", re.IGNORECASE)
_END_IN_TEXT = re.compile(
    r"\b(?:expir\w*|ends?|ending|end date|until|through|renew\w*|terminat\w*|valid (?:to|until)|runs? (?:to|until)|term(?:inates)?)\b"
    r"[^.;]{0,40}?",
    re.IGNORECASE,
)
_PARTY_KEYS = ("party", "vendor", "supplier", "provider", "counterparty", "company")
_TSA = re.compile(r"\bTSA\b|transitional service|transition service", re.IGNORECASE)
_MIGRATION = re.compile(r"\b(?:migrat\w*|move[sd]?|moving|onboard\w*|integrat\w*|consolidat\w*|cut ?over|transition\w*)\b", re.IGNORECASE)
_WITHIN_MONTHS = re.compile(r"\b(?:within|in|inside|over|up to|by)\s+(\d{1,2})\s+months\b|\b(\d{1,2})[- ]month\b", re.IGNORECASE)
_TERM_MONTHS = re.compile(r"\b(\d{1,2})\s*(?:-\s*)?(?:months?|mths?)\b", re.IGNORECASE)
_TERM_YEARS = re.compile(r"\b(\d)\s*(?:-\s*)?years?\b", re.IGNORECASE)


def end_date(fact: FactRecord) -> dt.date | None:
    details = fact.details or {}
    for key, value in sorted(details.items()):
        if _END_KEYS.search(str(key)) and isinstance(value, str):
            found = dates_in(value) or dates_in(value.strip())
            if found:
                return found[0]
    for match in _END_IN_TEXT.finditer(fact.evidence or ""):
        found = dates_in((fact.evidence or "")[match.start():match.end() + 30])
        if found:
            return found[0]
    return None


def _is_contract(view: DealView, fact: FactRecord) -> bool:
    if fact.category == "tsa" or _TSA.search(fact.item):
        return False
    return "contract" in fact.category or "licen" in fact.category or bool(_CONTRACT_WORDS.search(view.text(fact)))


_NOT_PARTIES = re.compile(r"^(?:The|Our|Their|His|Her|This|That|Current|New|Contract|Agreement|Support|Licen[cs]e|IT|HM|We|Q[1-4]|AD|OS|VM|DR|SLA|TSA|EA|MSA)$")
_PARTY_BEFORE = re.compile(
    r"\b([A-Z][\w&+.\-]*(?:\s[A-Z][\w&+.\-]*){0,2})\s+(?:[a-z]+\s){0,2}?(?:contract|agreement|licen[cs]e|subscription|support|maintenance|renewal)\b"
)
_PARTY_LABEL = re.compile(r"\b(?:vendor|supplier|provider|counterparty)\s*:\s*([A-Z][^;|,\n]{1,50})", re.IGNORECASE)
_PARTY_WITH = re.compile(r"\b(?:with|from|by)\s+([A-Z][\w&+.\-]*(?:\s[A-Z][\w&+.\-]*){0,2})")


def _structured_party(fact: FactRecord) -> str | None:
    details = fact.details or {}
    return next((str(details[k]) for k in _PARTY_KEYS if details.get(k)), None)


def _is_fallback(fact: FactRecord, party: str) -> bool:
    """True when the party came only from the first capitalised word (trusted only for a known party)."""
    return not any(p.search(f"{fact.evidence} ") for p in (_PARTY_WITH, _PARTY_BEFORE))


def _party(fact: FactRecord) -> str | None:
    details = fact.details or {}
    for key in _PARTY_KEYS:
        if details.get(key):
            return str(details[key])
    if match := _PARTY_LABEL.search(fact.evidence or ""):
        return match.group(1).strip()
    for pattern in (_PARTY_WITH, _PARTY_BEFORE):
        for match in pattern.finditer(f"{fact.evidence} "):
            words = [w for w in match.group(1).split() if not _NOT_PARTIES.match(w)]
            if words:
                return " ".join(words)
    if "contract" in fact.category:  # a contract statement names its counterparty first: "Lumen confirmed the term ends…"
        for word in re.findall(r"\b[A-Z][\w&+.\-]+", fact.evidence or ""):
            if not _NOT_PARTIES.match(word) and not dates_in(word) and word.lower() not in _MONTH_WORDS:
                return word
    return None


_MONTH_WORDS = {m.lower() for m in ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "Contract", "Supplier", "Vendor", "Service"]}


def _party_key(party: str) -> str:
    return re.sub(r"[^a-z0-9]", "", party.lower().split()[0]) if party.split() else party.lower()


def _same_service(a: FactRecord, b: FactRecord) -> bool:
    """Two statements about one contract (not two contracts with one vendor): different documents, and
    the services they name, if both do, share a word."""
    if document_of(a) == document_of(b):
        return False
    sa, sb = ((f.details or {}).get("service") for f in (a, b))
    if not sa or not sb:
        # two register rows naming different applications are two contracts with one vendor
        apps = [m.group(1).strip().lower() if (m := _APPLICATION_LABEL.search(f.evidence or "")) else None for f in (a, b)]
        return not (apps[0] and apps[1] and apps[0] != apps[1])
    words = lambda text: {w for w in re.findall(r"[a-z]{4,}", str(text).lower())}
    return bool(words(sa) & words(sb))


def _contract_domain(view: DealView, facts: list[FactRecord]) -> str:
    text = " ".join(f"{f.evidence} {(f.details or {}).get('service', '')}" for f in facts)
    if _STAFFING.search(text):
        return "organization"
    systems = systems_in(text) - {"licences"}
    if not re.search(r"data ?cent(?:re|er)|coloc|rack|cross-connect", text, re.IGNORECASE):
        systems -= {"hosting"}  # "Hosting: SaaS" in an application row is not a data-centre contract
    return domain_for_systems(systems, "applications")


_APPLICATION_LABEL = re.compile(r"\b(?:application|product|service)\s*:\s*([^;|\n]{2,60})", re.IGNORECASE)
# The row itself rates the service as not critical ("Criticality: Low", "Tier 3").
_LOW_CRITICALITY = re.compile(r"\bcriticality\s*:\s*(?:low|medium|minor)\b|\bTier\s*[34]\b", re.IGNORECASE)
# Contracts for people or support, not for a system: an MSP, staff, or desk / site / field support with
# its engineers ("Desktop & site support (2 engineers)").
_STAFFING = re.compile(
    r"\b(?:MSP|managed services?(?: provider)?|outsourc\w*|contractor|consultant|staff|service desk provider"
    r"|(?:desktop|deskside|site|on-?site|field|end-?user|IT)(?: (?:&|and) (?:site|field|desktop))? support"
    r"|\d+(?:\.\d+)? (?:engineers|technicians|FTEs?))\b",
    re.IGNORECASE,
)
_PERSONAL = re.compile(r"\b(?:contractor|freelanc\w*|consultant|developer|engineer|employee)\b", re.IGNORECASE)
_CHANGE_OF_CONTROL = re.compile(
    r"\b(?:terminat\w*|not (?:be )?(?:assignable|transferable|transferrable)|non-?transferable|consent (?:is )?required|requires? (?:\w+ )?consent|"
    r"re-?pric\w*|renegotiat\w*|list price)\b",
    re.IGNORECASE,
)
_COC_WORDS = re.compile(r"change[- ]of[- ]control|assignment|assignable|transferable", re.IGNORECASE)


def contract_findings(view: DealView, rules: Rules) -> list[FindingItem]:
    reference = view.reference_date
    earliest, latest = add_months(reference, -WINDOW_MONTHS), add_months(reference, WINDOW_MONTHS)
    by_party: dict[tuple[str, str], list[tuple[FactRecord, dt.date | None, str]]] = {}
    candidates = [f for f in view.of(*view.entities_in_scope()) if _is_contract(view, f)]
    structured = {(f.entity, _party_key(p)) for f in candidates if (p := _structured_party(f))}
    for fact in candidates:
        end, party = end_date(fact), _party(fact)
        if not party:
            continue
        key = (fact.entity, _party_key(party))
        if not _structured_party(fact):
            if key not in structured and _PERSONAL.search(fact.evidence or ""):
                continue  # an individual's contract: the key-person rule reads it
            if key not in structured and _is_fallback(fact, party):
                continue
        if end is None and not _CHANGE_OF_CONTROL.search(fact.evidence or ""):
            continue
        by_party.setdefault(key, []).append((fact, end, party))

    out, soon = [], []
    near: dict[tuple[str, str], list[FindingItem]] = {}
    for (entity, _), hits in sorted(by_party.items()):
        dated = [(f, d, p) for f, d, p in hits if d is not None]
        in_window = [(f, d, p) for f, d, p in dated if earliest <= d <= latest]
        conflicting = [
            f for f, d, _ in dated if any(d != d2 and _same_service(f, f2) for f2, d2, _ in dated)
        ]
        clauses = [f for f, _, _ in hits if _COC_WORDS.search(f.evidence or "") and _CHANGE_OF_CONTROL.search(f.evidence or "")]
        if not in_window and not conflicting:
            # A licence that does not transfer is the transfer rule's risk (one finding per risk).
            if clauses and not (entity == "target" and all(_NOT_TRANSFERABLE.search(f.evidence or "") for f in clauses)):
                out.append(_change_of_control(view, entity, hits, clauses))
            continue
        hits = dated
        # A register's party column names it best; else the shortest name the statements use.
        structured = sorted(p for f, _, p in hits if any((f.details or {}).get(k) for k in _PARTY_KEYS))
        party = structured[0] if structured else min((p for _, _, p in hits), key=lambda p: (len(p), p))
        facts = [f for f, _, _ in (in_window or hits) if f not in conflicting]
        dates_text = ", ".join(sorted({d.isoformat() for _, d, _ in hits}))
        domain = _contract_domain(view, [f for f, _, _ in hits])
        if not in_window:
            out.append(_conflict(entity, party, conflicting, dates_text, domain))
            continue
        end = min(d for _, d, _ in in_window)
        days = (end - reference).days
        when = f"{-days} days before" if days < 0 else f"{days} days after"
        notice = next(((f.details or {}).get("notice") for f, _, _ in in_window if (f.details or {}).get("notice")), None)
        urgent = days < 0 or end <= add_months(reference, 3)
        soon.append((party, end, [f for f, _, _ in in_window]))
        if not clauses and not conflicting and all(_LOW_CRITICALITY.search(f.evidence or "") for f, _, _ in in_window):
            continue  # a routine, low-criticality renewal: listed in the renewal plan, not a risk of its own
        disagree = f" The documents disagree on the end date ({dates_text})." if conflicting else ""
        if clauses:
            disagree += " The contract also has a change-of-control clause (consent, termination or re-pricing)."
        near.setdefault((entity, domain), []).append(
            make_finding(
                "contract_near_completion",
                domain=domain,
                finding_type="risk",
                title=f"Contract ends near close: {party}",
                description=(
                    f"The {entity}'s contract with {party}{_service_text(in_window)} ends on {end.isoformat()}, {when} the completion date "
                    f"{reference.isoformat()}{f'; notice period {notice}' if notice else ''}. A lapse or a rushed renewal "
                    f"around completion disrupts the service or weakens the negotiating position.{disagree}"
                ),
                reasoning=f"End date {end.isoformat()} ({quotes([f for f, _, _ in in_window])}) is within {WINDOW_MONTHS} months of {reference.isoformat()}.",
                severity="high" if urgent or clauses else "medium",
                phase="day_1",
                mitigation="Extend or renew before completion on terms that allow assignment to the new owner; check notice periods now.",
                triggers=facts + [c for c in clauses if c not in facts and c not in conflicting],
                contradicts=conflicting,
                details={"entity": entity, "end_date": end.isoformat(), "days_from_completion": days},
            )
        )
    for (entity, domain), found in sorted(near.items()):
        out.append(found[0] if len(found) == 1 else _contracts_near_completion(entity, domain, found))
    if len(soon) >= 2:
        listed = "; ".join(f"{p} ({d.isoformat()})" for p, d, _ in sorted(soon, key=lambda x: (x[1], x[0])))
        out.append(
            make_finding(
                "contract_renewal_plan",
                domain="applications",
                finding_type="work_item",
                title="Renewal plan for contracts ending around completion",
                description=f"{len(soon)} contracts end within {WINDOW_MONTHS} months of completion ({reference.isoformat()}): {listed}.",
                reasoning="Each end date was compared with the completion date; renewing them one by one under deadline pressure costs leverage.",
                severity="high" if any(d <= add_months(reference, 3) for _, d, _ in soon) else "medium",
                phase="day_1",
                mitigation="Agree with the seller which contracts are renewed before completion, for how long and with assignment rights.",
                triggers=[f for _, _, facts in soon for f in facts],
            )
        )
    return out


_SEVERITY_ORDER = ("low", "medium", "high", "critical")


def _contracts_near_completion(entity: str, domain: str, found: list[FindingItem]) -> FindingItem:
    """Several contracts of one domain ending around completion are one risk an analyst writes once
    ("Five9 and WellSky end within months of close"), each party's dates and terms in the description."""
    parties = [f.title.split(": ", 1)[1] for f in found]
    ordered = sorted(found, key=lambda f: (f.details.get("end_date", ""), f.title))
    links, seen = [], set()
    for finding in ordered:
        for link in finding.links:
            if link.fact_key not in seen:
                seen.add(link.fact_key)
                links.append(link)
    severity = max((f.severity for f in found), key=_SEVERITY_ORDER.index)
    title_parties = ", ".join(sorted(parties)[:4]) + (f" and {len(parties) - 4} more" if len(parties) > 4 else "")
    merged = FindingItem(
        domain=domain,
        finding_type="risk",
        title=f"Contracts end near close: {title_parties}"[:300],
        description=" ".join(f.description for f in ordered),
        reasoning=" ".join(f.reasoning for f in ordered),
        severity=severity,
        phase="day_1",
        mitigation=ordered[0].mitigation,
        links=links,
        details={"rule": "contract_near_completion", "layer": "deal", "entity": entity,
                 "end_date": min(f.details.get("end_date", "") for f in found), "parties": sorted(parties),
                 "fact_keys": [l.fact_key for l in links]},
    )
    return merged


def _service_text(hits) -> str:
    """What the contract covers, in the register's words ("CargoWise licences", "MPLS WAN, 14 sites")."""
    services = sorted({str((f.details or {}).get("service")) for f, _, _ in hits if (f.details or {}).get("service")})
    if services:
        return f" ({'; '.join(s[:80] for s in services[:2])})"
    return f" (“{(hits[0][0].evidence or '')[:120]}”)"


def _change_of_control(view: DealView, entity: str, hits, clauses: list[FactRecord]) -> FindingItem:
    party = _structured_party(clauses[0]) or _party(clauses[0]) or "contract"
    terminates = any(re.search(r"terminat|not (?:be )?(?:assignable|transferable)|non-?transferable", f.evidence or "", re.IGNORECASE) for f in clauses)
    return make_finding(
        "change_of_control",
        domain=_contract_domain(view, [f for f, _, _ in hits]),
        finding_type="risk",
        title=f"Change-of-control clause: {party}",
        description=(
            f"The {entity}'s contract with {party} {'may be terminated or is not transferable' if terminates else 'needs consent or may be re-priced'} "
            f"on a change of control ({quotes(clauses)}): without the counterparty's agreement the service or its price is at risk after completion."
        ),
        reasoning=f"The contract's change-of-control terms ({quotes(clauses)}) apply on completion.",
        severity="high" if terminates else "medium",
        phase="day_1",
        mitigation="Approach the counterparty before signing; make consent a condition of completion for critical services.",
        triggers=clauses,
        details={"entity": entity},
    )


def _conflict(entity: str, party: str, facts: list[FactRecord], dates_text: str, domain: str) -> FindingItem:
    return make_finding(
        "contract_end_conflict",
        domain=domain,
        finding_type="recommendation",
        title=f"Reconcile conflicting contract end dates: {party}",
        description=f"The {entity}'s documents give different end dates for the contract with {party}: {dates_text}.",
        reasoning=f"Different end dates for the same contract ({quotes(facts)}).",
        severity="medium",
        phase="day_1",
        mitigation="Ask for the signed contract and its latest amendment.",
        contradicts=facts,
        details={"entity": entity},
    )


def _tsa_term(view: DealView, fact: FactRecord) -> int | None:
    details = fact.details or {}
    for key in ("term_months", "months", "tsa_months", "duration_months"):
        if isinstance(details.get(key), int):
            return details[key]
    text = view.text(fact)
    if m := _TERM_MONTHS.search(text):
        return int(m.group(1))
    if m := _TERM_YEARS.search(text):
        return int(m.group(1)) * 12
    ends = [d for d in dates_in(text) if d > view.reference_date]
    return months_between(view.reference_date, min(ends)) if ends else None


def _migration_months(view: DealView, fact: FactRecord) -> int | None:
    details = fact.details or {}
    if isinstance(details.get("months"), int) and details.get("policy"):
        return details["months"]
    text = view.text(fact)
    if _TSA.search(text) or not _MIGRATION.search(text):
        return None
    m = _WITHIN_MONTHS.search(text)
    return int(m.group(1) or m.group(2)) if m else None


def tsa_findings(view: DealView, rules: Rules) -> list[FindingItem]:
    tsas = [(f, t) for f in view.of("target") if _TSA.search(view.text(f)) and (t := _tsa_term(view, f))]
    timelines = [(f, m) for f in view.of("buyer") if (m := _migration_months(view, f))]
    if not tsas or not timelines:
        return []
    grouped: dict[str, tuple[list[FactRecord], int, list[FactRecord], int, set[str]]] = {}
    for tsa, term in tsas:
        tsa_systems = systems_in(view.text(tsa))
        for rule, months in timelines:
            rule_systems = systems_in(view.text(rule))
            shared = tsa_systems & rule_systems if rule_systems and tsa_systems else (tsa_systems or rule_systems)
            if rule_systems and tsa_systems and not shared:
                continue
            if months <= term:
                continue
            label = ", ".join(sorted(shared)) or "transitional services"
            facts, t, rules_facts, m, systems = grouped.get(label, ([], term, [], months, set(shared)))
            grouped[label] = (facts + [tsa], min(t, term), rules_facts + [rule], max(m, months), systems)
    out = []
    for label, (tsa_facts, term, rule_facts, months, systems) in sorted(grouped.items()):
        critical = bool(systems & {"ERP", "identity"}) and view.is_carve_out
        out.append(
            make_finding(
                "tsa_shorter_than_migration",
                domain=domain_for_systems(systems, "organization"),
                finding_type="risk",
                title=f"TSA term shorter than the buyer's migration timeline: {label}",
                description=(
                    f"The TSA covering {label} runs {term} months from completion, but the buyer's own integration "
                    f"rule allows {months} months to migrate it: the target would lose the service {months - term} months "
                    "before it can be moved."
                ),
                reasoning=f"TSA term {term} months ({quotes(tsa_facts)}) < buyer migration period {months} months ({quotes(rule_facts)}).",
                severity="critical" if critical else "high",
                phase="tsa",
                mitigation="Negotiate a TSA term (and extension options) that covers the buyer's migration plan, or accelerate the migration.",
                triggers=tsa_facts,
                supports=rule_facts,
                details={"tsa_months": term, "migration_months": months},
            )
        )
    return out


_NOT_TRANSFERABLE = re.compile(
    r"\b(?:non-?transferable|not (?:be )?(?:transferable|transferrable)|coverage ends when|ends when (?:the )?company leaves|"
    r"(?:licen[cs]ed|allocated) (?:by|through) (?:the )?(?:\w+ ){0,3}(?:sponsor|parent|seller|investor|portfolio))\b",
    re.IGNORECASE,
)
_HOLDER = re.compile(r"\b(?:contract holder|contracting (?:entity|party)|licensee|licen[cs]e holder|signed by|held by)\s*:?\s*([^;|,\n]{3,60})", re.IGNORECASE)
_HOLDER_KEYS = ("contracting_entity", "contract_holder", "licensee", "holder")


def _holder(fact: FactRecord) -> str | None:
    details = fact.details or {}
    for key in _HOLDER_KEYS:
        if details.get(key):
            return str(details[key]).strip()
    match = _HOLDER.search(fact.evidence or "")
    return match.group(1).strip() if match else None


def _is_target(holder: str, view: DealView) -> bool:
    generic = {"group", "holding", "holdings", "limited", "company", "services", "technologies", "international"}
    words = lambda text: {w for w in re.findall(r"[a-z]{4,}", (text or "").lower())} - generic
    return bool(words(holder) & words(view.deal.target_name))


def transfer_findings(view: DealView, rules: Rules) -> list[FindingItem]:
    """Licences and contracts the target uses but does not hold (a sponsor's, parent's or seller's, or
    marked non-transferable): they lapse or need a new contract at completion."""
    by_party: dict[str, tuple[list[FactRecord], str, bool]] = {}
    for fact in view.of("target"):
        if not _is_contract(view, fact) and not _NOT_TRANSFERABLE.search(fact.evidence or ""):
            continue
        lapses = bool(_NOT_TRANSFERABLE.search(fact.evidence or ""))
        holder = _holder(fact)
        if not lapses and (not holder or _is_target(holder, view) or view.is_carve_out):
            continue  # in a carve-out the seller's contracts are the separation rule's
        party = _party(fact)
        if not party:
            continue
        facts, _, flag = by_party.get(_party_key(party), ([], holder or "", False))
        by_party[_party_key(party)] = (facts + [fact], holder or "", flag or lapses)
    out = []
    by_holder: dict[tuple[str, str], list[FindingItem]] = {}
    for _, (facts, holder, lapses) in sorted(by_party.items()):
        party = _structured_party(facts[0]) or _party(facts[0]) or "contract"
        systems = systems_in(" ".join(f.evidence or "" for f in facts))
        critical = lapses and bool(systems & {"security operations", "identity", "network"})
        domain = _contract_domain(view, facts)
        # Several licences under one holder's programme (a sponsor's, a parent's) lapse for one reason:
        # one risk per holder and domain, each licence in it.
        by_holder.setdefault(holder.casefold() if holder else f"\x00{party}", []).append(
            make_finding(
                "licence_not_transferable",
                domain=_contract_domain(view, facts),
                finding_type="risk",
                title=f"Licence or contract does not transfer at completion: {party}",
                description=(
                    f"The target uses {party}{_service_text([(f, None, party) for f in facts])}"
                    + (f", held by {holder}" if holder else "")
                    + (", and the terms say it does not transfer or ends when ownership changes" if lapses else "")
                    + ": the service lapses at completion unless a new contract is in place."
                ),
                reasoning=f"Holder and transfer terms as stated ({quotes(facts)}).",
                severity="critical" if critical else "high",
                phase="day_1",
                mitigation="Contract directly with the vendor (or move onto the buyer's licences) before completion; make it a completion condition for security tooling.",
                triggers=facts,
                details={"holder": holder, "lapses": lapses, "party": party},
            )
        )
    for _, found in sorted(by_holder.items()):
        if len(found) == 1:
            out.append(found[0])
            continue
        holder = found[0].details.get("holder") or ""
        # the domain of the service whose loss hurts most (security tooling before mail filtering)
        domain = min(found, key=lambda f: (-_SEVERITY_ORDER.index(f.severity), f.domain)).domain
        parties = sorted(f.details.get("party", "") for f in found)
        links, seen = [], set()
        for finding in found:
            for link in finding.links:
                if link.fact_key not in seen:
                    seen.add(link.fact_key)
                    links.append(link)
        out.append(FindingItem(
            domain=domain,
            finding_type="risk",
            title=f"Licences held by {holder} do not transfer at completion"[:300],
            description=(f"{len(found)} services the target uses are held by {holder}: {', '.join(parties)}. "
                         + " ".join(f.description for f in found)),
            reasoning=" ".join(f.reasoning for f in found),
            severity=max((f.severity for f in found), key=_SEVERITY_ORDER.index),
            phase="day_1",
            mitigation=found[0].mitigation,
            links=links,
            details={"rule": "licence_not_transferable", "layer": "deal", "holder": holder, "parties": parties,
                     "lapses": any(f.details.get("lapses") for f in found), "fact_keys": [l.fact_key for l in links]},
        ))
    return out
