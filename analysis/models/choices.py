"""Enumerations shared by the analysis models (values match dealiq.schemas)."""
from django.db import models
from django.db.models import Q

from dealiq.domains import DOMAINS


def choices_check(field: str, choices: type[models.TextChoices], name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=name)


DomainChoice = models.TextChoices("DomainChoice", [(d.key.upper(), (d.key, d.label)) for d in DOMAINS])


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED_RUN_STATUSES = (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED)
ACTIVE_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class StepKind(models.TextChoices):
    DISCOVER_TARGET = "discover_target", "Discover target"
    DISCOVER_BUYER = "discover_buyer", "Discover buyer"
    REASON = "reason", "Reason"


# The order of a domain's chain.
STEP_ORDER = (StepKind.DISCOVER_TARGET, StepKind.DISCOVER_BUYER, StepKind.REASON)
DISCOVERY_ENTITY = {StepKind.DISCOVER_TARGET: "target", StepKind.DISCOVER_BUYER: "buyer"}


class StepStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting for its message batch"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    REUSED = "reused", "Reused"


SETTLED_STEP_STATUSES = (StepStatus.DONE, StepStatus.REUSED)


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"


# Celery/Redis priority: 0 is served first.
CELERY_PRIORITY = {Priority.HIGH: 0, Priority.NORMAL: 5, Priority.LOW: 9}


class BatchStatus(models.TextChoices):
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    COMPLETED_WITH_FAILURES = "completed_with_failures", "Completed with failures"
    CANCELLED = "cancelled", "Cancelled"


class Verification(models.TextChoices):
    PENDING = "pending", "Pending"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"


class VdrStatus(models.TextChoices):
    """Where a gap stands as a request to the seller."""

    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"  # a document of a later run answers it (quote, document, page kept)
    CLOSED = "closed", "Closed"  # an analyst resolved it


class RunOrigin(models.TextChoices):
    ANALYSED = "analysed", "Analysed by DealIQ"
    IMPORTED = "imported", "Imported"


class Importance(models.TextChoices):
    CRITICAL = "critical", "Critical"
    IMPORTANT = "important", "Important"
    NICE_TO_HAVE = "nice_to_have", "Nice to have"


class FindingType(models.TextChoices):
    RISK = "risk", "Risk"
    WORK_ITEM = "work_item", "Work item"
    RECOMMENDATION = "recommendation", "Recommendation"


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Phase(models.TextChoices):
    DAY_1 = "day_1", "Day 1"
    TSA = "tsa", "TSA"
    HUNDRED_DAY = "100_day", "100-day"
    LONG_TERM = "long_term", "Long term"


class LinkType(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    TRIGGERS = "triggers", "Triggers"
    CONTRADICTS = "contradicts", "Contradicts"
