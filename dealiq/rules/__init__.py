"""The offline engine's rule data: YAML files a consultant can extend without touching code.

- `facts/<domain>.yaml` — fact rules (what to recognise in a line and how to phrase the fact);
- `products.yaml` — which domain, category and cost item each end-of-life catalogue product belongs to;
- `checklist.yaml` — per-domain topics a data room must answer (the gap rules);
- `findings.yaml` — finding rules (which rule family, which facts, severity, phase, wording);
- `costs.yaml` — the cost model (unit costs, ranges and the assumptions behind them);
- `lexicon.yaml` — shared vocabulary: placeholder answers ("TBD"), status words, date and number patterns.

See docs/engine.md for the format of each file and how to add a rule.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

RULES_DIR = Path(__file__).resolve().parent
RULES_VERSION = "1.4"  # 1.1: the deal-level layer; 1.2: self-described gaps, tables read as tables; 1.3: claims per document, one finding per risk; 1.4: carve-out generalisation (counts in words, single-factor logins, total lines, terse gaps)


class RuleError(ValueError):
    """A rule file is malformed; the message names the file and the rule."""


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise RuleError(f"{path}: not valid YAML: {exc}") from None


@lru_cache(maxsize=64)
def load(name: str, rules_dir: str | None = None) -> Any:
    """One rule file by relative name (e.g. "checklist.yaml", "facts/network.yaml")."""
    path = Path(rules_dir or RULES_DIR) / name
    if not path.exists():
        raise RuleError(f"rule file {path} not found")
    return _read(path)


def fact_rule_files(rules_dir: str | None = None) -> list[str]:
    folder = Path(rules_dir or RULES_DIR) / "facts"
    return sorted(f"facts/{p.name}" for p in folder.glob("*.yaml"))


@lru_cache(maxsize=8)
def ruleset_digest(rules_dir: str | None = None) -> str:
    """A short hash of every rule file: two runs with the same digest applied the same rules."""
    root = Path(rules_dir or RULES_DIR)
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.yaml")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]
