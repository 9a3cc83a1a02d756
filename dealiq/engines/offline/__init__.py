"""The offline rule engine (default without an API key; what the demo and CI run).

Rules live in data files under dealiq/rules/ (see docs/engine.md); this package applies them:
fact_rules (YAML fact rules), products (end-of-life catalogue facts), findings (reasoning families),
costing (cost model and roll-ups).
"""
from .costing import roll_up
from .engine import OfflineEngine, fact_records

__all__ = ["OfflineEngine", "fact_records", "roll_up"]
