"""Site registers: sites whose connectivity has no second path, and sites still on a legacy WAN the
company is moving away from. Read from register rows quoted as facts ("Site: X; Primary WAN: …; Backup
internet: none"), whatever the column names, so any engine's facts give the same findings."""
from __future__ import annotations

import re

from ..schemas import FactRecord, FindingItem
from .context import Rules
from .emit import make_finding, quotes
from .view import DealView, document_of

_SITE_KEY = re.compile(r"^(?:site(?: name)?|location|office|branch)$", re.IGNORECASE)
_WAN_KEY = re.compile(r"\b(?:wan|circuit|connectivity|uplink|internet|link|carrier)\b", re.IGNORECASE)
_BACKUP_KEY = re.compile(r"\b(?:backup|secondary|failover|resilien\w*|redundan\w*|diverse)\b", re.IGNORECASE)
_STATUS_KEY = re.compile(r"^(?:status|state|migration(?: status)?)$", re.IGNORECASE)
_NONE = re.compile(r"^\s*(?:none|no|n/?a|nil|-+|–|—|not (?:installed|available|present)|tbd)\s*\.?$", re.IGNORECASE)
_DUAL = re.compile(r"\b(?:2x|dual|two|diverse|redundant)\b|\bwith (?:LTE|4G|5G) failover\b", re.IGNORECASE)
_SINGLE_TEXT = re.compile(r"\bsingle (?:WAN |internet |MPLS )?(?:link|circuit|line|connection)\b|\bno (?:backup|secondary|failover) (?:link|circuit|line|connection|internet)\b", re.IGNORECASE)
_LEGACY = re.compile(r"\blegacy\b|\bmigration (?:TBD|pending|planned|not started|outstanding)\b|\bto be migrated\b|\bnot (?:yet )?migrated\b", re.IGNORECASE)
_CORE_SITE = re.compile(r"\b(?:HQ|head ?quarters|data ?cent(?:er|re)|server room|colocation|colo|hub)\b", re.IGNORECASE)


def _row(text: str) -> dict[str, str]:
    """"Key: value; Key: value" (a register row as a fact quotes it) → {key: value}."""
    cells = {}
    for part in re.split(r"\s*[;|]\s*", text or ""):
        key, sep, value = part.partition(":")
        if sep and 0 < len(key.strip()) <= 30:
            cells[key.strip().lower()] = value.strip()
    return cells


def _sites(view: DealView, entity: str) -> dict[str, tuple[dict[str, str], list[FactRecord]]]:
    """Site name → (row, facts quoting it), for rows that name a site and its WAN."""
    found: dict[str, tuple[dict[str, str], list[FactRecord]]] = {}
    for fact in view.of(entity):
        if (fact.details or {}).get("resilience") == "single_link":
            continue  # the per-domain single_network_link rule reports it (one finding per risk)
        row = _row(fact.evidence)
        name = next((v for k, v in row.items() if _SITE_KEY.match(k) and v), None)
        if not name or not any(_WAN_KEY.search(k) for k in row):
            continue
        entry = found.setdefault(name, (row, []))
        entry[1].append(fact)
    return found


def _without_backup(sites) -> list[str]:
    """Sites whose row says there is no second path, or leaves the backup column out where the rows of the
    same register fill it in."""
    tables: dict[str, set[str]] = {}
    for row, facts in sites.values():
        tables.setdefault(document_of(facts[0]), set()).update(k for k in row if _BACKUP_KEY.search(k))
    single = []
    for name, (row, facts) in sorted(sites.items()):
        text = " ".join(f"{k}: {v}" for k, v in row.items())
        backup = [v for k, v in row.items() if _BACKUP_KEY.search(k)]
        wan = " ".join(v for k, v in row.items() if _WAN_KEY.search(k))
        if _SINGLE_TEXT.search(text):
            single.append(name)
        elif backup:
            if all(_NONE.match(v) for v in backup) and not _DUAL.search(wan):
                single.append(name)
        elif tables.get(document_of(facts[0])) and not _DUAL.search(wan):
            single.append(name)  # the register has a backup column and this row leaves it empty
    return single


def _kind(row: dict[str, str]) -> str:
    return " ".join(v for k, v in row.items() if re.search(r"\b(?:type|role|use|function)\b", k))


def findings(view: DealView, rules: Rules) -> list[FindingItem]:
    out = []
    for entity in view.entities_in_scope():
        sites = _sites(view, entity)
        if not sites:
            continue
        who = "" if entity == "target" else f" ({entity})"
        single = _without_backup(sites)
        if single:
            facts = [f for name in single for f in sites[name][1]]
            core = [n for n in single if _CORE_SITE.search(f"{n} {_kind(sites[n][0])}")]
            out.append(
                make_finding(
                    "site_without_backup_link",
                    domain="network",
                    finding_type="risk",
                    title=f"WAN resilience: sites without a backup connection{who}",
                    description=(
                        f"{len(single)} of {len(sites)} sites of the {entity} have a single WAN / internet connection and no "
                        f"backup link: {', '.join(single)}. An outage of that circuit stops the site"
                        + (f"; {', '.join(core)} host{'s' if len(core) == 1 else ''} systems every other site depends on." if core else ".")
                    ),
                    reasoning=f"The site register gives no backup connection for these sites ({quotes(facts)}).",
                    severity="high" if core else "medium",
                    phase="100_day",
                    mitigation="Add a diverse backup circuit or LTE/5G failover, core sites first; include it in the WAN migration.",
                    triggers=facts,
                    details={"entity": entity, "sites": single},
                )
            )
        legacy = [n for n, (row, _) in sorted(sites.items()) if any(_STATUS_KEY.match(k) and _LEGACY.search(v) for k, v in row.items())]
        if legacy:
            facts = [f for name in legacy for f in sites[name][1]]
            described = "; ".join(
                f"{n} ({', '.join(v for k, v in sites[n][0].items() if _WAN_KEY.search(k) or 'device' in k or 'router' in k)})"
                for n in legacy
            )
            out.append(
                make_finding(
                    "legacy_sites",
                    domain="network",
                    finding_type="work_item",
                    title=f"Migrate the sites still on the legacy WAN{who}",
                    description=(
                        f"{len(legacy)} of {len(sites)} sites of the {entity} are marked legacy or not yet migrated to the "
                        f"standard WAN: {described}. They need their own migration plan before the networks are joined."
                    ),
                    reasoning=f"The site register marks them legacy / migration outstanding ({quotes(facts)}).",
                    severity="medium",
                    phase="100_day",
                    mitigation="Schedule the remaining sites' cut-over with the integration; replace edge devices near end of life at the same time.",
                    triggers=facts,
                    details={"entity": entity, "sites": legacy},
                )
            )
    return out
