"""Every log line of a step carries run, deal, domain, kind and attempt; the database keeps a
truncated error while the log keeps the full text."""
from __future__ import annotations

import json
import logging

import pytest

from analysis.models import RunStep, StepKind, StepStatus
from analysis.services.runs import create_run
from config.logging import JsonFormatter, TextFormatter, build_logging
from dealiq.logcontext import StepContextFilter
from workers.step_runner import execute_step

from .data import populate
from .engines import LONG_ERROR


@pytest.fixture
def long_error_engine():
    """"long-error" is one of the test engines config/settings/test.py registers."""


@pytest.fixture
def step_records(caplog):
    """Records as the configured handlers see them (the context filter sits on the handler)."""
    caplog.handler.addFilter(StepContextFilter())
    caplog.set_level(logging.INFO)
    return caplog


@pytest.mark.django_db(transaction=True)  # execute_step manages its own connection
def test_step_log_lines_carry_the_step_context_and_the_full_error(long_error_engine, step_records, settings):
    data = populate()
    run = create_run(data["deal"], engine="long-error", domains=["infrastructure"])

    outcome = execute_step(run.pk, "infrastructure", StepKind.DISCOVER_TARGET)

    assert outcome.status == "failed", outcome
    step = RunStep.objects.get(run=run, domain="infrastructure", kind=StepKind.DISCOVER_TARGET)
    assert step.status == StepStatus.FAILED
    assert len(step.error) <= settings.DEALIQ_ERROR_MAX_CHARS and "END-OF-ERROR" not in step.error

    step_lines = [r for r in step_records.records if r.run_id == run.pk]
    assert {r.name for r in step_lines} >= {"dealiq.engine.test", "dealiq.steps"}
    for record in step_lines:
        assert (record.deal_id, record.domain, record.kind) == (data["deal"].pk, "infrastructure", "discover_target")
    engine_line = next(r for r in step_lines if r.name == "dealiq.engine.test")
    assert engine_line.attempt == 1

    crash = next(r for r in step_lines if r.levelno >= logging.ERROR)
    formatted = json.loads(JsonFormatter().format(crash))
    assert LONG_ERROR in formatted["exc"]  # the full text, untruncated, in the log
    assert formatted["run_id"] == run.pk and formatted["attempt"] == 1 and formatted["kind"] == "discover_target"

    # Outside a step the context is gone.
    logging.getLogger("dealiq.after").info("after the step")
    assert step_records.records[-1].run_id is None


def test_text_format_is_readable_with_the_context_appended():
    record = logging.LogRecord("dealiq.steps", logging.INFO, __file__, 1, "step done %s", ("ok",), None)
    StepContextFilter().filter(record)
    record.run_id, record.domain = 7, "network"
    line = TextFormatter().format(record)
    assert line.endswith("step done ok [run_id=7 domain=network]")


def test_log_file_rotates_by_size(tmp_path):
    config = build_logging(fmt="json", level="INFO", log_file=str(tmp_path / "dealiq.log"), max_bytes=2000, backup_count=2)
    handler = config["handlers"]["file"]
    assert handler["class"] == "logging.handlers.RotatingFileHandler"
    assert (handler["maxBytes"], handler["backupCount"]) == (2000, 2)

    import logging.config

    logger = logging.getLogger("dealiq.rotation-test")
    saved = logging.root.handlers[:], logging.root.level
    try:
        logging.config.dictConfig(config)
        for i in range(100):
            logger.info("line %d %s", i, "y" * 100)
    finally:
        for h in logging.root.handlers:
            h.close()
        logging.root.handlers[:] = saved[0]
        logging.root.setLevel(saved[1])
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["dealiq.log", "dealiq.log.1", "dealiq.log.2"]
    assert all(p.stat().st_size <= 2000 + 400 for p in tmp_path.iterdir())
    json.loads((tmp_path / "dealiq.log").read_text().splitlines()[-1])


def test_django_messages_are_written_once_through_our_handlers():
    import logging

    django_logger = logging.getLogger("django")
    assert django_logger.handlers == [] and django_logger.propagate  # only the root's handlers write
    assert logging.getLogger().handlers
