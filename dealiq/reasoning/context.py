"""The reference data every deal-level rule may use: the product catalogue profiles and the cost model."""
from __future__ import annotations

from dataclasses import dataclass

from ..domains import DOMAIN_KEYS
from ..engines.offline.costing import CostModel
from ..engines.offline.products import ProductRules
from ..eol.catalogue import Release
from ..schemas import FactRecord


@dataclass(frozen=True)
class Rules:
    products: ProductRules
    costs: CostModel

    @classmethod
    def load(cls, rules_dir: str | None = None) -> Rules:
        return cls(ProductRules.load(rules_dir), CostModel.load(rules_dir))

    def domain_of(self, release: Release, fact: FactRecord) -> str:
        domain = self.products.profile(release).domain
        return domain if domain in DOMAIN_KEYS else fact.domain

    def cost(self, item: str, quantity: int | None = None, quantity_high: int | None = None, basis: str = ""):
        if item not in self.costs.items:
            return None
        return self.costs.estimate(item, quantity, basis or "stated in the documents", quantity_high=quantity_high)
