"""Key people: knowledge concentrated in one person, and worse, one who is about to leave."""
from __future__ import annotations

import re

from ..schemas import FactRecord, FindingItem
from .context import Rules
from .emit import make_finding, quotes
from .view import DealView

_KEY_PERSON = re.compile(
    r"\bkey[- ]person\b|single point of (?:failure|knowledge)|\bonly (?:one )?(?:person|employee|engineer|developer|administrator|admin)\b|"
    r"\bsole (?:developer|administrator|admin|expert|maintainer|engineer)\b|\bbus factor\b|knowledge (?:sits|rests|is concentrated) with\b|"
    r"\bonly \w+ (?:knows|understands|can maintain|maintains)\b|\b(?:maintained|supported|built|run) by (?:one|a single) (?:developer|person|engineer|contractor)\b|"
    r"\b(?:one|single|sole|lone) (?:developer|engineer|administrator|contractor) (?:maintains|supports|knows)\b",
    re.IGNORECASE,
)
_LEAVING = re.compile(
    r"\b(?:resign\w*|leaving|will leave|leaves (?:the company|in|on|at)|retir\w*|handed in (?:his|her|their) notice|notice period|"
    r"departure|departing|last (?:working )?day|garden leave|exit(?:ing)? (?:the company|the business)|has left|left the company|"
    r"contract (?:ends|expires|not renewed|will not be renewed)|not (?:be )?renewed)\b",
    re.IGNORECASE,
)
# "Jana Novak", "Piet de Vries", "Anne-Marie O'Neill": capitalised words, with the particles of surnames.
_PERSON = re.compile(
    r"\b((?:[A-Z]\.\s?|[A-Z][a-z]+(?:(?:[- ](?:de|van|der|den|von|da|di|du|del|la|le|ten|ter))*[- ]))[A-Z][a-z'’]+(?:[- ][A-Z][a-z'’]+)?)\b"
)
_NOT_NAMES = re.compile(r"^(?:Single|Key|Only|The|Our|IT|Head|Team|Service|Network|Application|Developer|Contractor|Microsoft|Windows|Active|Domain)\b")


# two to four capitalised words in any alphabet ("Tomasz Wróbel", "Zoë de Wit")
_FULL_NAME = re.compile(r"(?:[^\W\d_][\w.'’-]*\s+){1,3}[^\W\d_][\w.'’-]*")
_NAME_COLUMN = re.compile(r"^(?:name|full name|employee(?: name)?|staff(?: member| name)?|person|team member)$", re.IGNORECASE)


def _row_name(fact: FactRecord) -> str | None:
    """A people table's row names its person in its name column (not in "reports to" or "owner")."""
    columns = (fact.details or {}).get("columns")
    if not isinstance(columns, dict):
        return None
    for header, value in columns.items():
        if _NAME_COLUMN.match(str(header).strip()) and value and _FULL_NAME.fullmatch(str(value).strip()):
            return str(value).strip()
    return None


def _person(fact: FactRecord) -> str | None:
    details = fact.details or {}
    for key in ("person", "employee"):  # not "name" or "owner": an application row names its system and business owner
        if details.get(key):
            return str(details[key])
    if (row := _row_name(fact)):
        return row
    for text in (fact.evidence or "", fact.item):
        names = [m for m in _PERSON.finditer(text) if not _NOT_NAMES.match(m.group(1))]
        if not names:
            continue
        # A row may name several people (the business owner, the developer): take the one nearest the
        # words that make it a key-person statement.
        phrase = _KEY_PERSON.search(text)
        if phrase:
            names.sort(key=lambda m: min(abs(m.start() - phrase.end()), abs(m.end() - phrase.start())))
        return names[0].group(1)
    return None


_ROLE = re.compile(
    r"\b(CIO|CISO|CTO|IT Director|IT Manager|Head of IT|Head of (?:Infrastructure|Security|Applications)|"
    r"(?:Information )?Security Officer|IT lead)\b"
)
_GAP = re.compile(
    r"\b(?:vacan\w*|no interim|not (?:yet )?(?:been )?(?:appointed|filled|replaced)|open (?:position|role)|unfilled)\b", re.IGNORECASE
)


def leadership_findings(view: DealView, rules: Rules) -> list[FindingItem]:
    """An IT leadership role that is leaving or empty around completion: who runs the integration?"""
    roles: dict[tuple[str, str], list[FactRecord]] = {}
    for fact in view.of(*view.entities_in_scope()):
        text = f"{fact.item} {fact.evidence}"
        role = _ROLE.search(fact.evidence or "")
        if role and (_LEAVING.search(text) or _GAP.search(text)):
            roles.setdefault((fact.entity, role.group(1)), []).append(fact)
    out = []
    for (entity, role), facts in sorted(roles.items()):
        out.append(
            make_finding(
                "leadership_gap",
                domain="organization",
                finding_type="risk",
                title=f"IT leadership gap: {role} ({entity})",
                description=(
                    f"The {entity}'s {role} is leaving or the role is vacant ({quotes(facts)}): decisions, security "
                    "accountability and the integration plan lack an owner around completion."
                ),
                reasoning=f"Statements about the {role} role ({quotes(facts)}).",
                severity="high",
                phase="day_1",
                mitigation="Name an interim owner before signing; make the appointment a condition of the integration plan.",
                triggers=facts,
                details={"entity": entity, "role": role},
            )
        )
    return out


def findings(view: DealView, rules: Rules) -> list[FindingItem]:
    people: dict[tuple[str, str], list[FactRecord]] = {}
    unnamed: dict[str, list[FactRecord]] = {}
    for fact in view.of(*view.entities_in_scope()):
        if fact.category == "key_person" or _KEY_PERSON.search(f"{fact.item} {fact.evidence}"):
            person = _person(fact)
            if person:
                people.setdefault((fact.entity, person), []).append(fact)
            else:
                unnamed.setdefault(fact.entity, []).append(fact)
    # "Priya is the only one who knows…": a first name the entity's people tables give in full, once.
    full_names: dict[str, set[str]] = {}
    for fact in view.of(*view.entities_in_scope()):
        if (row := _row_name(fact)):
            full_names.setdefault(fact.entity, set()).add(row)
    for entity, facts in list(unnamed.items()):
        for fact in list(facts):
            firsts = set(re.findall(r"\b([A-Z][a-z]{2,})\b", fact.evidence or ""))
            matches = sorted({n for n in full_names.get(entity, ()) if n.split()[0] in firsts})
            if len(matches) == 1:
                people.setdefault((entity, matches[0]), []).append(fact)
                facts.remove(fact)
        if not facts:
            del unnamed[entity]
    for entity, facts in sorted(unnamed.items()):
        named = [k for k in people if k[0] == entity]
        if len(named) == 1:  # "He is the only person who…" beside one named key person: the same person
            people[named[0]].extend(facts)
        elif not named:  # the dependency is stated but nobody is named: one finding, not one per line
            people[(entity, "person not named")] = facts
    out = []
    for (entity, person), facts in sorted(people.items()):
        surname = person.split()[-1]
        mentions = [f for f in view.of(entity) if f not in facts and surname in f"{f.item} {f.evidence}"] if len(surname) > 2 else []
        leaving = [f for f in facts + mentions if _LEAVING.search(view.text(f))]
        leaving_text = " and is reported to be leaving" if leaving else ""
        out.append(
            make_finding(
                "key_person",
                domain="organization",
                finding_type="risk",
                title=f"Key-person dependency: {person}",
                description=(
                    f"Critical knowledge sits with {person}{leaving_text} ({quotes(facts + leaving)}). If they leave around "
                    "completion, support of the systems they own is at risk."
                ),
                reasoning=f"The documents describe a single point of knowledge ({quotes(facts)})"
                + (f" and a departure ({quotes(leaving)})." if leaving else "."),
                severity="critical" if leaving else "high",
                phase="day_1",
                mitigation="Agree a retention arrangement before signing, start documentation and shadowing at once and name a deputy within 30 days.",
                triggers=facts,
                supports=[f for f in leaving if f not in facts],
                details={"entity": entity, "person": person, "leaving": bool(leaving)},
            )
        )
    # The action the risks call for, costed once per entity: retention (or, for a contractor, a contract)
    # and knowledge transfer for every key person still there on Day 1.
    by_entity: dict[str, list[tuple[str, list[FactRecord]]]] = {}
    for (entity, person), facts in sorted(people.items()):
        by_entity.setdefault(entity, []).append((person, facts))
    for entity, named in sorted(by_entity.items()):
        persons = [p for p, _ in named if p != "person not named"] or ["the key people the documents describe"]
        linked = [f for _, facts in named for f in facts]
        estimate = rules.cost("key_person_retention", len(named))
        out.append(
            make_finding(
                "key_person_retention",
                domain="organization",
                finding_type="work_item",
                title=f"Retention and knowledge transfer for key people ({entity})",
                description=(
                    f"Agree retention arrangements (a contract for contractors) and documented knowledge transfer with "
                    f"{', '.join(persons)} before completion ({quotes(linked)})."
                    + (f" Estimated {rules.costs.currency} {estimate.low:,}–{estimate.high:,}." if estimate else "")
                ),
                reasoning=f"Each is a single point of knowledge the {entity}'s systems depend on ({quotes(linked)}).",
                severity="high",
                phase="day_1",
                mitigation="Retention letters signed before completion; documentation, shadowing and a named deputy within 90 days.",
                triggers=linked,
                cost=(estimate.low, estimate.high) if estimate else None,
                currency=rules.costs.currency,
                details={"entity": entity, "persons": persons,
                         "cost_assumptions": [estimate.as_assumption()] if estimate else []},
            )
        )
    return out
