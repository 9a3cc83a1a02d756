"""`manage.py demo` on the embedded default (fresh SQLite, Celery eager, offline engine)."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from dealiq.domains import DOMAIN_KEYS
from dealiq.grounding import normalise_text

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _embedded_env(var_dir: Path) -> dict:
    # As `make demo` runs it: no DJANGO_SETTINGS_MODULE (manage.py's default, config.settings.local).
    drop = ("DATABASE_URL", "CELERY_BROKER_URL", "ANTHROPIC_API_KEY", "DEALIQ_ENGINE", "DJANGO_SETTINGS_MODULE")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(DEBUG="1", DEALIQ_VAR_DIR=str(var_dir), MEDIA_ROOT=str(var_dir / "media"))
    return env


def _manage(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_demo_twice_on_a_fresh_embedded_database(tmp_path):
    env = _embedded_env(tmp_path)
    migrate = _manage(env, "migrate", "--noinput")
    assert migrate.returncode == 0, migrate.stderr

    first = _manage(env, "demo")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Run 1: completed" in first.stdout
    assert "Where to look" in first.stdout and "http://127.0.0.1:8000/" in first.stdout

    db = sqlite3.connect(tmp_path / "dealiq.sqlite3")
    (run_id,) = db.execute("select id from analysis_analysisrun where number = 1 and status = 'completed'").fetchone()
    for domain in DOMAIN_KEYS:
        for table in ("analysis_fact", "analysis_gap", "analysis_finding"):
            (n,) = db.execute(f"select count(*) from {table} where run_id = ? and domain = ?", (run_id, domain)).fetchone()
            assert n >= 1, f"{table} has nothing in {domain}"
    facts = db.execute("select evidence, document_id, pages from analysis_fact where run_id = ?", (run_id,)).fetchall()
    for evidence, document_id, pages in facts:
        numbers = [int(p) for p in pages.strip("[]").split(",")]
        text = " ".join(
            t for (t,) in db.execute(
                f"select text from deals_documentpage where document_id = ? and number in ({','.join('?' * len(numbers))}) order by number",
                (document_id, *numbers),
            )
        )
        assert normalise_text(evidence) in normalise_text(text)
    documents_after_first = db.execute("select count(*) from deals_document").fetchone()[0]

    second = _manage(env, "demo")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Run 2: completed" in second.stdout
    assert db.execute("select count(*) from deals_deal").fetchone()[0] == 1
    assert db.execute("select count(*) from deals_document").fetchone()[0] == documents_after_first
    assert db.execute("select count(*) from auth_user").fetchone()[0] == 3


@pytest.mark.django_db(transaction=True)
def test_demo_staff_users_can_open_the_admin_pages_of_their_job(client):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.urls import reverse

    from analysis.models import AnalysisRun

    call_command("demo", stdout=open(os.devnull, "w"))
    run = AnalysisRun.objects.get(number=1)
    users = {u.username: u for u in get_user_model().objects.all()}

    client.force_login(users["operator"])  # watches runs: read-only
    runs = client.get(reverse("admin:analysis_analysisrun_changelist"))
    assert runs.status_code == 200 and run in runs.context["cl"].result_list
    assert client.get(reverse("admin:deals_deal_change", args=[run.deal_id])).status_code == 403

    client.force_login(users["manager"])  # re-queues runs, manages members
    assert client.get(reverse("admin:analysis_analysisrun_changelist")).status_code == 200
    assert client.get(reverse("admin:deals_deal_change", args=[run.deal_id])).status_code == 200

    client.force_login(users["analyst"])  # works in the app, not the admin
    assert client.get(reverse("admin:index")).status_code == 302
