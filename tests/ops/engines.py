"""An engine whose discovery crashes with a very long message (error truncation vs full log)."""
from __future__ import annotations

LONG_ERROR = "disk controller said: " + "x" * 6000 + " END-OF-ERROR"


class LongErrorEngine:
    name = "long-error"
    model = "long-error-1"

    def discover(self, request):
        import logging

        logging.getLogger("dealiq.engine.test").info("engine working on %s", request.domain)
        raise RuntimeError(LONG_ERROR)

    def reason(self, request):
        raise RuntimeError(LONG_ERROR)
