"""Evaluation: score what an analysis run concluded against an answer key (samples/eval-rooms/KEY-FORMAT.md).

Plain Python like the rest of the engine package: the answer key is read from JSON and the run is
given as plain dicts, so the scorer is the same whether the run came from the database
(`manage.py evaluate`), a throwaway bench database (`bench/evaluate.py`) or a test.
"""
from __future__ import annotations

from .key import AnswerKey, AnswerKeyError, load_key, parse_key
from .report import render_table
from .scorer import RunData, Scorecard, score

__all__ = ["AnswerKey", "AnswerKeyError", "RunData", "Scorecard", "load_key", "parse_key", "render_table", "score"]
