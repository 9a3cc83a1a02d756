"""The shared vocabulary (lexicon.yaml) compiled once: placeholders, control status words, macros."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from . import RuleError, load

PRESENT, PARTIAL, ABSENT = "present", "partial", "absent"
_MACRO = re.compile(r"\{([A-Z][A-Z_]*)\}")


@dataclass(frozen=True)
class Lexicon:
    placeholders: tuple[re.Pattern, ...]
    partial: tuple[re.Pattern, ...]
    absent: tuple[re.Pattern, ...]
    percent: re.Pattern
    status_labels: dict[str, str]
    macros: dict[str, str]

    def is_placeholder(self, text: str) -> bool:
        return any(p.search(text) for p in self.placeholders)

    def expand(self, pattern: str) -> str:
        """Replace {DATE}, {NUM}… by their patterns; other braces (regex quantifiers) are left alone."""

        def replace(match: re.Match) -> str:
            name = match.group(1)
            return self.macros[name] if name in self.macros else match.group(0)

        return _MACRO.sub(replace, pattern)

    def compile(self, pattern: str, where: str) -> re.Pattern:
        try:
            return re.compile(self.expand(pattern), re.IGNORECASE)
        except re.error as exc:
            raise RuleError(f"{where}: bad pattern {pattern!r}: {exc}") from None

    def status_of(self, text: str) -> tuple[str, float | None]:
        """present / partial / absent for a control, judged from the words near its mention."""
        percentages = [float(m.group("pct")) for m in self.percent.finditer(text)]
        coverage = min(percentages) if percentages else None
        if coverage is not None and coverage < 100:
            return PARTIAL, coverage
        if any(p.search(text) for p in self.partial):
            return PARTIAL, coverage
        if coverage is None and any(p.search(text) for p in self.absent):
            return ABSENT, coverage
        return PRESENT, coverage


@lru_cache(maxsize=8)
def get_lexicon(rules_dir: str | None = None) -> Lexicon:
    data = load("lexicon.yaml", rules_dir)
    status = data.get("status", {})
    macros = {k: v for k, v in (data.get("macros") or {}).items()}

    def compile_all(patterns, where) -> tuple[re.Pattern, ...]:
        try:
            return tuple(re.compile(p, re.IGNORECASE) for p in patterns or [])
        except re.error as exc:
            raise RuleError(f"lexicon.yaml {where}: {exc}") from None

    return Lexicon(
        placeholders=compile_all(data.get("placeholders"), "placeholders"),
        partial=compile_all(status.get("partial"), "status.partial"),
        absent=compile_all(status.get("absent"), "status.absent"),
        percent=re.compile(status.get("percent", r"(?P<pct>\d{1,3})\s?%")),
        status_labels={PRESENT: "in place", PARTIAL: "partial coverage", ABSENT: "not in place", **(status.get("labels") or {})},
        macros=macros,
    )
