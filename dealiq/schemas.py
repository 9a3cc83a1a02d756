"""Plain data the engines take and return. JSON-round-trippable (sub-checkpoints store them).

The Django side turns these into rows; engines never see a model instance.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .domains import DOMAIN_KEYS, ENTITIES
from .keys import fact_key, finding_key, gap_key

IMPORTANCES = ("critical", "important", "nice_to_have")
SEVERITIES = ("critical", "high", "medium", "low")
PHASES = ("day_1", "tsa", "100_day", "long_term")
FINDING_TYPES = ("risk", "work_item", "recommendation")
LINK_TYPES = ("supports", "triggers", "contradicts")
DEAL_TYPES = ("acquisition", "carve_out", "merger")


class SchemaError(ValueError):
    """An engine produced an item that does not fit the result schema."""


def _require(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise SchemaError(f"{what} must be one of {', '.join(allowed)}, not {value!r}")
    return value


@dataclass(frozen=True)
class SourcePage:
    """One page of one document, as an engine reads it."""

    document_id: int
    page_number: int
    text: str
    filename: str = ""
    entity: str = "target"


@dataclass(frozen=True)
class DealContext:
    name: str
    deal_type: str = "acquisition"
    target_name: str = ""
    buyer_name: str = ""
    industry: str = ""
    reference_date: dt.date = field(default_factory=dt.date.today)


@dataclass
class Usage:
    """What the model calls of one step cost. Offline engine: zeros, calls=0."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cost: float = 0.0
    model: str = ""
    request_ids: list[str] = field(default_factory=list)
    call_records: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: "Usage") -> "Usage":
        self.calls += other.calls
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_creation_input_tokens += other.cache_creation_input_tokens
        self.cache_read_input_tokens += other.cache_read_input_tokens
        self.cost += other.cost
        self.model = self.model or other.model
        self.request_ids.extend(other.request_ids)
        self.call_records.extend(other.call_records)
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "Usage":
        return cls(**(data or {}))


@dataclass
class ItemReport:
    """What validation did to a step's items: how many were kept (normalised ones included), how many
    of those were normalised (kept with a fix; fixes counted by reason) and how many were dropped (by
    reason). Reasons are short readable phrases ("cost range out of order (range removed)", "evidence
    not found in the document")."""

    kept: int = 0
    normalised_items: int = 0
    normalised: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)

    def normalise(self, reason: str, n: int = 1) -> None:
        if n:
            self.normalised[reason] = self.normalised.get(reason, 0) + n

    def drop(self, reason: str, n: int = 1) -> None:
        if n:
            self.dropped[reason] = self.dropped.get(reason, 0) + n

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    @property
    def normalised_total(self) -> int:
        return sum(self.normalised.values())

    def add(self, other: "ItemReport") -> "ItemReport":
        self.kept += other.kept
        self.normalised_items += other.normalised_items
        for reason, n in other.normalised.items():
            self.normalise(reason, n)
        for reason, n in other.dropped.items():
            self.drop(reason, n)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "kept": self.kept,
            "normalised_items": self.normalised_items,
            "normalised": dict(self.normalised),
            "dropped": dict(self.dropped),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "ItemReport":
        data = data or {}
        return cls(
            kept=data.get("kept", 0),
            normalised_items=data.get("normalised_items", 0),
            normalised=dict(data.get("normalised", {})),
            dropped=dict(data.get("dropped", {})),
        )


@dataclass
class FactItem:
    entity: str
    domain: str
    category: str
    item: str
    evidence: str
    document_id: int
    pages: list[int] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    confidence: float = 1.0

    def __post_init__(self) -> None:
        _require(self.entity, ENTITIES, "entity")
        _require(self.domain, DOMAIN_KEYS, "domain")
        if not self.item.strip():
            raise SchemaError("fact item is empty")

    @property
    def key(self) -> str:
        return fact_key(self.entity, self.domain, self.category, self.item)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FactItem":
        return cls(**data)


@dataclass
class GapItem:
    entity: str
    domain: str
    category: str
    description: str
    importance: str = "important"
    suggested_sources: list[str] = field(default_factory=list)
    # A gap the documents state themselves ("DR test: to be confirmed") carries the statement, verbatim,
    # and where it stands; a checklist topic no document mentions has none of these.
    evidence: str = ""
    document_id: int | None = None
    pages: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        _require(self.entity, ENTITIES, "entity")
        _require(self.domain, DOMAIN_KEYS, "domain")
        _require(self.importance, IMPORTANCES, "importance")

    @property
    def key(self) -> str:
        return gap_key(self.entity, self.domain, self.category, self.description)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "GapItem":
        return cls(**data)


@dataclass
class FactLink:
    fact_key: str
    link_type: str = "triggers"

    def __post_init__(self) -> None:
        _require(self.link_type, LINK_TYPES, "link_type")


@dataclass
class FindingItem:
    domain: str
    finding_type: str
    title: str
    description: str
    reasoning: str
    severity: str
    phase: str
    cost_low: int | None = None
    cost_high: int | None = None
    currency: str = "USD"
    mitigation: str = ""
    links: list[FactLink] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _require(self.domain, DOMAIN_KEYS, "domain")
        _require(self.finding_type, FINDING_TYPES, "finding_type")
        _require(self.severity, SEVERITIES, "severity")
        _require(self.phase, PHASES, "phase")
        self.links = [l if isinstance(l, FactLink) else FactLink(**l) for l in self.links]
        if self.cost_low is not None and self.cost_high is not None and self.cost_low > self.cost_high:
            raise SchemaError("cost_low is above cost_high")

    @property
    def key(self) -> str:
        return finding_key(self.domain, self.finding_type, self.title)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FindingItem":
        return cls(**data)


@dataclass
class DiscoveryResult:
    facts: list[FactItem] = field(default_factory=list)
    gaps: list[GapItem] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    dropped_ungrounded: int = 0
    items: ItemReport = field(default_factory=ItemReport)

    def extend(self, other: "DiscoveryResult") -> "DiscoveryResult":
        self.facts.extend(other.facts)
        self.gaps.extend(other.gaps)
        self.usage.add(other.usage)
        self.dropped_ungrounded += other.dropped_ungrounded
        self.items.add(other.items)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "facts": [f.to_dict() for f in self.facts],
            "gaps": [g.to_dict() for g in self.gaps],
            "usage": self.usage.to_dict(),
            "dropped_ungrounded": self.dropped_ungrounded,
            "items": self.items.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DiscoveryResult":
        return cls(
            facts=[FactItem.from_dict(f) for f in data.get("facts", [])],
            gaps=[GapItem.from_dict(g) for g in data.get("gaps", [])],
            usage=Usage.from_dict(data.get("usage")),
            dropped_ungrounded=data.get("dropped_ungrounded", 0),
            items=ItemReport.from_dict(data.get("items")),
        )


@dataclass(frozen=True)
class FactRecord:
    """A saved fact as the reasoning step sees it (ref is a short id the engine may cite)."""

    key: str
    entity: str
    domain: str
    category: str
    item: str
    details: dict[str, Any]
    evidence: str
    document_id: int | None = None
    pages: tuple[int, ...] = ()
    ref: str = ""

    @classmethod
    def of(cls, fact: Any, *, key: str | None = None, ref: str = "") -> "FactRecord":
        """The record of anything shaped like a fact — an engine's FactItem or a saved row (the one place
        a fact's fields are listed for reasoning)."""
        return cls(
            key=fact.key if key is None else key,
            entity=fact.entity,
            domain=fact.domain,
            category=fact.category,
            item=fact.item,
            details=dict(fact.details or {}),
            evidence=fact.evidence,
            document_id=fact.document_id,
            pages=tuple(fact.pages or ()),
            ref=ref,
        )


@dataclass(frozen=True)
class GapRecord:
    key: str
    entity: str
    domain: str
    category: str
    description: str
    importance: str


@dataclass
class ReasoningResult:
    findings: list[FindingItem] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    dropped_links: int = 0
    items: ItemReport = field(default_factory=ItemReport)


@dataclass
class DiscoveryRequest:
    """Everything a discovery step needs. `completed_batches` / `on_batch_done` are the sub-checkpoint:

    an engine that splits the pages into several model calls reports each batch's grounded result
    through `on_batch_done(index, result)` (the pipeline saves it at once) and skips any batch index
    already present in `completed_batches` when a step is retried.
    """

    deal: DealContext
    domain: str
    entity: str
    pages: list[SourcePage]
    completed_batches: dict[int, DiscoveryResult] = field(default_factory=dict)
    on_batch_done: Any = None  # Callable[[int, DiscoveryResult], None] | None
    should_stop: Any = None  # Callable[[], bool] | None: True once the run was cancelled
    # Answers already obtained for some batches (Message Batches API), by batch index: the engine uses
    # them instead of calling for those batches, and validates and grounds them the same way.
    prefetched: dict[int, Any] = field(default_factory=dict)
    # The paid-answer sub-checkpoint (dealiq.engines.AnswerStore): answers saved by an
    # earlier attempt are replayed instead of paid for again.
    answers: Any = None
    # The caller's rate limit (dealiq.engines.CallLimiter), asked right before each model call.
    before_call: Any = None
    # How many calls of the run share this call's cached prefix (the run's domains): an engine may
    # pre-warm the prompt cache for them when there are several.
    shared_by: int = 1


@dataclass
class ReasoningRequest:
    deal: DealContext
    domain: str
    facts: list[FactRecord]
    gaps: list[GapRecord]
    should_stop: Any = None
    answers: Any = None  # the paid-answer sub-checkpoint, as on DiscoveryRequest
    before_call: Any = None  # the caller's rate limit, as on DiscoveryRequest
    shared_by: int = 1  # as on DiscoveryRequest (with deal_facts: the domains reasoning over them)
    # The whole deal's facts and gaps (every domain, both parties), for engines that reason with the
    # deal as context (the Claude engine puts them in the prompt prefix the six domains share). Empty:
    # `facts` and `gaps` only.
    deal_facts: list[FactRecord] = field(default_factory=list)
    deal_gaps: list[GapRecord] = field(default_factory=list)
