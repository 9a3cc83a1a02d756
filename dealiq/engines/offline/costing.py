"""The cost model (dealiq/rules/costs.yaml) applied to a finding, and cost roll-ups.

An estimate is unit cost × quantity, as a low–high range, with the assumption text carried along so the
finding can show where its number comes from. Only work items carry costs (a risk and the work item
that fixes it would otherwise be counted twice in a roll-up).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from ...rules import RuleError, load
from ...schemas import FindingItem


@dataclass(frozen=True)
class CostItem:
    id: str
    label: str
    unit: str
    low: int
    high: int
    assumption: str
    source: str
    default_quantity: int | None = None

    @property
    def fixed(self) -> bool:
        return self.unit == "fixed"


@dataclass(frozen=True)
class CostEstimate:
    item: CostItem
    quantity: int
    quantity_basis: str  # where the quantity comes from, in words
    low: int
    high: int

    def as_assumption(self) -> dict:
        return {
            "item": self.item.id,
            "label": self.item.label,
            "unit": self.item.unit,
            "quantity": self.quantity,
            "quantity_basis": self.quantity_basis,
            "unit_cost_low": self.item.low,
            "unit_cost_high": self.item.high,
            "low": self.low,
            "high": self.high,
            "assumption": self.item.assumption,
            "source": self.item.source,
        }

    def sentence(self, currency: str) -> str:
        if self.item.fixed:
            basis = f"{self.item.label}: {currency} {self.low:,}–{self.high:,}"
        else:
            basis = (
                f"{self.item.label}: {self.quantity:,} {_plural(self.item.unit, self.quantity)} "
                f"({self.quantity_basis}) × {currency} {self.item.low:,}–{self.item.high:,} = {currency} {self.low:,}–{self.high:,}"
            )
        return f"{basis}. Assumption: {self.item.assumption} Source: {self.item.source}."


def _plural(unit: str, quantity: int) -> str:
    return unit if quantity == 1 else f"{unit}s"


class CostModel:
    def __init__(self, currency: str, items: dict[str, CostItem]):
        self.currency = currency
        self.items = items

    @classmethod
    @lru_cache(maxsize=8)
    def load(cls, rules_dir: str | None = None) -> "CostModel":
        data = load("costs.yaml", rules_dir)
        items = {}
        for item_id, raw in (data.get("items") or {}).items():
            try:
                low, high = int(raw["low"]), int(raw["high"])
            except (KeyError, TypeError, ValueError):
                raise RuleError(f"costs.yaml {item_id}: low and high must be whole numbers") from None
            if low > high:
                raise RuleError(f"costs.yaml {item_id}: low is above high")
            items[item_id] = CostItem(
                id=item_id,
                label=raw.get("label", item_id),
                unit=raw.get("unit", "fixed"),
                low=low,
                high=high,
                assumption=raw.get("assumption", ""),
                source=raw.get("source", ""),
                default_quantity=raw.get("default_quantity"),
            )
        return cls(data.get("currency", "USD"), items)

    def estimate(self, item_id: str | None, quantity: int | None = None, basis: str = "", *,
                 quantity_high: int | None = None) -> CostEstimate | None:
        """Cost of `quantity` units (a range of quantities when the data room disagrees with itself)."""
        if not item_id:
            return None
        item = self.items.get(item_id)
        if item is None:
            raise RuleError(f"cost item {item_id!r} is not in costs.yaml")
        if item.fixed:
            return CostEstimate(item, 1, "fixed", item.low, item.high)
        if not quantity:
            quantity = item.default_quantity or 1
            basis = f"not stated in the data room; assumed {quantity:,}"
        top = max(quantity_high or quantity, quantity)
        if top != quantity:
            basis = f"{basis}; figures range {quantity:,}–{top:,}"
        return CostEstimate(item, quantity, basis, item.low * quantity, item.high * top)


def roll_up(findings: Iterable[FindingItem]) -> dict[str, dict[str, tuple[int, int]]]:
    """Total (low, high) cost by domain and phase, plus a "total" row and column."""
    table: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for finding in findings:
        if finding.cost_low is None and finding.cost_high is None:
            continue
        low, high = finding.cost_low or 0, finding.cost_high or finding.cost_low or 0
        for domain in (finding.domain, "total"):
            for phase in (finding.phase, "total"):
                table[domain][phase][0] += low
                table[domain][phase][1] += high
    return {d: {p: (v[0], v[1]) for p, v in phases.items()} for d, phases in table.items()}
