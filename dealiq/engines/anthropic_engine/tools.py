"""The two strict tools Claude must call, and a validator for what comes back.

Strict tools (`"strict": true`) need every object closed (`additionalProperties: false`) with all its
properties required, so free-form `details` travel as a list of name/value pairs and optional numbers
are `integer | null`. Descriptions are terse on purpose: the tool definitions are sent with every call
(cached, but still counted).

These dicts are module constants and are never mutated: their JSON must be byte-identical on every call
so the prompt-cache prefix (tools → system → documents) matches across the six domains.
"""
from __future__ import annotations

from typing import Any

from ...schemas import FINDING_TYPES, IMPORTANCES, LINK_TYPES, PHASES, SEVERITIES

DISCOVERY_TOOL_NAME = "record_discovery"
REASONING_TOOL_NAME = "record_findings"


def _closed(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": list(properties), "properties": properties}


_STRING = {"type": "string"}
_DETAILS = {
    "type": "array",
    "description": "name/value pairs: version, vendor, count, date, cost, owner...",
    "items": _closed({"name": _STRING, "value": _STRING}),
}

DISCOVERY_TOOL: dict[str, Any] = {
    "name": DISCOVERY_TOOL_NAME,
    "description": "Record the facts and gaps of one IT domain for one entity.",
    "strict": True,
    "input_schema": _closed(
        {
            "facts": {
                "type": "array",
                "items": _closed(
                    {
                        "category": {"type": "string", "description": "short snake_case topic, e.g. erp, backup, mfa"},
                        "item": {"type": "string", "description": "what the fact is about, e.g. 'SAP ECC 6.0 EHP7'"},
                        "details": _DETAILS,
                        "evidence": {"type": "string", "description": "exact verbatim quote, max ~300 chars"},
                        "document_id": {"type": "integer"},
                        "page": {"type": "integer"},
                    }
                ),
            },
            "gaps": {
                "type": "array",
                "items": _closed(
                    {
                        "category": _STRING,
                        "description": {"type": "string", "description": "what the documents leave unanswered"},
                        "importance": {"type": "string", "enum": list(IMPORTANCES)},
                        "suggested_sources": {"type": "array", "items": _STRING},
                    }
                ),
            },
        }
    ),
}

_NULLABLE_INT = {"anyOf": [{"type": "integer"}, {"type": "null"}]}

REASONING_TOOL: dict[str, Any] = {
    "name": REASONING_TOOL_NAME,
    "description": "Record the findings of one IT domain, each resting on cited fact refs.",
    "strict": True,
    "input_schema": _closed(
        {
            "findings": {
                "type": "array",
                "items": _closed(
                    {
                        "finding_type": {"type": "string", "enum": list(FINDING_TYPES)},
                        "title": _STRING,
                        "description": _STRING,
                        "reasoning": _STRING,
                        "severity": {"type": "string", "enum": list(SEVERITIES)},
                        "phase": {"type": "string", "enum": list(PHASES)},
                        "cost_low": _NULLABLE_INT,
                        "cost_high": _NULLABLE_INT,
                        "currency": {"type": "string", "description": "ISO 4217, e.g. USD"},
                        "mitigation": _STRING,
                        "facts": {
                            "type": "array",
                            "items": _closed({"ref": _STRING, "link_type": {"type": "string", "enum": list(LINK_TYPES)}}),
                        },
                        "gap_refs": {"type": "array", "items": _STRING},
                    }
                ),
            }
        }
    ),
}


def forced_choice(tool: dict[str, Any]) -> dict[str, Any]:
    """tool_choice that makes the model answer with exactly one call of `tool`."""
    return {"type": "tool", "name": tool["name"], "disable_parallel_tool_use": True}


_JSON_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


def schema_errors(value: Any, schema: dict[str, Any], path: str = "input") -> list[str]:
    """Errors of `value` against the JSON-schema subset the tools above use (empty list: valid).

    The API enforces strict schemas itself; this is the engine's own check, because a response can
    still be cut short or come from a model/endpoint that ignores `strict`.
    """
    if "anyOf" in schema:
        options = [schema_errors(value, option, path) for option in schema["anyOf"]]
        return [] if any(not errs for errs in options) else options[0]
    expected = schema.get("type")
    if expected:
        python_type = _JSON_TYPES[expected]
        wrong_bool = isinstance(value, bool) and expected in ("integer", "number")
        if not isinstance(value, python_type) or wrong_bool:
            return [f"{path}: expected {expected}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{path}: {value!r} is not one of {', '.join(map(str, schema['enum']))}"]
    errors: list[str] = []
    if expected == "object":
        properties = schema.get("properties", {})
        errors += [f"{path}: missing {name!r}" for name in schema.get("required", []) if name not in value]
        if schema.get("additionalProperties") is False:
            errors += [f"{path}: unexpected {name!r}" for name in value if name not in properties]
        for name, sub in properties.items():
            if name in value:
                errors += schema_errors(value[name], sub, f"{path}.{name}")
    elif expected == "array" and "items" in schema:
        for i, item in enumerate(value):
            errors += schema_errors(item, schema["items"], f"{path}[{i}]")
    return errors
