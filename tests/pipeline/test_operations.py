"""Re-queue / cancel from the run page, the admin and the command; batches; watchdog; notifications."""
from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from analysis.models import (
    AnalysisBatch,
    AnalysisRun,
    BatchStatus,
    Notification,
    RunStatus,
    RunStep,
    StepKind,
    StepStatus,
)
from analysis.services.runs import create_run
from audit.models import AuditEvent
from deals.models import Role
from tests.factories import make_small_deal
from workers.pipeline import cancel_run, requeue_run, start_batch, start_run
from workers.watchdog import check_stalled_runs

pytestmark = pytest.mark.django_db(transaction=True)


def failed_run(deal, provider):
    provider.add_rule(action="permanent", domain="network", entity="target")
    run = start_run(deal, engine="fake", domains=["applications", "network"])
    provider.clear_rules()
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    return run


def test_run_page_shows_the_timeline_and_only_managers_may_requeue(client, provider, member):
    deal = make_small_deal("Page Co")
    run = failed_run(deal, provider)
    url = reverse("analysis:run", args=[deal.pk, run.number])
    requeue = reverse("analysis:run_requeue", args=[deal.pk, run.number])

    client.force_login(member(deal, Role.ANALYST))
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="step-network-discover_target"' in html and "bad_request" in html
    assert 'id="requeue"' not in html
    assert client.post(requeue).status_code == 403
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.requeue_count == 0

    client.force_login(member(deal, Role.MANAGER))
    assert 'id="requeue"' in client.get(url).content.decode()
    assert client.post(requeue).status_code == 302
    assert client.post(requeue).status_code == 302  # the double click
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED and run.requeue_count == 1
    assert AuditEvent.objects.for_run(run).filter(event_type="run.requeued").count() == 1
    status = client.get(reverse("analysis:run_status", args=[deal.pk, run.number])).json()
    assert status["status"] == "completed" and len(status["steps"]) == 6 and status["calls"] == 6


def test_admin_requeue_is_refused_to_a_non_manager_and_works_for_a_manager(client, provider, member):
    deal = make_small_deal("Admin Co")
    run = failed_run(deal, provider)
    url = reverse("admin:analysis_analysisrun_changelist")
    data = {"action": "requeue_runs", "_selected_action": [run.pk]}

    run_perms = Permission.objects.filter(content_type__app_label="analysis", codename__endswith="_analysisrun")

    def staff(user):
        user.is_staff = True
        user.save()
        user.user_permissions.set(run_perms)  # may use the run admin: the deal role decides the action
        return user

    analyst = staff(member(deal, Role.ANALYST))
    client.force_login(analyst)
    assert client.get(url).status_code == 200  # the admin page itself is open to them
    assert client.post(url, data).status_code == 403
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED

    manager = staff(member(deal, Role.MANAGER))
    client.force_login(manager)
    assert client.post(url, data).status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED
    event = AuditEvent.objects.for_run(run).get(event_type="run.requeued")
    assert event.actor == manager and event.actor_label == manager.username


def test_a_requeue_refused_for_low_disk_is_a_message_in_the_admin_and_the_run_page(client, provider, member, settings):
    deal = make_small_deal("Full Disk Co")
    run = failed_run(deal, provider)
    manager = member(deal, Role.MANAGER)
    manager.is_staff = True
    manager.save()
    manager.user_permissions.set(Permission.objects.filter(content_type__app_label="analysis", codename__endswith="_analysisrun"))
    client.force_login(manager)
    settings.DEALIQ_MIN_FREE_DISK_MB = 10**12

    admin_page = client.post(reverse("admin:analysis_analysisrun_changelist"),
                             {"action": "requeue_runs", "_selected_action": [run.pk]}, follow=True)
    run_page = client.post(reverse("analysis:run_requeue", args=[deal.pk, run.number]), follow=True)

    for response in (admin_page, run_page):
        assert response.status_code == 200
        assert "Not enough free disk space" in response.content.decode()
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.requeue_count == 0


def test_requeue_and_cancel_only_apply_to_the_right_statuses(provider):
    deal = make_small_deal("State Co")
    run = start_run(deal, engine="fake", domains=["applications"])
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED
    assert not requeue_run(run).changed
    assert not cancel_run(run).changed

    queued = create_run(deal, engine="fake", domains=["applications"])
    assert cancel_run(queued).changed
    assert not cancel_run(queued).changed
    queued.refresh_from_db()
    assert queued.status == RunStatus.CANCELLED
    assert requeue_run(queued).changed
    queued.refresh_from_db()
    assert queued.status == RunStatus.COMPLETED


def test_requeue_runs_command_filters_by_status_batch_and_deal(provider, capsys):
    first, second = make_small_deal("Cmd One"), make_small_deal("Cmd Two")
    run_one, run_two = failed_run(first, provider), failed_run(second, provider)

    call_command("requeue_runs", "--status", "failed", "--deal", str(first.pk))
    run_one.refresh_from_db()
    run_two.refresh_from_db()
    assert run_one.status == RunStatus.COMPLETED and run_two.status == RunStatus.FAILED
    call_command("requeue_runs", "--status", "failed")
    run_two.refresh_from_db()
    assert run_two.status == RunStatus.COMPLETED
    assert "1 of 1 run(s) re-queued" in capsys.readouterr().out
    call_command("requeue_runs", "--status", "failed")  # a good night: nothing to do is not an error
    assert "nothing to re-queue: no failed runs match" in capsys.readouterr().out


def test_requeue_runs_command_stops_readably_when_the_disk_is_low(provider, settings):
    from django.core.management.base import CommandError

    run = failed_run(make_small_deal("Low disk"), provider)
    settings.DEALIQ_MIN_FREE_DISK_MB = 10**12
    with pytest.raises(CommandError, match=r"0 run\(s\) re-queued, then stopped: Not enough free disk space"):
        call_command("requeue_runs", "--status", "failed")
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED


def test_analyze_all_starts_a_prioritised_batch_and_the_batch_page_counts_runs(client, provider, member, settings):
    deals = [make_small_deal(f"Batch {i}") for i in range(3)]
    provider.add_rule(action="permanent", deal="Batch 1", kind="reason")
    call_command("analyze", "--all", "--batch", "nightly", "--priority", "high", "--engine", "fake",
                 "--domains", "applications")

    batch = AnalysisBatch.objects.get(name="nightly")
    assert batch.priority == "high" and batch.status == BatchStatus.COMPLETED_WITH_FAILURES
    assert batch.counts["completed"] == 2 and batch.counts["failed"] == 1 and batch.counts["total"] == 3
    assert set(AnalysisRun.objects.filter(batch=batch).values_list("priority", flat=True)) == {"high"}

    manager = member(deals[1], Role.MANAGER)
    client.force_login(manager)
    page = client.get(reverse("analysis:batch", args=[batch.pk]))
    assert page.status_code == 200
    progress = page.context["progress"]
    assert (progress.total, progress.done, progress.failed, progress.running, progress.queued) == (3, 2, 1, 0, 0)

    provider.clear_rules()
    assert client.post(reverse("analysis:batch_requeue", args=[batch.pk])).status_code == 302
    batch.refresh_from_db()
    assert batch.status == BatchStatus.COMPLETED and batch.counts["completed"] == 3


def test_batch_page_hides_other_peoples_batches(client, make_user, provider):
    deal = make_small_deal("Hidden Co")
    started = start_batch([deal], name="private", engine="fake", domains=["applications"])
    client.force_login(make_user("stranger"))
    assert client.get(reverse("analysis:batch", args=[started.batch.pk])).status_code == 404


def test_watchdog_resets_a_stale_step_and_requeues_then_gives_up_as_stalled(provider, settings):
    settings.DEALIQ_MAX_AUTO_REQUEUES = 1
    deal = make_small_deal("Stale Co")
    run = create_run(deal, engine="fake", domains=["applications"])
    long_ago = timezone.now() - dt.timedelta(hours=1)
    AnalysisRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, heartbeat_at=long_ago)
    RunStep.objects.filter(run=run, kind=StepKind.DISCOVER_TARGET).update(
        status=StepStatus.RUNNING, attempts=1, heartbeat_at=long_ago
    )

    report = check_stalled_runs()

    run.refresh_from_db()
    assert report["requeued"] == [run.pk]
    assert run.status == RunStatus.COMPLETED and run.auto_requeue_count == 1
    assert RunStep.objects.get(run=run, kind=StepKind.DISCOVER_TARGET).attempts == 2

    stuck = create_run(deal, engine="fake", domains=["applications"])
    AnalysisRun.objects.filter(pk=stuck.pk).update(status=RunStatus.RUNNING, heartbeat_at=long_ago, auto_requeue_count=1)
    RunStep.objects.filter(run=stuck, kind=StepKind.DISCOVER_TARGET).update(status=StepStatus.RUNNING, heartbeat_at=long_ago)
    assert check_stalled_runs()["failed"] == [stuck.pk]
    stuck.refresh_from_db()
    assert stuck.status == RunStatus.FAILED and stuck.error == "stalled"
    assert AuditEvent.objects.for_run(stuck).filter(event_type="run.failed", data__reason="stalled").exists()


def test_watchdog_leaves_a_run_waiting_out_a_retry_alone(provider, settings):
    deal = make_small_deal("Patient Co")
    run = create_run(deal, engine="fake", domains=["applications"])
    soon = timezone.now() + dt.timedelta(minutes=5)  # a retry countdown pushed the heartbeat ahead
    AnalysisRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, heartbeat_at=soon)
    assert check_stalled_runs() == {"requeued": [], "finalized": [], "failed": []}


class _Receiver:
    def __init__(self, status: int = 200):
        self.payloads = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                receiver.payloads.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(status)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def test_finished_runs_notify_the_user_and_the_webhook(provider, make_user, settings):
    receiver = _Receiver()
    settings.DEALIQ_WEBHOOK_URL = receiver.url
    user = make_user("starter")
    run = start_run(make_small_deal("Notify Co"), engine="fake", domains=["applications"], triggered_by=user)

    note = Notification.objects.for_user(user).get()
    assert note.run_id == run.pk and note.kind == "run.completed" and "completed" in note.message
    assert [p["event"] for p in receiver.payloads] == ["run.completed"]
    assert receiver.payloads[0]["run_id"] == run.pk
    receiver.server.shutdown()


def test_a_broken_webhook_never_fails_the_run(provider, make_user, settings):
    receiver = _Receiver(status=500)
    settings.DEALIQ_WEBHOOK_URL = receiver.url
    run = start_run(make_small_deal("Hookless Co"), engine="fake", domains=["applications"], triggered_by=make_user("u"))
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED
    assert len(receiver.payloads) == 1  # tried, failed, dropped (eager mode does not retry)
    receiver.server.shutdown()
    settings.DEALIQ_WEBHOOK_URL = "http://127.0.0.1:9/unreachable"
    run = start_run(make_small_deal("Hookless Two"), engine="fake", domains=["applications"])
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED
