"""Disk-space preflight, retention clean-up and `manage.py doctor`."""
from __future__ import annotations

import pytest
from django.core.management import call_command

from analysis.models import AnalysisBatch, AnalysisRun, EngineCall, Fact
from analysis.services.runs import RunStateError
from audit.models import AuditEvent
from audit.services import record_event
from workers.ops.disk import InsufficientDiskSpace, disk_usage, ensure_disk_space
from workers.pipeline import start_batch, start_run

from .data import age_rows, populate

PETABYTE_MB = 10**9


@pytest.mark.django_db
def test_start_run_refuses_when_disk_is_low_and_writes_nothing(settings):
    data = populate()
    runs_before = AnalysisRun.objects.count()
    settings.DEALIQ_MIN_FREE_DISK_MB = PETABYTE_MB
    with pytest.raises(InsufficientDiskSpace, match=r"Not enough free disk space .* MB free .*DEALIQ_MIN_FREE_DISK_MB") as err:
        start_run(data["deal"])
    assert isinstance(err.value, RunStateError)  # commands/views already show RunStateError messages
    batches_before = AnalysisBatch.objects.count()
    with pytest.raises(InsufficientDiskSpace):
        start_batch([data["deal"]], name="nightly")
    assert AnalysisRun.objects.count() == runs_before
    assert AnalysisBatch.objects.count() == batches_before


def test_disk_preflight_passes_with_room_and_names_the_fullest_filesystem(settings, tmp_path):
    settings.DEALIQ_MIN_FREE_DISK_MB = 1
    fullest = ensure_disk_space()
    assert fullest.free_bytes >= 1024 * 1024
    assert fullest.path == min(disk_usage(), key=lambda u: u.free_bytes).path  # other writers move bytes, not mounts
    with pytest.raises(InsufficientDiskSpace, match=str(fullest.path)):
        ensure_disk_space(minimum_mb=fullest.free_bytes // (1024 * 1024) + 1024)


@pytest.mark.django_db
def test_purge_old_events_drops_only_rows_past_retention(capsys):
    data = populate()
    age_rows(days=400)
    old = AuditEvent.objects.count()
    assert old >= 1
    record_event("run.viewed", actor=data["owner"], run=data["run"], obj=data["run"])  # recent: kept
    facts = Fact.objects.count()

    call_command("purge_old_events", "--audit-days", "365", "--usage-days", "90", "--dry-run")
    assert f"would delete: {old} audit event(s)" in capsys.readouterr().out
    assert AuditEvent.objects.count() == old + 1

    call_command("purge_old_events", "--audit-days", "365", "--usage-days", "90")
    out = capsys.readouterr().out
    assert f"deleted: {old} audit event(s) older than 365 days, 1 engine call row(s)" in out
    assert list(AuditEvent.objects.values_list("event_type", flat=True)) == ["run.viewed"]
    assert EngineCall.objects.count() == 0
    assert Fact.objects.count() == facts and AnalysisRun.objects.filter(pk=data["run"].pk).exists()


@pytest.mark.django_db
def test_doctor_prints_each_check_and_fails_with_exit_code_1(settings, capsys):
    call_command("doctor")
    out = capsys.readouterr().out
    for name in ("database", "broker", "workers", "beat", "disk", "queue"):
        assert name in out
    assert "overall: healthy" in out

    settings.DEALIQ_MIN_FREE_DISK_MB = PETABYTE_MB
    with pytest.raises(SystemExit) as exit_:
        call_command("doctor", "--only", "disk")
    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert "FAIL disk" in out and "overall: UNHEALTHY" in out


@pytest.mark.django_db
def test_beat_schedules_the_daily_purge_and_its_task_applies_the_retention(settings):
    from config.celery_app import app
    from workers.tasks import purge_old_rows

    schedule = app.conf.beat_schedule["dealiq-purge-old-rows"]
    assert schedule["task"] == purge_old_rows.name and schedule["schedule"] == 24 * 3600.0
    data = populate()
    age_rows(days=400)
    record_event("run.viewed", actor=data["owner"], run=data["run"], obj=data["run"])  # recent: kept
    settings.DEALIQ_AUDIT_RETENTION_DAYS = 365

    result = purge_old_rows.delay().get()

    assert result["audit_events"] >= 1
    assert list(AuditEvent.objects.values_list("event_type", flat=True)) == ["run.viewed"]
