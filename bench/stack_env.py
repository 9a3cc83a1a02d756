"""The environment a benchmark's own stack runs in: its database, its Redis, a throwaway media folder, the
local settings and the engine — set once in os.environ, before Django is set up, so the benchmark process
and the `celery worker` it starts read the same configuration."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def configure_stack(*, database_url: str, broker_url: str, media_root: Path, queue: str, engine: str,
                    **extra: str) -> None:
    """`engine` "anthropic" also sets a fake API key (the benchmarks talk to tests/fakes on loopback)."""
    os.environ.update({
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "DEBUG": "1",
        "MEDIA_ROOT": str(media_root),
        "DEALIQ_ENGINE": engine,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "PYTHONPATH": str(ROOT),
        **({"ANTHROPIC_API_KEY": "sk-ant-fake-bench-key"} if engine == "anthropic" else {}),
        **extra,
    })
