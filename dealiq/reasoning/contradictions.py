"""Contradictions: the same subject given different values (a count, a percentage, a version) or
opposite answers (in place / not in place, no incidents / an incident) in different places. Both sides
are kept and linked with `contradicts`; the finding never picks a winner. A contradiction is a risk: the
plan rests on a figure or a claim the data room itself puts in doubt.
"""
from __future__ import annotations

import re

from ..engines.offline.findings.controls import certifications_named
from ..schemas import FactRecord, FindingItem
from .context import Rules
from .emit import make_finding, source_of
from .view import ABSENT, PARTIAL, PRESENT, DealView, document_of, status_of

LABELS = {
    "server_total": "total server count", "it_fte": "IT staff (FTE)", "it_contractors": "IT contractor count",
    "employee_count": "employee count", "user_count": "user account count", "mailbox_count": "mailbox count",
    "site_count": "site count", "endpoint_count": "end-user device count", "service_accounts": "service account count",
    "privileged_accounts": "privileged account count", "tsa_term_months": "TSA term (months)",
}
# Durations, not counts: "a maximum of 6 months" is the term itself, not a limit on a count.
DURATIONS = {"tsa_term_months"}
# A TSA term the documents disagree on decides how long the target can run on the seller's services.
SEVERE_FIGURES = {"tsa_term_months"}
CONTROL_LABELS = {
    "mfa": "multi-factor authentication", "edr": "EDR coverage", "siem": "security monitoring", "backup": "backups",
    "immutable_backup": "immutable backups", "pam": "privileged access management", "dr_test": "disaster recovery testing",
    "pen_test": "penetration testing", "patching": "patch management", "segmentation": "network segmentation",
    "access_review": "access reviews", "restore_test": "backup restore testing",
}
_WORDS = re.compile(r"[a-z]{3,}")
_STOP = {"the", "and", "for", "with", "all", "not", "are", "has", "our", "its", "from"}


def _measure_label(measure: str, facts: list[FactRecord]) -> str:
    if measure in LABELS:
        return LABELS[measure]
    if measure.startswith("count:"):
        return f"{(facts[0].details or {}).get('release') or measure.split(':', 2)[1]} count"
    return measure.split(":", 1)[-1].replace("_", " ")


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,3}(?:,\d{3})*(?:\.\d+)?\s*%?\s*", value):
        return float(value.replace(",", "").replace("%", ""))
    return None


# A number that is part of an identifier ("IR-04"), a limit ("batches of up to 5 sites") or a subset
# ("incl. 3 service accounts") is not the count of the whole: it cannot contradict the count.
_NOT_A_COUNT = re.compile(
    r"(?:\b[A-Z]{1,4}-|\b(?:up to|at most|maximum of|max\.?|batch(?:es)? of(?: up to)?|incl\.?|including|of which|among them)\s+)$",
    re.IGNORECASE,
)


def _stated_as_count(value: int, evidence: str) -> bool:
    text = evidence or ""
    places = list(re.finditer(rf"(?<![\d.,])0*{value}(?![\d])", text))
    if not places:
        return True  # written out differently ("twelve", "1,350"): nothing to check
    return any(not _NOT_A_COUNT.search(text[max(0, m.start() - 25):m.start()]) for m in places)


def _measures(fact: FactRecord) -> list[tuple[str, float]]:
    details = fact.details or {}
    if details.get("measure") and isinstance(details.get("value"), int):
        if details["measure"] not in DURATIONS and not _stated_as_count(details["value"], fact.evidence):
            return []
        return [(str(details["measure"]), float(details["value"]))]
    if details.get("rule"):
        return []
    # Another engine's fact: every numeric detail is a measure of the fact's subject.
    subject = " ".join(w for w in _WORDS.findall(re.sub(r"\d", " ", fact.item.lower())) if w not in _STOP)
    return [
        (f"{fact.category}:{subject}:{name.lower()}", number)
        for name, value in sorted(details.items())
        if (number := _number(value)) is not None and name.lower() not in ("page", "year", "version", "document_id")
    ]


# A control named in words, for statements that carry no control detail (a model's fact, an audit finding).
_CONTROL_WORDS = {
    "mfa": re.compile(r"\bMFA\b|multi-?factor|\b2FA\b", re.IGNORECASE),
    "edr": re.compile(r"\bEDR\b|endpoint detection|CrowdStrike|Defender for Endpoint|SentinelOne", re.IGNORECASE),
    "pam": re.compile(r"\bPAM\b|privileged (?:access|accounts?)|CyberArk|Domain Admins?", re.IGNORECASE),
    "jml": re.compile(r"\bleavers?\b|joiner|offboard\w*|de-?provision\w*", re.IGNORECASE),
    "access_review": re.compile(r"access reviews?|recertification", re.IGNORECASE),
    "dr_test": re.compile(r"disaster recovery|\bDR\b (?:test|failover)|failover test", re.IGNORECASE),
    "backup": re.compile(r"\bbackups?\b|restore test", re.IGNORECASE),
}
_AUDIT = re.compile(r"\b(?:NC-?\d+|nonconformit\w*|audit\w*|observation|pen(?:etration)? test\w*|assessment)\b", re.IGNORECASE)
CONTROL_LABELS.update({"jml": "leaver process (joiner-mover-leaver)"})


# Roles, not controls: "the CISO approved it" and "the CISO leaves in February" are a change over time
# (the leadership rule reports it), not two documents disagreeing.
_NOT_CONTRADICTION_TOPICS = {"security_leadership", "it_leadership"}


def _topic(fact: FactRecord) -> str | None:
    details = fact.details or {}
    if details.get("control") in _NOT_CONTRADICTION_TOPICS:
        return None
    if details.get("control") == "certification" and len(certifications_named(fact.evidence)) > 1:
        return None  # a question listing several schemes is no statement about one of them
    if details.get("control"):
        group = details.get("certification") or ""
        return f"{details['control']}:{group}" if group else str(details["control"])
    if not details.get("rule") and fact.category.lower() in CONTROL_LABELS:
        return fact.category.lower()
    if details.get("rule") and not _AUDIT.search(fact.evidence or ""):
        return None  # an offline fact about something else that names a control, or a rule (a requirement, not a state)
    named = [c for c, pattern in _CONTROL_WORDS.items() if pattern.search(f"{fact.item} {fact.evidence}")]
    return named[0] if len(named) == 1 else None


def findings(view: DealView, rules: Rules) -> list[FindingItem]:
    return _figures(view) + _statements(view) + _versions(view, rules) + _incidents(view)


# Platforms an entity normally runs at one version (one hypervisor cluster, one ERP, one firewall pair):
# two documents naming disjoint versions of it disagree. Runtimes count only for one named application.
_SINGLE_VERSION_CATEGORIES = {"hypervisor", "virtualisation", "erp", "firewall", "network_os", "email", "itsm"}
_APP_NAME = re.compile(r"\b([A-Z][a-z]+[A-Z]\w+|[A-Z]{2,}[a-z]\w+)\b")  # CamelCase product names: RxBridge, CustomsHub


def _versions(view: DealView, rules: Rules) -> list[FindingItem]:
    from .lifecycle import _family, release_of

    groups: dict[tuple[str, str, str], dict[str, dict[str, list[FactRecord]]]] = {}
    for fact in view.facts:
        release = release_of(fact, rules)
        if release is None:
            continue
        profile = rules.products.profile(release)
        scope = ""
        if profile.category not in _SINGLE_VERSION_CATEGORIES and release.category not in _SINGLE_VERSION_CATEGORIES:
            names = [n for n in _APP_NAME.findall(fact.evidence or "") if n.lower() not in release.product_label.lower()]
            if not names:
                continue
            scope = names[0]
        doc = document_of(fact)
        groups.setdefault((fact.entity, _family(release, rules), scope), {}).setdefault(doc, {}).setdefault(release.cycle, []).append(fact)
    out = []
    for (entity, family, scope), by_doc in sorted(groups.items()):
        docs = sorted(by_doc)
        # versions compared by release cycle, so "vCenter 6.7" and "ESXi 6.7" agree
        pairs = [(a, b) for i, a in enumerate(docs) for b in docs[i + 1:] if not set(by_doc[a]) & set(by_doc[b])]
        if not pairs:
            continue
        involved = sorted({d for pair in pairs for d in pair})
        facts = [f for d in involved for v in sorted(by_doc[d]) for f in by_doc[d][v]]
        said = "; ".join(
            f"{source_of(by_doc[d][min(by_doc[d])][0])}: "
            + ", ".join(sorted({release_of(f, rules).display_name for v in by_doc[d] for f in by_doc[d][v]}))
            for d in involved
        )
        subject = f"{scope} {family}".strip() if scope else family
        out.append(
            make_finding(
                "conflicting_versions",
                domain=facts[0].domain,
                finding_type="risk",
                title=f"Conflicting versions: {subject} ({entity})",
                description=f"The {entity}'s documents name different versions of {subject}: {said}. Support dates, upgrade cost and integration effort depend on which is true.",
                reasoning="Two documents name disjoint versions of the same platform.",
                severity="medium",
                phase="day_1",
                mitigation="Ask for a console export or screenshot of the running version.",
                contradicts=facts,
                details={"entity": entity, "family": family},
            )
        )
    return out


def _incidents(view: DealView) -> list[FindingItem]:
    """One finding per entity for its security incidents: "no incidents" in one document and an incident
    in another is an undisclosed incident (both sides linked); otherwise the incidents to investigate."""
    out = []
    for entity in ("target", "buyer"):
        incidents = [f for f in view.of(entity) if "incident" in f.category or "breach" in f.category]
        denials = [f for f in incidents if (f.details or {}).get("status") == "none_reported" or _NO_INCIDENT.search(f.evidence or "")]
        reported = [f for f in incidents if f not in denials and not _NOT_AN_INCIDENT.search(f.evidence or "")]
        if not reported:
            continue
        undisclosed = [f for f in reported if any(document_of(f) != document_of(d) for d in denials)]
        what = "; ".join(f"“{(f.evidence or f.item)[:160]}” ({source_of(f)})" for f in reported[:4])
        kinds = sorted({kind for f in reported for kind, pattern in _INCIDENT_KINDS.items() if pattern.search(f.evidence or "")})
        if kinds:
            what += f" (as described: {', '.join(kinds)})"
        if undisclosed:
            out.append(
                make_finding(
                    "undisclosed_incident",
                    domain="cybersecurity",
                    finding_type="risk",
                    title=f"Security incident contradicts the 'no incidents' answer ({entity})",
                    description=(
                        f"One document says there were no security incidents; another describes one: {what}. "
                        "An undisclosed incident puts the other self-reported answers in doubt too."
                    ),
                    reasoning=f"{len(denials)} statement(s) deny incidents and {len(undisclosed)} describe one, in different documents.",
                    severity="high",
                    phase="day_1",
                    mitigation="Request the incident report, root cause and remediation evidence; treat the questionnaire as unverified.",
                    contradicts=denials + undisclosed,
                    triggers=[f for f in reported if f not in undisclosed],
                    details={"entity": entity},
                )
            )
        else:
            out.append(
                make_finding(
                    "incidents_to_investigate",
                    domain="cybersecurity",
                    finding_type="risk",
                    title=f"Security incidents to investigate ({entity})",
                    description=f"The data room describes security incidents: {what}. Root cause, remediation and any regulator notification must be confirmed.",
                    reasoning=f"{len(reported)} incident statement(s) in the documents.",
                    severity="high",
                    phase="day_1",
                    mitigation="Request the incident reports and remediation evidence; consider a compromise assessment before close.",
                    triggers=reported,
                    details={"entity": entity},
                )
            )
    return out


# How an analyst names what a statement describes, so the finding says it in the usual words.
_INCIDENT_KINDS = {
    "business e-mail compromise (BEC)": re.compile(r"mailbox (?:was )?compromis|e-?mail (?:account )?compromis|\bBEC\b|wire (?:transfer|payment)|payment (?:was )?redirect|invoice fraud|bank details", re.IGNORECASE),
    "ransomware": re.compile(r"ransomware|encrypted (?:\w+ ){0,3}(?:servers?|files|shares)", re.IGNORECASE),
    "data breach": re.compile(r"exfiltrat|data (?:breach|leak)|records (?:were )?(?:exposed|stolen)", re.IGNORECASE),
    "account takeover / phishing": re.compile(r"phishing|credential (?:theft|harvest)|account takeover", re.IGNORECASE),
}
_NO_INCIDENT = re.compile(r"\bno (?:material |reportable |known )?(?:security )?(?:incidents?|breach(?:es)?)\b|\bnone reported\b", re.IGNORECASE)
_NOT_AN_INCIDENT = re.compile(
    r"\b(?:no (?:\w+ ){0,3}(?:notifications?|breach(?:es)?) (?:were |was )?filed|nothing was filed|(?:penetration|pen|assumed-breach|red[- ]team) test\w*|"
    r"exercise|simulat\w*|tabletop|insurance (?:cover|policy))\b",
    re.IGNORECASE,
)


def _figures(view: DealView) -> list[FindingItem]:
    groups: dict[tuple[str, str], list[tuple[FactRecord, float]]] = {}
    for fact in view.facts:
        for measure, value in _measures(fact):
            groups.setdefault((fact.entity, measure), []).append((fact, value))
    out = []
    counts: dict[str, list[tuple[str, str, list[FactRecord]]]] = {}
    for (entity, measure), entries in sorted(groups.items()):
        if len({v for _, v in entries}) < 2:
            continue
        entries = sorted(entries, key=lambda e: (e[1], e[0].key))
        facts = [f for f, _ in entries]
        label = _measure_label(measure, facts)
        values_text = ", ".join(f"{v:,g} ({source_of(f)})" for f, v in entries)
        if measure not in DURATIONS:
            counts.setdefault(entity, []).append((label, " vs ".join(f"{v:,g}" for v in sorted({v for _, v in entries})), facts))
        out.append(
            make_finding(
                "conflicting_figures",
                domain=facts[0].domain,
                finding_type="risk",
                title=f"Conflicting figures: {label} ({entity})",
                description=f"The {entity} documents give different figures for the {label}: {values_text}. Plans and estimates that depend on it use the range until it is reconciled.",
                reasoning=f"Two or more statements give different values for the same measure ({values_text}).",
                severity="high" if measure in SEVERE_FIGURES else "medium",
                phase="tsa" if measure in SEVERE_FIGURES else "day_1",
                mitigation=f"Ask the {entity} which figure is right and for the underlying inventory export.",
                contradicts=facts,
                details={"entity": entity, "measure": measure},
            )
        )
    # Several counts in doubt at once say the data room itself is unreliable: one recommendation to
    # reconcile them before the price and the integration budget rest on any of them.
    for entity, conflicts in sorted(counts.items()):
        if len(conflicts) < 2:
            continue
        listed = "; ".join(f"{label}: {values}" for label, values, _ in conflicts)
        linked = [f for _, _, facts in conflicts for f in facts]
        out.append(
            make_finding(
                "reconcile_counts",
                domain="organization",
                finding_type="recommendation",
                title=f"Reconcile the inconsistent counts in the data room ({entity})",
                description=(
                    f"The {entity}'s documents disagree on {len(conflicts)} basic counts ({listed}). Reconcile them against "
                    "source-system exports before the price, the TSA scope and the integration budget rest on any of them."
                ),
                reasoning=f"More than one measure is given different values by different documents ({listed}).",
                severity="medium",
                phase="day_1",
                mitigation=f"Ask the {entity} for dated exports (CMDB, directory, HR) and one reconciled figure per count.",
                triggers=linked,
                details={"entity": entity, "measures": [label for label, _, _ in conflicts]},
            )
        )
    return out


def _statements(view: DealView) -> list[FindingItem]:
    groups: dict[tuple[str, str], list[tuple[FactRecord, str]]] = {}
    # A buyer's rule ("security logs are forwarded to the SIEM from day 30") says what must be, not what
    # is: the statement it is read from is no side of a contradiction.
    # (An audit's nonconformity numbered like a rule, "NC-1 … 23 accounts not in the vault", is a state.)
    rules_said = {(f.document_id, re.sub(r"\s+", " ", f.evidence or "")) for f in view.facts
                  if f.category == "integration_rule" and not _AUDIT.search(f.evidence or "")}
    for fact in view.facts:
        if (fact.document_id, re.sub(r"\s+", " ", fact.evidence or "")) in rules_said:
            continue
        topic = _topic(fact)
        status = status_of(fact) if topic else None
        if topic and status:
            groups.setdefault((fact.entity, topic), []).append((fact, status))
    out = []
    for (entity, topic), entries in sorted(groups.items()):
        claims = [f for f, s in entries if s == PRESENT]
        denials = [f for f, s in entries if s in (ABSENT, PARTIAL)]
        if not claims or not denials:
            continue
        if {document_of(f) for f in claims} == {document_of(f) for f in denials} and len({document_of(f) for f in claims + denials}) == 1:
            continue  # one document describing scope ("MFA for VPN; none for admins"), not two that disagree
        control, _, group = topic.partition(":")
        label = group or CONTROL_LABELS.get(control, control.replace("_", " "))
        said = "; ".join(f"{source_of(f)} says “{(f.evidence or f.item)[:80]}”" for f in claims[:2] + denials[:2])
        out.append(
            make_finding(
                "conflicting_statements",
                domain=claims[0].domain,
                finding_type="risk",
                title=f"Conflicting statements on {label} ({entity})",
                description=(
                    f"One source reports {label} as in place, another as missing or partial: {said}. Until the evidence "
                    "is seen, the weaker statement is the one to plan on."
                ),
                reasoning=f"The same control is described as in place in {len(claims)} and as missing or partial in {len(denials)} statement(s) from different documents.",
                severity="high",
                phase="day_1",
                mitigation="Ask for the evidence behind the stronger claim (configuration export, audit report) before relying on it.",
                contradicts=claims + denials,
                details={"entity": entity, "topic": topic},
            )
        )
    return out
