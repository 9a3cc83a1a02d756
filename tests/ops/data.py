"""A small but complete data set touching every DealIQ table (deals, documents, runs, results, audit)."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from analysis.models import AnalysisBatch, EngineCall, Fact, FactFindingLink, Finding, Gap, Notification, RunStep
from analysis.services.runs import create_run
from audit.models import AuditEvent
from audit.services import record_event
from tests.factories import DealFactory, DocumentFactory, MembershipFactory, UserFactory


def populate(suffix: str = "") -> dict:
    owner = UserFactory(username=f"owner{suffix}", password="pw-owner")
    viewer = UserFactory(username=f"viewer{suffix}", password="pw-viewer")
    deal = DealFactory(name=f"Backup deal{suffix}", target_name="Target Co", buyer_name="Buyer Co", owner=owner)
    MembershipFactory(deal=deal, user=owner, role="manager")
    MembershipFactory(deal=deal, user=viewer, role="viewer")
    docs = [
        DocumentFactory(deal=deal, entity=entity, filename=f"inventory-{entity}.txt", size=100,
                        pages=[f"{entity} page {i}: Windows Server 2012" for i in (1, 2)])
        for entity in ("target", "buyer")
    ]
    batch = AnalysisBatch.objects.create(name=f"nightly{suffix}", created_by=owner)
    run = create_run(deal, engine="offline", domains=["infrastructure", "network"], triggered_by=owner, batch=batch)
    step = RunStep.objects.filter(run=run).first()
    fact = Fact.objects.create(
        run=run, deal=deal, key="k1", entity="target", domain="infrastructure", category="servers",
        item="Windows Server 2012", evidence="Windows Server 2012", document=docs[0], pages=[1],
    )
    Gap.objects.create(run=run, deal=deal, key="g1", entity="buyer", domain="network", category="wan",
                       description="No WAN diagram")
    finding = Finding.objects.create(
        run=run, deal=deal, key="f1", finding_type="risk", domain="infrastructure", title="EOL servers",
        severity="high", phase="day_1", cost_low=10, cost_high=20,
    )
    FactFindingLink.objects.create(fact=fact, finding=finding)
    EngineCall.objects.create(run=run, step=step, model="offline", input_tokens=10, output_tokens=5)
    record_event("run.created", actor=owner, run=run, obj=run)
    Notification.objects.create(user=owner, deal=deal, run=run, kind="run.finished", message="done")
    return {"deal": deal, "run": run, "owner": owner}


def age_rows(days: int) -> None:
    """Make every audit event and engine call `days` old (append-only rows: raw UPDATE on purpose)."""
    from django.db import connection

    cutoff = timezone.now() - dt.timedelta(days=days)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {AuditEvent._meta.db_table} SET at = %s", [cutoff])
        cursor.execute(f"UPDATE {EngineCall._meta.db_table} SET created_at = %s", [cutoff])
