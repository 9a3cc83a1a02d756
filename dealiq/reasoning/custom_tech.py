"""Custom software on unsupported technology: an in-house application built on a runtime, framework or
database its vendor no longer supports (no security fixes, scarce skills, nobody to call)."""
from __future__ import annotations

import re

from ..eol.catalogue import PAST_EOL, assess
from ..schemas import FactRecord, FindingItem
from .context import Rules
from .emit import make_finding, quotes
from .lifecycle import release_of
from .view import DealView

_CUSTOM = re.compile(
    r"\b(?:custom(?:-built| built| developed)?|in-?house|bespoke|home-?grown|self-developed|developed internally|"
    r"internally developed|own development|proprietary (?:application|tool|system))\b",
    re.IGNORECASE,
)
# Runtimes long out of support that the lifecycle catalogue may not list.
_LEGACY = re.compile(
    r"(?<![\w.])(?:VB6|Visual Basic 6(?:\.0)?|Visual Basic for Applications|Delphi(?: \d+)?|PowerBuilder|FoxPro|Classic ASP|ASP classic|"
    r"Silverlight|Adobe Flash|Flash Player|COBOL|Access (?:97|2000|2003|2007|2010)|Lotus (?:Notes|Domino)|Python 2(?:\.\d+)?|"
    r"PHP [45](?:\.\d+)?|\.NET Framework (?:[1-3](?:\.\d+)?|4\.[0-5](?:\.\d)?)|Java (?:[1-7]|1\.[4-7])\b|JDK (?:[1-7]|1\.[4-7])\b|"
    r"Windows (?:XP|2000|Server 2003)|Oracle Forms 6i?)\b",
    re.IGNORECASE,
)
_NAME_KEYS = ("name", "application", "app", "system")
_APP_NAME = re.compile(r"\b([A-Z][a-z]+[A-Z]\w+|[A-Z]{2,}[a-z]\w+)\b")  # CamelCase names: RxBridge, CustomsHub
# What an application row lists as its stack: reported with the application. Operating systems stay in
# the estate findings (a server runs more than one application).
STACK_CATEGORIES = {"runtime", "platform_software", "web_server", "application_server", "framework", "database"}


_LABELLED = re.compile(r"\b(?:application|app|system|app name|application name|name)\s*:\s*([^;|,\n]{2,60})", re.IGNORECASE)


def _name(fact: FactRecord, rules: Rules) -> str | None:
    """The application's name: a name detail, a labelled column of an inventory row, or (for a fact that
    is not itself a product release) the subject of its item."""
    details = fact.details or {}
    for key in _NAME_KEYS:
        if details.get(key):
            return str(details[key]).strip()
    if match := _LABELLED.search(fact.evidence or ""):
        return match.group(1).strip()
    if release_of(fact, rules) is not None:
        return None  # "PHP 7.4" names the runtime, not the application
    return re.split(r"\s[(–-]\s?", fact.item.split(": ", 1)[-1])[0][:60]


def _own_stack(fact: FactRecord, rules: Rules, name: str = "") -> bool:
    """A runtime, middleware or database release that belongs to this one application (a row of its
    own, not a shared estate line such as "SQL Server 2014: 9 instances")."""
    release = release_of(fact, rules)
    if release is None or rules.products.profile(release).category not in STACK_CATEGORIES:
        return False
    labelled = _LABELLED.search(fact.evidence or "")
    if name and labelled and labelled.group(1).strip().lower() == name.lower():
        return True  # the application's own inventory or server row, whatever count was read from it
    count = (fact.details or {}).get("count")
    return not isinstance(count, int) or count <= 1


def _unsupported(view: DealView, rules: Rules, facts: list[FactRecord]) -> list[str]:
    found = []
    for fact in facts:
        text = f"{fact.item} {fact.evidence}"
        found += [m.group(0) for m in _LEGACY.finditer(text)]
        for match in rules.products.find(text):
            if assess(match.release, view.reference_date).status == PAST_EOL:
                found.append(match.release.display_name)
    return sorted(set(found))


def findings(view: DealView, rules: Rules) -> list[FindingItem]:
    scope = view.of(*view.entities_in_scope())
    apps: dict[tuple[str, str], list[FactRecord]] = {}
    for fact in scope:
        if not _CUSTOM.search(f"{fact.item} {fact.evidence} {fact.category}"):
            continue
        name = _name(fact, rules)
        # "Custom software: RxBridge (…), RefillRunner (…)": every product-like name the line lists
        names = [name] if name else sorted(set(_APP_NAME.findall(fact.evidence or "")))
        for name in names:
            apps.setdefault((fact.entity, name), []).append(fact)
    out = []
    for (entity, name), facts in sorted(apps.items()):
        if len(name) < 3 or _CUSTOM.fullmatch(name) or name.lower().startswith(("in-house ", "custom ")):
            continue
        related = [f for f in scope if f.entity == entity and f not in facts and name.lower() in f"{f.item} {f.evidence}".lower()]
        runtimes = _unsupported(view, rules, facts + related)
        if not runtimes:
            continue
        # Runtimes and middleware of this application are reported here, not again as an estate.
        view.covered.update(f.key for f in facts + related if _own_stack(f, rules, name))
        out.append(
            make_finding(
                "custom_unsupported_runtime",
                domain="applications",
                finding_type="risk",
                title=f"Custom application on unsupported technology: {name}",
                description=(
                    f"{name} is built in-house and depends on {', '.join(runtimes)}, which is out of vendor support on "
                    f"{view.reference_date.isoformat()}: no security fixes, scarce skills, and a rewrite or re-platforming to fund."
                ),
                reasoning=f"The documents describe {name} as custom software ({quotes(facts)}) on {', '.join(runtimes)} ({quotes(related or facts)}).",
                severity="high",
                phase="100_day",
                mitigation="Obtain the source code and build documentation, assess re-platforming, and isolate the application until then.",
                triggers=facts,
                supports=related,
                details={"entity": entity, "application": name, "runtimes": runtimes},
            )
        )
    return out
