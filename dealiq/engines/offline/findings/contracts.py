"""contract_window: contracts whose end date falls within `window_months` of the reference date (the
closing proxy), either side: one that ended shortly before may be running on an unsigned extension."""
from __future__ import annotations

import datetime as dt

from ....eol.catalogue import add_months
from .context import ReasoningContext, Subject, subject_name


def _end_date(details: dict) -> dt.date | None:
    try:
        return dt.date.fromisoformat(details.get("end_date"))
    except (TypeError, ValueError):
        return None


def subjects(rule: dict, ctx: ReasoningContext) -> list[Subject]:
    window = int(rule.get("window_months", 6))
    reference = ctx.reference_date
    earliest, latest = add_months(reference, -window), add_months(reference, window)
    found = []
    for fact in ctx.facts_for(rule.get("entities") or ["target"]):
        details = fact.details or {}
        end = _end_date(details)
        if fact.category != "contract" or end is None or not earliest <= end <= latest:
            continue
        days = (end - reference).days
        flags = {"expired"} if days < 0 else ({"within_3_months"} if end <= add_months(reference, 3) else set())
        party, service = details.get("party"), details.get("service")
        if party and service:
            contract_text = f"The contract with {party} ({service})"
        elif party or service:
            contract_text = f"The contract with {party}" if party else f"The {service} contract"
        else:
            contract_text = f"A contract ({subject_name(fact)})"
        notice = details.get("notice")
        notice_text = f"; notice period {notice}" if notice else ""
        found.append(
            Subject(
                entity=fact.entity,
                facts=[fact],
                flags=flags,
                vars={
                    "subject": party or service or subject_name(fact),
                    "contract_text": contract_text,
                    "end_date": end.isoformat(),
                    "when_text": f"{-days} days before" if days < 0 else f"{days} days after",
                    "notice_text": notice_text,
                },
            )
        )
    return found
