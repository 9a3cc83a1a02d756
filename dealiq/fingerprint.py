"""Input fingerprints: one sha256 over everything an engine's answer to a step depends on.

Two steps with the same fingerprint would send the engine the same request with the same engine, model,
prompts and rules, so the later one may take the earlier one's results instead of calling the engine
(incremental re-analysis, see docs/pipeline.md). What goes in:

* the step's inputs as the request gets them (deal context, domain, entity and pages for discovery; the
  facts and gaps for reasoning) — `ref`, a run-local row id that only names a fact inside one request,
  is left out, so the same facts in two runs hash alike;
* `engine_versions(engine)`: engine name, model(s), RULES_VERSION and the digest of the rule files, the
  digest of the dealiq source and data (prompts, tool schemas, parsing, grounding, offline rules code, the
  end-of-life catalogue: a change re-runs the steps rather than reuse an answer it would no longer give)
  and the engine settings that shape an answer (max tokens, document batch size, end-of-life window).

No Django here: the pipeline passes in what it built.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from .rules import RULES_VERSION, ruleset_digest

FINGERPRINT_VERSION = 1  # bump when what goes into a fingerprint changes meaning
PACKAGE_DIR = Path(__file__).resolve().parent
# Fields of request items that identify a row of one run only (not what the engine reasons about).
RUN_LOCAL_FIELDS = frozenset({"ref"})
# Engine attributes that change an answer for the same request.
ENGINE_SETTINGS = ("reasoning_model", "max_tokens", "token_budget", "context_tokens", "eol_window_months", "rules_dir")


SOURCE_SUFFIXES = {".py", ".json", ".yaml", ".yml"}


@lru_cache(maxsize=1)
def source_digest() -> str:
    """sha256 of the dealiq package's code and data (prompts, tools, parsing, grounding, offline rules, the
    end-of-life catalogue), read once per process."""
    digest = hashlib.sha256()
    paths = (p for p in PACKAGE_DIR.rglob("*") if p.suffix in SOURCE_SUFFIXES and "__pycache__" not in p.parts)
    for path in sorted(paths):
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def engine_versions(engine: Any) -> dict[str, Any]:
    """What besides the inputs decides the engine's answer (see the module docstring)."""
    settings = {name: getattr(engine, name) for name in ENGINE_SETTINGS if hasattr(engine, name)}
    engine_class = type(engine)
    return {
        "fingerprint": FINGERPRINT_VERSION,
        "engine": getattr(engine, "name", engine_class.__name__),
        "class": f"{engine_class.__module__}.{engine_class.__qualname__}",
        "model": getattr(engine, "model", ""),
        "rules_version": RULES_VERSION,
        "rules": ruleset_digest(getattr(engine, "rules_dir", None)),
        "source": source_digest(),
        "settings": {k: v for k, v in settings.items() if v is not None},
    }


def _plain(value: Any) -> Any:
    """A JSON-ready, order-stable form of request inputs (dataclasses, tuples, dates, decimals…)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in RUN_LOCAL_FIELDS
        }
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if k not in RUN_LOCAL_FIELDS}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def fingerprint(
    kind: str, inputs: dict[str, Any], versions: dict[str, Any], extra: dict[str, Any] | None = None
) -> str:
    """The step's fingerprint: sha256 over its kind, its request inputs, the engine versions and `extra`
    (e.g. the documents' sha256s and versions)."""
    payload = {"kind": kind, "inputs": _plain(inputs), "versions": versions, "extra": _plain(extra or {})}
    data = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode()).hexdigest()
