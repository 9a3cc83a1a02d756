from .choices import (  # noqa: F401
    ACTIVE_RUN_STATUSES,
    CELERY_PRIORITY,
    DISCOVERY_ENTITY,
    FINISHED_RUN_STATUSES,
    SETTLED_STEP_STATUSES,
    STEP_ORDER,
    BatchStatus,
    DomainChoice,
    FindingType,
    Importance,
    LinkType,
    Phase,
    Priority,
    RunOrigin,
    RunStatus,
    Severity,
    StepKind,
    StepStatus,
    VdrStatus,
    Verification,
)
from .events import Notification  # noqa: F401
from .results import CONTENT_FIELDS, REVIEWED_FIELDS, Fact, FactFindingLink, Finding, Gap  # noqa: F401
from .reviews import FindingComment, FindingReview, ReviewDecision  # noqa: F401
from .runs import AnalysisBatch, AnalysisRun, EngineCall, RunStep  # noqa: F401
