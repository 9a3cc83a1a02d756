"""Engines for pipeline tests. They wrap the real offline engine and misbehave on purpose.

Registered by name in config/settings/test.py (DEALIQ_EXTRA_ENGINES), the settings worker subprocesses
inherit too, so they work in eager mode and in worker subprocesses alike.
"""
from __future__ import annotations

from dealiq.engines.offline import OfflineEngine

EXPLODE_DOMAIN = "network"


class ExplodingEngine(OfflineEngine):
    """Raises inside the engine while discovering the target's network domain."""

    name = "exploding"

    def discover(self, request):
        if request.domain == EXPLODE_DOMAIN and request.entity == "target":
            raise RuntimeError("simulated crash inside the engine")
        return super().discover(request)
