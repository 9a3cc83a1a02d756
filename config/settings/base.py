"""DealIQ settings shared by every environment, all from the environment variables (read through
config/env.py, which names the variable in every error).

The environment picks one module on top of this one (cookiecutter-django's layout):
  local.py       development and `make demo` (manage.py and the Celery app default to it)
  test.py        pytest (pytest.ini)
  production.py  deployments (the Docker image and config/wsgi.py default to it)

Embedded default (nothing set): SQLite under var/, Celery eager in-process, offline engine.
Real stack: DATABASE_URL=postgres://…, CELERY_BROKER_URL=redis://… and `celery -A config worker`.
"""
from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_prices,
    env_rate_limits,
    env_str,
)
from config.logging import build_logging
from dealiq.engines.anthropic_engine.pricing import DEFAULT_PRICES
from dealiq.redis_client import is_redis_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("DEALIQ_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# No SECRET_KEY here: local.py and test.py have a fixed development key, production.py insists on one.

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_filters",
    "audit",
    "deals",
    "analysis",
    "workers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'dealiq.sqlite3'}"),
        # Persistent connections (health-checked before reuse): a pipeline step does not open a new one
        # (a PostgreSQL backend per step cost ~1/3 of a step's overhead in bench/bench_step_overhead.py).
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Workers and the web process share one file: wait for locks instead of failing at once, and take
    # the write lock when a transaction starts (IMMEDIATE), so two processes never deadlock upgrading
    # a read lock — SQLite would fail one of them at once instead of waiting.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "deals:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # production.py swaps in whitenoise's compressed, hashed files (needs collectstatic).
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- security: HTTPS, HSTS and secure cookies are in production.py ------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
# No broker set: the embedded default. `manage.py serve` (make serve) sets DEALIQ_EMBEDDED_WORKER=1 for
# the web server and the one worker it starts: tasks then go through kombu's filesystem transport (a
# directory under var/, no server to run) to that worker, so "Start run" returns at once and the run
# page shows live progress. Every other process (demo, analyze, shell, tests) runs tasks eagerly
# in-process, as before. docs/operations.md says why the filesystem transport.
DEALIQ_EMBEDDED_WORKER = CELERY_BROKER_URL is None and env_bool("DEALIQ_EMBEDDED_WORKER", False)
DEALIQ_EMBEDDED_BROKER_DIR = Path(env_str("DEALIQ_EMBEDDED_BROKER_DIR", str(VAR_DIR / "broker")))
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None and not DEALIQ_EMBEDDED_WORKER
if DEALIQ_EMBEDDED_WORKER:
    CELERY_BROKER_URL = "filesystem://"
elif CELERY_TASK_ALWAYS_EAGER:
    CELERY_BROKER_URL = "memory://localhost/"  # eager apply_async still builds a producer; keep it in-process
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND")
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "dealiq")
CELERY_TASK_TRACK_STARTED = True
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# An unacknowledged message comes back only after the visibility timeout; the hard time limit stays
# below it so a step is never redelivered while its first copy may still be running legitimately.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 1800)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", CELERY_TASK_TIME_LIMIT - 60)
if CELERY_TASK_TIME_LIMIT >= CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured("CELERY_TASK_TIME_LIMIT must stay below CELERY_VISIBILITY_TIMEOUT")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "queue_order_strategy": "priority",
    "priority_steps": list(range(10)),
    "sep": ":",
}
if DEALIQ_EMBEDDED_WORKER:
    # One folder both ways: the web process writes messages, the worker reads them; the worker deletes
    # a message file when it acknowledges it. Broadcast (remote control) has a folder of its own.
    for _name in ("queue", "processed", "control"):
        (DEALIQ_EMBEDDED_BROKER_DIR / _name).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(DEALIQ_EMBEDDED_BROKER_DIR / "queue"),
        "data_folder_out": str(DEALIQ_EMBEDDED_BROKER_DIR / "queue"),
        "processed_folder": str(DEALIQ_EMBEDDED_BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(DEALIQ_EMBEDDED_BROKER_DIR / "control"),
        "polling_interval": env_float("DEALIQ_EMBEDDED_POLL_SECONDS", 0.2),  # a directory listing: cheap
    }
CELERY_TASK_DEFAULT_PRIORITY = 5
CELERY_BEAT_SCHEDULE = {
    "dealiq-watchdog": {
        "task": "dealiq.watchdog",
        "schedule": env_float("DEALIQ_WATCHDOG_INTERVAL", 5.0),
    },
    # Steps waiting for an Anthropic Message Batch (workers/message_batches.py).
    "dealiq-poll-message-batches": {
        "task": "dealiq.poll_message_batches",
        "schedule": env_float("DEALIQ_MESSAGE_BATCH_POLL_SECONDS", 60.0),
    },
    # Audit events and per-call usage rows past their retention (workers/ops/retention.py).
    "dealiq-purge-old-rows": {
        "task": "dealiq.purge_old_rows",
        "schedule": env_float("DEALIQ_PURGE_INTERVAL", 24 * 3600.0),
    },
}

# --- DealIQ -----------------------------------------------------------------------------------
ANTHROPIC_API_KEY = env_str("ANTHROPIC_API_KEY")
ANTHROPIC_BASE_URL = env_str("ANTHROPIC_BASE_URL")
ANTHROPIC_MODEL = env_str("ANTHROPIC_MODEL", "claude-sonnet-4-6")
ANTHROPIC_MAX_TOKENS = env_int("ANTHROPIC_MAX_TOKENS", 8192)
ANTHROPIC_TIMEOUT = env_float("ANTHROPIC_TIMEOUT", 120.0)
ANTHROPIC_MAX_RETRIES = env_int("ANTHROPIC_MAX_RETRIES", 0)
ANTHROPIC_REASONING_MODEL = env_str("ANTHROPIC_REASONING_MODEL")  # empty: reason with ANTHROPIC_MODEL
ANTHROPIC_TOKEN_BUDGET = env_int("ANTHROPIC_TOKEN_BUDGET", 120_000)
ANTHROPIC_CACHE_TTL = env_choice("ANTHROPIC_CACHE_TTL", "5m", ("5m", "1h"))
# The first call for a cached prefix the run's domains share is streamed and lets the others go once its
# response has begun, instead of after its whole answer (docs/claude-engine.md, prompt caching).
ANTHROPIC_PREWARM = env_bool("ANTHROPIC_PREWARM", True)
# Runs of these priorities send their discovery calls through the Message Batches API (half price,
# answers within 24 h; workers/message_batches.py). Needs beat, so none in embedded (eager) mode.
ANTHROPIC_MESSAGE_BATCH_PRIORITIES = [
    p for p in env_list("ANTHROPIC_MESSAGE_BATCH_PRIORITIES", ["none"] if CELERY_TASK_ALWAYS_EAGER else ["low"])
    if p != "none"  # "none": never
]
if set(ANTHROPIC_MESSAGE_BATCH_PRIORITIES) - {"low", "normal", "high"}:
    raise ImproperlyConfigured("ANTHROPIC_MESSAGE_BATCH_PRIORITIES: a comma list of low, normal, high (or none)")

# USD per million tokens per model (+ cache/batch multipliers). ANTHROPIC_PRICES overrides the built-in
# table with inline JSON or the path of a JSON file; a bad value stops startup loudly.
ANTHROPIC_PRICES = env_prices("ANTHROPIC_PRICES", DEFAULT_PRICES)
# Which engine analyses: "anthropic" when a key is set, else the offline rule engine.
BUILTIN_ENGINES = ("offline", "anthropic")
DEALIQ_ENGINE_DEFAULT = "anthropic" if ANTHROPIC_API_KEY else "offline"
# Engines imported by dotted path ({name: "package.module:ClassName"}): none here, and production.py refuses
# DEALIQ_EXTRA_ENGINES — only local.py and test.py read it (tests register their engines that way). So each
# of those modules sets DEALIQ_ENGINE (env_choice: one of the engines it knows) after its extra engines.
DEALIQ_EXTRA_ENGINES: dict[str, str] = {}

DEALIQ_STEP_MAX_ATTEMPTS = env_int("DEALIQ_STEP_MAX_ATTEMPTS", 5)
# The deal-level reasoning layer (dealiq/reasoning) at finalize: on for every engine. Off only for tests
# that check pages against hand-written findings.
DEALIQ_DEAL_REASONING = env_bool("DEALIQ_DEAL_REASONING", True)
# Incremental re-analysis: a step whose input fingerprint matches a settled step of an earlier completed run
# of the deal copies that step's results instead of calling its engine (docs/pipeline.md).
DEALIQ_REUSE_UNCHANGED_STEPS = env_bool("DEALIQ_REUSE_UNCHANGED_STEPS", True)
DEALIQ_RETRY_BACKOFF_BASE = env_float("DEALIQ_RETRY_BACKOFF_BASE", 5.0)
DEALIQ_RETRY_BACKOFF_CAP = env_float("DEALIQ_RETRY_BACKOFF_CAP", 600.0)
# A running step (or a message a worker holds) without heartbeat this long is lost: its worker is gone.
DEALIQ_HEARTBEAT_STALE_SECONDS = env_float("DEALIQ_HEARTBEAT_STALE_SECONDS", 15)
DEALIQ_MAX_AUTO_REQUEUES = env_int("DEALIQ_MAX_AUTO_REQUEUES", 3)
# A provider 429/529 waits (Retry-After, backoff) without spending a step attempt, up to this many
# seconds of waiting per step; past it, rate limits count as attempts like any transient error.
DEALIQ_RATE_LIMIT_WAIT_BUDGET_SECONDS = env_float("DEALIQ_RATE_LIMIT_WAIT_BUDGET_SECONDS", 3600.0)
DEALIQ_ERROR_MAX_CHARS = env_int("DEALIQ_ERROR_MAX_CHARS", 2000)

# --- DealIQ pipeline reliability (docs/pipeline.md) --------------------------------------------
# Rate limits per provider, shared by every worker through Redis: "provider=requests/tokens" per
# period, e.g. "anthropic=1000/450000". 0 means no limit on that dimension; a provider not listed is
# not limited (the offline engine makes no calls).
DEALIQ_RATE_LIMITS = env_rate_limits("DEALIQ_RATE_LIMITS", "anthropic=1000/450000")
DEALIQ_RATE_LIMIT_PERIOD_SECONDS = env_float("DEALIQ_RATE_LIMIT_PERIOD_SECONDS", 60.0)
# A step whose next model call must wait for the limiter sleeps in its worker up to this many seconds
# in all (a shorter wait than releasing the step and claiming it again costs); a longer wait releases the
# step for a retry with the wait as countdown, without spending an attempt.
DEALIQ_RATE_LIMIT_MAX_SLEEP_SECONDS = env_float("DEALIQ_RATE_LIMIT_MAX_SLEEP_SECONDS", 0.5)
# Redis the limiter counts in (default: the broker when it is Redis; else in-process counting).
DEALIQ_RATE_LIMIT_REDIS_URL = env_str(
    "DEALIQ_RATE_LIMIT_REDIS_URL", CELERY_BROKER_URL if is_redis_url(CELERY_BROKER_URL) else None
)
# Redis the prompt-cache warm-up gate locks in (default: the broker when it is Redis; else a file lock).
DEALIQ_WARMUP_REDIS_URL = env_str(
    "DEALIQ_WARMUP_REDIS_URL", CELERY_BROKER_URL if is_redis_url(CELERY_BROKER_URL) else None
)
# Running steps refresh their heartbeat this often (must stay well below the stale threshold).
DEALIQ_HEARTBEAT_INTERVAL_SECONDS = env_float(
    "DEALIQ_HEARTBEAT_INTERVAL_SECONDS", max(0.5, DEALIQ_HEARTBEAT_STALE_SECONDS / 5)
)
# A step's claim and save transactions on PostgreSQL (SET LOCAL): a statement waits for a row lock at most
# this long, and the server ends the transaction if it sits idle this long (a SIGSTOPped worker, a paused
# VM), releasing its locks. 0 turns one off.
DEALIQ_STEP_LOCK_TIMEOUT_MS = env_int("DEALIQ_STEP_LOCK_TIMEOUT_MS", 15_000)
DEALIQ_STEP_IDLE_TIMEOUT_MS = env_int("DEALIQ_STEP_IDLE_TIMEOUT_MS", 60_000)
# A message sent this long ago and received by no worker is taken as gone (Redis hands an unacknowledged
# message back after the visibility timeout; a message still in the queue is never re-sent before).
DEALIQ_DISPATCH_LOST_SECONDS = env_float("DEALIQ_DISPATCH_LOST_SECONDS", CELERY_VISIBILITY_TIMEOUT)
# Optional webhook told when a run or batch finishes: JSON POST, short timeout, a few retries.
DEALIQ_WEBHOOK_URL = env_str("DEALIQ_WEBHOOK_URL")
DEALIQ_WEBHOOK_TIMEOUT = env_float("DEALIQ_WEBHOOK_TIMEOUT", 5.0)
DEALIQ_WEBHOOK_RETRIES = env_int("DEALIQ_WEBHOOK_RETRIES", 3)

# --- DealIQ documents: upload and extraction limits (docs/documents.md) -----------------------
# Read by deals.ingestion.document_limits() into dealiq.documents.Limits at every upload.
DEALIQ_DOCUMENT_MAX_FILE_BYTES = env_int("DEALIQ_DOCUMENT_MAX_FILE_BYTES", 50 * 1024 * 1024)
DEALIQ_DOCUMENT_MAX_PAGES = env_int("DEALIQ_DOCUMENT_MAX_PAGES", 2_000)
DEALIQ_DOCUMENT_MAX_CHARS = env_int("DEALIQ_DOCUMENT_MAX_CHARS", 10_000_000)
DEALIQ_DOCUMENT_MAX_SHEET_ROWS = env_int("DEALIQ_DOCUMENT_MAX_SHEET_ROWS", 100_000)
DEALIQ_DOCUMENT_MAX_CELLS = env_int("DEALIQ_DOCUMENT_MAX_CELLS", 2_000_000)
DEALIQ_DOCUMENT_MAX_ZIP_MEMBERS = env_int("DEALIQ_DOCUMENT_MAX_ZIP_MEMBERS", 10_000)
DEALIQ_DOCUMENT_MAX_UNCOMPRESSED_BYTES = env_int("DEALIQ_DOCUMENT_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024)
DEALIQ_DOCUMENT_MAX_COMPRESSION_RATIO = env_int("DEALIQ_DOCUMENT_MAX_COMPRESSION_RATIO", 100)
DEALIQ_DOCUMENT_MAX_ARCHIVE_BYTES = env_int("DEALIQ_DOCUMENT_MAX_ARCHIVE_BYTES", 2 * 1024 * 1024 * 1024)
DEALIQ_DOCUMENT_MAX_FILES_PER_UPLOAD = env_int("DEALIQ_DOCUMENT_MAX_FILES_PER_UPLOAD", 50)
# Extract in the request (eager, the embedded default: the upload answer already says "rejected:
# the PDF is damaged") or in the worker task dealiq.extract_document (the list shows "pending").
DEALIQ_DOCUMENT_EXTRACT_INLINE = env_bool(
    "DEALIQ_DOCUMENT_EXTRACT_INLINE", CELERY_TASK_ALWAYS_EAGER or DEALIQ_EMBEDDED_WORKER
)
DEALIQ_DOCUMENT_EXTRACT_TIME_LIMIT = env_int("DEALIQ_DOCUMENT_EXTRACT_TIME_LIMIT", 300)
DEALIQ_DOCUMENT_EXTRACT_SOFT_TIME_LIMIT = env_int(
    "DEALIQ_DOCUMENT_EXTRACT_SOFT_TIME_LIMIT", DEALIQ_DOCUMENT_EXTRACT_TIME_LIMIT - 30
)
if not 0 < DEALIQ_DOCUMENT_EXTRACT_SOFT_TIME_LIMIT < DEALIQ_DOCUMENT_EXTRACT_TIME_LIMIT < CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        "need 0 < DEALIQ_DOCUMENT_EXTRACT_SOFT_TIME_LIMIT < DEALIQ_DOCUMENT_EXTRACT_TIME_LIMIT < CELERY_VISIBILITY_TIMEOUT"
    )
# The extraction task's module is not workers/tasks.py (which autodiscovery finds); workers import it too.
CELERY_IMPORTS = ("workers.document_tasks",)
# Uploaded files above 5 MB spool to a temporary file instead of memory; the per-file limit is
# enforced by the upload itself (DEALIQ_DOCUMENT_MAX_FILE_BYTES). Non-file form data stays small.
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
# One upload request (all its files): the upload handler stops reading the body past this, and the web
# server in front should refuse bigger bodies before they reach Django (docker-compose: client_max_body_size).
DEALIQ_UPLOAD_MAX_REQUEST_BYTES = env_int(
    "DEALIQ_UPLOAD_MAX_REQUEST_BYTES", max(DEALIQ_DOCUMENT_MAX_ARCHIVE_BYTES, 2 * DEALIQ_DOCUMENT_MAX_FILE_BYTES)
)
# The form says "at most N files"; far beyond that the request itself is refused (400).
DATA_UPLOAD_MAX_NUMBER_FILES = max(100, 2 * DEALIQ_DOCUMENT_MAX_FILES_PER_UPLOAD)

# --- logging (docs/operations.md): JSON lines in production, readable in dev -----------------------
# production.py switches the default to "json" and rebuilds LOGGING.
LOG_FORMAT = env_choice("LOG_FORMAT", "text", ("json", "text"))
LOG_FILE = env_str("LOG_FILE")  # set → also a size-rotated file
LOG_MAX_BYTES = env_int("LOG_MAX_BYTES", 20 * 1024 * 1024)
LOG_BACKUP_COUNT = env_int("LOG_BACKUP_COUNT", 10)
# In eager mode the command prints progress itself; workers log every step at INFO.
LOG_LEVEL = env_str("LOG_LEVEL", "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO")
LOGGING = build_logging(
    fmt=LOG_FORMAT,
    level=LOG_LEVEL,
    log_file=LOG_FILE,
    max_bytes=LOG_MAX_BYTES,
    backup_count=LOG_BACKUP_COUNT,
)
# Workers log through LOGGING above (JSON in production) instead of Celery's own root handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- operations (docs/operations.md): Flower, health, metrics, backups, retention, disk ----------
# Flower's address as operators reach it (the run page links each step's task there); empty = no link.
FLOWER_URL = env_str("FLOWER_URL", "")  # local.py: http://127.0.0.1:5555
# /metrics: "user:password" for Prometheus' basic auth; staff sessions are always let in.
METRICS_BASIC_AUTH = env_str("METRICS_BASIC_AUTH")
# /healthz: every probe has a short timeout so the endpoint can be polled every 10 s.
DEALIQ_HEALTH_TIMEOUT = env_float("DEALIQ_HEALTH_TIMEOUT", 1.0)
# Beat is "seen" when its periodic watchdog runs; older than this → unhealthy.
DEALIQ_BEAT_STALE_SECONDS = env_int(
    "DEALIQ_BEAT_STALE_SECONDS", int(3 * CELERY_BEAT_SCHEDULE["dealiq-watchdog"]["schedule"]) + 30
)
# A run queued longer than this is reported as a warning (workers busy or absent).
DEALIQ_QUEUED_WARN_SECONDS = env_int("DEALIQ_QUEUED_WARN_SECONDS", 1800)
# Refuse to start a run or batch when the media/database disk has less free space than this.
DEALIQ_MIN_FREE_DISK_MB = env_int("DEALIQ_MIN_FREE_DISK_MB", 500)
DEALIQ_BACKUP_DIR = Path(env_str("DEALIQ_BACKUP_DIR", str(VAR_DIR / "backups")))
DEALIQ_BACKUP_KEEP = env_int("DEALIQ_BACKUP_KEEP", 14)
# Retention clean-up (`manage.py purge_old_events`): audit events and per-call usage rows.
DEALIQ_AUDIT_RETENTION_DAYS = env_int("DEALIQ_AUDIT_RETENTION_DAYS", 365)
DEALIQ_USAGE_RETENTION_DAYS = env_int("DEALIQ_USAGE_RETENTION_DAYS", 180)
# The load balancer's probe reaches /healthz over plain HTTP; never redirect it to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^healthz"]
