"""The access matrix: every URL pattern of the resolver (pages, exports, admin changelists, add, change,
delete and history forms, admin actions, health and metrics) × seven roles → the expected status.

One table (`RULES`, with the admin's per-model rows generated from `ADMIN_MODELS` and its actions listed in
`ACTIONS`) says what each role gets, on an object of a deal the role belongs to ("own": Project Falcon)
and on the same kind of object of a deal nobody here belongs to ("foreign": Secret Osprey). The test walks
`get_resolver()`: a pattern (or a registered admin action) without a rule fails. In every cell the body
must not name a deal the role does not belong to, nor show that deal's data; a POST refused with 403/404
must change nothing (memberships, runs, facts and their verification).

Statuses are written as seven codes in ROLES order:
    anonymous, outsider, viewer, analyst, manager, staff_outsider, staff_viewer
Viewer and analyst are plain users (no admin); the manager, the staff outsider and the staff viewer are
staff holding every admin permission of our apps (more than the demo grants), so the admin's own deal rules
are what is tested.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from analysis.models import (
    AnalysisBatch,
    AnalysisRun,
    EngineCall,
    Fact,
    FactFindingLink,
    Finding,
    Gap,
    Notification,
    RunStatus,
    RunStep,
)
from audit.models import AuditEvent
from deals.models import DealMembership, DocumentPage, Role
from tests.factories import MembershipFactory, UserFactory, fact, finding, gap, make_deal, make_document, persist_run

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "outsider", "viewer", "analyst", "manager", "staff_outsider", "staff_viewer")
OWN_NAME, FOREIGN_NAME = "Project Falcon", "Secret Osprey"
OWN_MARK, FOREIGN_MARK = "Falconmark ERP 7.1", "Ospreymark Mainframe Z9"  # a fact only that deal has


@dataclass
class Rule:
    own: str  # seven statuses, ROLES order
    foreign: str | None = None  # the same on the foreign deal's object (None: the URL names no object)
    kwargs: Callable | None = None  # objects of one side → reverse() kwargs
    method: str = "get"
    data: Callable | None = None  # (objects of the side, user) → POST body
    query: dict = field(default_factory=dict)
    path: Callable | None = None  # for an unnamed pattern: objects of the side → URL


def codes(text: str) -> tuple[int, ...]:
    values = tuple(int(c) for c in text.split())
    assert len(values) == len(ROLES), text
    return values


# --- the table -----------------------------------------------------------------------------------------

PAGE, PAGE_FOREIGN = "302 404 200 200 200 404 200", "302 404 404 404 404 404 404"
ANALYST_POST = "302 404 403 302 302 404 403"
MANAGER_POST = "302 404 403 403 302 404 403"
EVERYONE = "{0} {0} {0} {0} {0} {0} {0}"
STAFF = "302 302 302 302 {0} {1} {2}"  # non-staff are sent to the admin login


def deal_kw(o):
    return {"deal_id": o["deal"].pk}


def with_deal(**extra):
    return lambda o: {"deal_id": o["deal"].pk, **{k: (v(o) if callable(v) else v) for k, v in extra.items()}}


def page(kwargs=deal_kw, **rest):
    return Rule(PAGE, PAGE_FOREIGN, kwargs, **rest)


RULES: dict[str, list[Rule]] = {
    "<root>": [Rule(EVERYONE.format(302), path=lambda o: "/")],
    "login": [Rule(EVERYONE.format(200))],
    "logout": [Rule(EVERYONE.format(405))],  # POST only
    "healthz": [Rule(EVERYONE.format(200), query={"check": "database"})],  # public, says only ok/fail
    "healthz-live": [Rule(EVERYONE.format(200))],
    "favicon": [Rule(EVERYONE.format(200))],
    "notifications": [Rule("302 200 200 200 200 200 200")],
    "metrics": [Rule("401 401 401 401 200 200 200")],
    # deals/
    "deals:list": [Rule("302 200 200 200 200 200 200")],
    "deals:create": [Rule("302 200 200 200 200 200 200")],
    "deals:members": [page(), Rule(MANAGER_POST, PAGE_FOREIGN, deal_kw, "post",
                                   lambda o, u: {"username": "viewer", "role": Role.VIEWER})],
    "deals:documents": [page()],
    "deals:upload": [Rule("302 404 403 400 400 404 403", PAGE_FOREIGN, deal_kw, "post", lambda o, u: {})],
    "deals:document": [page(with_deal(doc_id=lambda o: o["document"].pk))],
    "deals:document_original": [page(with_deal(doc_id=lambda o: o["document"].pk))],
    # "restore" of a document that is not withdrawn: allowed roles get a message and change nothing.
    "deals:document_curation": [Rule(ANALYST_POST, PAGE_FOREIGN, with_deal(doc_id=lambda o: o["document"].pk), "post",
                                     lambda o, u: {"action": "restore"})],
    # analysis pages
    "analysis:deal": [page()],
    "analysis:overlap": [page()],
    "analysis:runs": [page()],
    "analysis:domain": [page(with_deal(domain="network"))],
    "analysis:facts": [page()],
    "analysis:fact": [page(with_deal(pk=lambda o: o["fact"].pk))],
    "analysis:fact_decision": [Rule(ANALYST_POST, PAGE_FOREIGN, with_deal(pk=lambda o: o["fact"].pk), "post",
                                    lambda o, u: {"action": "verify", "note": "matrix"})],
    "analysis:gaps": [page()],
    "analysis:gap_decision": [Rule(ANALYST_POST, PAGE_FOREIGN, with_deal(pk=lambda o: o["gap"].pk), "post",
                                   lambda o, u: {"action": "resolve"})],
    "analysis:findings": [page()],
    "analysis:finding_review": [Rule(ANALYST_POST, PAGE_FOREIGN, with_deal(pk=lambda o: o["finding"].pk), "post",
                                     lambda o, u: {"decision": "accepted", "reason": "matrix"})],
    "analysis:finding_comment": [Rule(ANALYST_POST, PAGE_FOREIGN, with_deal(pk=lambda o: o["finding"].pk), "post",
                                      lambda o, u: {"text": "matrix"})],
    "analysis:finding": [page(with_deal(pk=lambda o: o["finding"].pk))],
    "analysis:page_text": [page(with_deal(document_id=lambda o: o["page"].document_id, number=lambda o: o["page"].number))],
    "analysis:compare": [page(with_deal(a=lambda o: o["run"].number, b=lambda o: o["run"].number))],
    "analysis:run_start": [Rule(ANALYST_POST, PAGE_FOREIGN, deal_kw, "post", lambda o, u: {})],
    "analysis:run": [page(with_deal(number=lambda o: o["failed"].number))],
    "analysis:run_status": [page(with_deal(number=lambda o: o["failed"].number))],
    "analysis:run_requeue": [Rule(MANAGER_POST, PAGE_FOREIGN, with_deal(number=lambda o: o["failed"].number), "post",
                                  lambda o, u: {})],
    "analysis:run_cancel": [Rule(MANAGER_POST, PAGE_FOREIGN, with_deal(number=lambda o: o["failed"].number), "post",
                                 lambda o, u: {})],
    "analysis:audit": [page()],
    "analysis:batch": [Rule(PAGE, PAGE_FOREIGN, lambda o: {"batch_id": o["batch"].pk})],
    "analysis:batch_requeue": [Rule(MANAGER_POST, PAGE_FOREIGN, lambda o: {"batch_id": o["batch"].pk}, "post",
                                    lambda o, u: {})],
    "analysis:summary": [page()],
    "analysis:summary_pdf": [page()],
    "analysis:export_workbook": [page()],
    "analysis:export_vdr": [page(with_deal(fmt="csv"))],
    "analysis:export": [page(with_deal(kind="facts", fmt="csv")), page(with_deal(kind="findings", fmt="json"))],
    # admin, site-wide
    "admin:index": [Rule(STAFF.format(200, 200, 200))],
    "admin:login": [Rule("200 200 200 200 302 302 302")],
    "admin:logout": [Rule(STAFF.format(405, 405, 405))],
    "admin:password_change": [Rule(STAFF.format(200, 200, 200))],
    "admin:password_change_done": [Rule(STAFF.format(200, 200, 200))],
    "admin:autocomplete": [Rule(STAFF.format(403, 403, 403))],  # no autocomplete field is left
    "admin:jsi18n": [Rule(STAFF.format(200, 200, 200))],
    "admin:view_on_site": [Rule(STAFF.format(404, 404, 404), STAFF.format(404, 404, 404),
                                lambda o: {"content_type_id": ContentType.objects.get_for_model(o["deal"]).pk,
                                           "object_id": o["deal"].pk})],
    "admin:app_list": [Rule(STAFF.format(200, 200, 200), kwargs=lambda o: {"app_label": "analysis"}),
                       Rule(STAFF.format(200, 200, 200), kwargs=lambda o: {"app_label": "deals"}),
                       Rule(STAFF.format(404, 404, 404), kwargs=lambda o: {"app_label": "auth"})],  # no auth perms
    "admin/<catch-all>": [Rule(STAFF.format(404, 404, 404), path=lambda o: "/admin/no-such-page/")],
    "admin:auth_user_password_change": [Rule(STAFF.format(403, 403, 403), STAFF.format(403, 403, 403),
                                             lambda o: {"id": o["boss"].pk})],
}


@dataclass
class AdminModel:
    """The admin rows of one registered model, by URL kind; `obj` picks the model's object of a side."""

    obj: Callable
    changelist: str = STAFF.format(200, 200, 200)
    add: str = STAFF.format(403, 403, 403)
    change: str = STAFF.format(200, 404, 200)
    change_foreign: str = STAFF.format(404, 404, 404)
    change_post: str = STAFF.format(403, 403, 403)  # a forged edit of a read-only record
    change_post_foreign: str = STAFF.format(403, 403, 403)
    post_data: Callable = lambda o, u: {}
    delete: str = STAFF.format(403, 403, 403)
    delete_foreign: str = STAFF.format(403, 403, 403)
    history: str = STAFF.format(200, 404, 200)
    history_foreign: str = STAFF.format(404, 404, 404)


def deal_form(o, u):
    deal = o["deal"]
    members = DealMembership.objects.filter(deal=deal).count()
    return {
        "name": deal.name, "target_name": deal.target_name, "buyer_name": deal.buyer_name, "deal_type": deal.deal_type,
        "status": deal.status, "industry": deal.industry, "reference_date": str(deal.reference_date),
        "memberships-TOTAL_FORMS": str(members), "memberships-INITIAL_FORMS": str(members),
        "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
    }


NO_STAFF_PERMS = STAFF.format(403, 403, 403)

ADMIN_MODELS: dict[str, AdminModel] = {
    "deals.deal": AdminModel(
        obj=lambda o: o["deal"], add=STAFF.format(200, 200, 200),
        change_post=STAFF.format(302, 404, 403), change_post_foreign=STAFF.format(404, 404, 404), post_data=deal_form,
    ),
    "deals.dealmembership": AdminModel(
        obj=lambda o: o["viewer_membership"], add=STAFF.format(200, 403, 403),
        change_post=STAFF.format(302, 404, 403), change_post_foreign=STAFF.format(404, 404, 404),
        post_data=lambda o, u: {"role": Role.ANALYST},
        delete=STAFF.format(200, 404, 403), delete_foreign=STAFF.format(404, 404, 404),
    ),
    "deals.document": AdminModel(obj=lambda o: o["document"]),
    "deals.documentpage": AdminModel(obj=lambda o: o["page"]),
    "analysis.analysisrun": AdminModel(obj=lambda o: o["failed"], post_data=lambda o, u: {
        "deal": o["deal"].pk, "number": 99, "status": RunStatus.COMPLETED, "fact_count": 999, "cost": "0.01"}),
    "analysis.runstep": AdminModel(obj=lambda o: o["step"], post_data=lambda o, u: {"status": "done"}),
    "analysis.analysisbatch": AdminModel(obj=lambda o: o["batch"]),
    "analysis.fact": AdminModel(obj=lambda o: o["fact"], post_data=lambda o, u: {"item": "forged", "verification": "verified"}),
    "analysis.gap": AdminModel(obj=lambda o: o["gap"]),
    "analysis.finding": AdminModel(obj=lambda o: o["finding"], post_data=lambda o, u: {"severity": "low"}),
    "analysis.factfindinglink": AdminModel(obj=lambda o: o["link"]),
    "analysis.enginecall": AdminModel(obj=lambda o: o["call"]),
    "audit.auditevent": AdminModel(obj=lambda o: o["event"]),
    "analysis.notification": AdminModel(obj=lambda o: o["notification"], change=STAFF.format(200, 404, 404),
                                        history=STAFF.format(200, 404, 404)),
    # django.contrib.auth: our staff hold no auth permission.
    "auth.user": AdminModel(obj=lambda o: o["boss"], changelist=NO_STAFF_PERMS, change=NO_STAFF_PERMS,
                            change_foreign=NO_STAFF_PERMS, history=NO_STAFF_PERMS, history_foreign=NO_STAFF_PERMS),
    "auth.group": AdminModel(obj=lambda o: o["group"], changelist=NO_STAFF_PERMS, change=NO_STAFF_PERMS,
                             change_foreign=NO_STAFF_PERMS, history=NO_STAFF_PERMS, history_foreign=NO_STAFF_PERMS),
}


def selected(key):
    return lambda o, u: {"_selected_action": [o[key].pk]}


# (model, action) → (own, foreign): POSTed to the changelist with the side's object selected. Objects of a deal
# the user cannot see are not in the changelist: the action runs on nothing (CSV header only / no change).
ACTIONS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("deals.deal", "start_batch_normal"): ("deal", STAFF.format(302, 302, 403), STAFF.format(302, 302, 302)),
    ("deals.deal", "start_batch_high"): ("deal", STAFF.format(302, 302, 403), STAFF.format(302, 302, 302)),
    ("deals.document", "requeue_extraction"): ("document", STAFF.format(302, 302, 403), STAFF.format(302, 302, 302)),
    ("analysis.analysisrun", "requeue_runs"): ("failed", STAFF.format(302, 302, 403), STAFF.format(302, 302, 302)),
    ("analysis.analysisrun", "cancel_runs"): ("failed", STAFF.format(302, 302, 403), STAFF.format(302, 302, 302)),
    ("analysis.analysisbatch", "requeue_failed_batch_runs"): ("batch", STAFF.format(302, 302, 403), STAFF.format(302, 302, 302)),
    ("analysis.fact", "export_selected_facts"): ("fact", STAFF.format(200, 200, 200), STAFF.format(200, 200, 200)),
    ("analysis.fact", "verify_selected"): ("fact", STAFF.format(302, 302, 403), STAFF.format(302, 302, 302)),
    ("analysis.fact", "reject_selected"): ("fact", STAFF.format(302, 302, 403), STAFF.format(302, 302, 302)),
    ("analysis.gap", "export_selected_gaps"): ("gap", STAFF.format(200, 200, 200), STAFF.format(200, 200, 200)),
    ("analysis.gap", "resolve_selected"): ("gap", STAFF.format(302, 302, 403), STAFF.format(302, 302, 302)),
    ("analysis.finding", "export_selected_findings"): ("finding", STAFF.format(200, 200, 200), STAFF.format(200, 200, 200)),
    # delete_selected is offered nowhere (read-only records; members one at a time): on a changelist with
    # other actions it is an unknown action (302 back, nothing done); without any, the POST just shows the list.
    **{(m, "delete_selected"): (k, STAFF.format(302, 302, 302), STAFF.format(302, 302, 302)) for m, k in (
        ("deals.deal", "deal"), ("deals.document", "document"), ("analysis.analysisrun", "failed"),
        ("analysis.analysisbatch", "batch"), ("analysis.fact", "fact"), ("analysis.gap", "gap"),
        ("analysis.finding", "finding"))},
    **{(m, "delete_selected"): (k, STAFF.format(200, 200, 200), STAFF.format(200, 200, 200)) for m, k in (
        ("deals.dealmembership", "viewer_membership"), ("deals.documentpage", "page"), ("analysis.runstep", "step"),
        ("analysis.factfindinglink", "link"), ("analysis.enginecall", "call"), ("audit.auditevent", "event"),
        ("analysis.notification", "notification"))},
    ("auth.user", "delete_selected"): ("boss", NO_STAFF_PERMS, NO_STAFF_PERMS),
    ("auth.group", "delete_selected"): ("group", NO_STAFF_PERMS, NO_STAFF_PERMS),
}


def admin_rules() -> dict[str, list[Rule]]:
    rules: dict[str, list[Rule]] = {}
    for label, m in ADMIN_MODELS.items():
        app, model = label.split(".")
        prefix = f"admin:{app}_{model}"
        oid = lambda o, m=m: {"object_id": m.obj(o).pk}  # noqa: E731
        rules[f"{prefix}_changelist"] = [Rule(m.changelist)]
        rules[f"{prefix}_add"] = [Rule(m.add)]
        rules[f"{prefix}_change"] = [
            Rule(m.change, m.change_foreign, oid),
            Rule(m.change_post, m.change_post_foreign, oid, "post", m.post_data),
        ]
        rules[f"{prefix}_history"] = [Rule(m.history, m.history_foreign, oid)]
        rules[f"{prefix}_delete"] = [
            Rule(m.delete, m.delete_foreign, oid),
            Rule(m.delete.replace("200", "302"), m.delete_foreign, oid, "post", lambda o, u: {"post": "yes"}),
        ]
        # /admin/<app>/<model>/<id>/ redirects to the change form (which then applies the rules above).
        rules[f"admin/{app}/{model}/<path:object_id>/"] = [
            Rule(STAFF.format(302, 302, 302), STAFF.format(302, 302, 302),
                 path=lambda o, m=m, app=app, model=model: f"/admin/{app}/{model}/{m.obj(o).pk}/")
        ]
    # The membership escalation: "make me manager of this deal" through the add form.
    rules["admin:deals_dealmembership_add"].append(Rule(
        STAFF.format(302, 403, 403), STAFF.format(403, 403, 403), method="post",
        data=lambda o, u: {"deal": o["deal"].pk, "username": u.get_username() if u else "nobody", "role": Role.MANAGER},
    ))
    return rules


# --- the dataset ---------------------------------------------------------------------------------------

def build_side(name: str, mark: str, boss, users_by_role: dict) -> dict:
    deal = make_deal(name)
    MembershipFactory(deal=deal, user=boss, role=Role.MANAGER)
    for role, user in users_by_role.items():
        MembershipFactory(deal=deal, user=user, role=role)
    doc = make_document(deal, "target", [f"The ERP is {mark}.", "Firewalls: FortiOS 6.0 at 12 sites."])
    doc.file.save("inventory.txt", ContentFile(f"The ERP is {mark}.".encode()), save=True)
    erp = fact(doc, "applications", "erp", mark, f"The ERP is {mark}.")
    fw = fact(doc, "network", "firewall", "FortiOS 6.0", "Firewalls: FortiOS 6.0 at 12 sites.", page=2)
    run = persist_run(deal, [erp, fw], [gap("cybersecurity", "pen_test", f"No pen test for {mark}", "critical")],
                      [finding("applications", f"{mark} ends support", fact_keys=[erp.key], cost=(1000, 2000))])
    failed = persist_run(deal, [erp], status=RunStatus.FAILED)
    batch = AnalysisBatch.objects.create(name=f"batch of {boss.get_username()}", created_by=boss)
    AnalysisRun.objects.filter(pk__in=[run.pk, failed.pk]).update(batch=batch)
    step = RunStep.objects.filter(run=run).first()
    call = EngineCall.objects.create(run=run, step=step, model="ledger", request_id=f"req-{deal.pk}")
    found = Finding.objects.for_run(run).first()
    return {
        "deal": deal, "run": run, "failed": failed, "batch": batch, "document": doc, "step": step, "call": call,
        "page": DocumentPage.objects.filter(document=doc).first(), "fact": Fact.objects.get(run=run, key=erp.key),
        "gap": Gap.objects.for_run(run).first(), "finding": found,
        "link": FactFindingLink.objects.filter(finding=found).first(),
        "event": AuditEvent.objects.filter(deal=deal).first(),
        "notification": Notification.objects.create(user=boss, deal=deal, run=run, kind="run.completed",
                                                    message=f"{name} run {run.number} completed: 2 facts"),
        "viewer_membership": None,
    }


@pytest.fixture
def matrix_data(db):
    User = get_user_model()
    staff_perms = Permission.objects.filter(content_type__app_label__in=["deals", "analysis", "audit"])

    def user(username, staff=False):
        u = UserFactory(username=username, password="pw", is_staff=staff)
        if staff:
            u.user_permissions.add(*staff_perms)
        return u

    users = {
        "anonymous": None, "outsider": user("outsider"), "viewer": user("viewer"), "analyst": user("analyst"),
        "manager": user("manager", staff=True), "staff_outsider": user("staff_outsider", staff=True),
        "staff_viewer": user("staff_viewer", staff=True),
    }
    own = build_side(OWN_NAME, OWN_MARK, users["manager"], {
        Role.VIEWER: users["viewer"], Role.ANALYST: users["analyst"]})
    MembershipFactory(deal=own["deal"], user=users["staff_viewer"], role=Role.VIEWER)
    foreign_boss = user("osprey_boss", staff=True)
    foreign = build_side(FOREIGN_NAME, FOREIGN_MARK, foreign_boss, {Role.VIEWER: user("osprey_viewer")})
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="auditors")
    for side, viewer in ((own, users["viewer"]), (foreign, User.objects.get(username="osprey_viewer"))):
        side["viewer_membership"] = DealMembership.objects.get(deal=side["deal"], user=viewer)
        side["boss"] = side["deal"].memberships.get(role=Role.MANAGER).user
        side["group"] = group
    return users, own, foreign


# --- walking the resolver -------------------------------------------------------------------------------

def pattern_keys(patterns=None, namespace="", prefix=""):
    """(key, pattern) for every URL pattern: "ns:name" when named, else its full route."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else (p.namespace or namespace)
            yield from pattern_keys(p.url_patterns, ns, route)
        elif isinstance(p, URLPattern):
            if p.name:
                yield (f"{namespace}:{p.name}" if namespace else p.name), p
            elif route in ("", "^$"):
                yield "<root>", p
            elif route.startswith("admin/") and route.endswith("(?P<url>.*)$"):
                yield "admin/<catch-all>", p
            else:
                yield route.replace("^", "").replace("$", ""), p


def registered_actions():
    """(model label, action name) for every action any admin offers (a superuser sees them all)."""
    class Superuser:
        is_superuser = is_staff = is_active = is_authenticated = True

        def has_perm(self, *a):
            return True

    request = type("R", (), {"user": Superuser(), "GET": {}, "POST": {}})()
    for model, model_admin in admin.site._registry.items():
        names = {name for _, name, _ in model_admin._get_base_actions()}
        names |= set(model_admin.get_actions(request))
        for name in names:
            yield model._meta.label_lower, name


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def fingerprint():
    return (
        sorted(DealMembership.objects.values_list("deal_id", "user_id", "role")),
        sorted(AnalysisRun.objects.values_list("id", "deal_id", "number", "status", "fact_count", "cost")),
        sorted(Fact.all_objects.values_list("id", "run_id", "item", "verification")),
        sorted(Gap.objects.values_list("id", "resolved_at")),
    )


@pytest.mark.slow  # ~2 minutes: some 4,000 requests
def test_every_url_and_action_answers_each_role_as_the_table_says(matrix_data):
    users, own, foreign = matrix_data
    rules = {**RULES, **admin_rules()}
    clients = {}
    for role in ROLES:
        clients[role] = Client()
        if users[role] is not None:
            clients[role].force_login(users[role])
    not_theirs = {
        role: ({OWN_NAME, OWN_MARK} if role in ("anonymous", "outsider", "staff_outsider") else set())
        | {FOREIGN_NAME, FOREIGN_MARK}
        for role in ROLES
    }
    failures: list[str] = []

    def check(label, rule_codes, method, url, data_for):
        for role, expected in zip(ROLES, codes(rule_codes)):
            client = clients[role]
            if method == "get":
                response = client.get(url)
                status, body = response.status_code, body_of(response)
            else:
                with transaction.atomic():  # every POST is undone: the next cell sees the same data
                    before = fingerprint()
                    response = client.post(url, data_for(users[role]) if data_for else {})
                    status, body = response.status_code, body_of(response)
                    if status in (401, 403, 404) and fingerprint() != before:
                        failures.append(f"{label} {method.upper()} {url} as {role}: refused ({status}) but changed data")
                    transaction.set_rollback(True)
            if status != expected:
                failures.append(f"{label} {method.upper()} {url} as {role}: {status}, expected {expected}")
            leaked = [n for n in not_theirs[role] if n in body]
            if leaked:
                failures.append(f"{label} {method.upper()} {url} as {role}: shows {leaked}")

    seen = set()
    for key, _pattern in pattern_keys():
        seen.add(key)
        if key not in rules:
            failures.append(f"no rule for URL pattern {key!r}")
            continue
        for rule in rules[key]:
            for side_name, side, rule_codes in (("own", own, rule.own), ("foreign", foreign, rule.foreign)):
                if rule_codes is None:
                    continue
                if rule.path is not None:
                    url = rule.path(side)
                else:
                    url = reverse(key, kwargs=rule.kwargs(side) if rule.kwargs else None)
                if rule.query:
                    url += "?" + "&".join(f"{k}={v}" for k, v in rule.query.items())
                data_for = (lambda u, rule=rule, side=side: rule.data(side, u)) if rule.data else None
                check(f"[{key} {side_name}]", rule_codes, rule.method, url, data_for)
    failures += [f"rule for a URL pattern that no longer exists: {k!r}" for k in rules if k not in seen]

    for label, name in sorted(set(registered_actions())):
        if (label, name) not in ACTIONS:
            failures.append(f"no rule for admin action {label}.{name}")
            continue
        obj_key, own_codes, foreign_codes = ACTIONS[(label, name)]
        app, model = label.split(".")
        url = reverse(f"admin:{app}_{model}_changelist")
        for side_name, side, rule_codes in (("own", own, own_codes), ("foreign", foreign, foreign_codes)):
            data_for = lambda u, side=side, obj_key=obj_key, name=name: {  # noqa: E731
                "action": name, "_selected_action": [side[obj_key].pk], "index": "0"}
            check(f"[action {label}.{name} {side_name}]", rule_codes, "post", url, data_for)

    assert not failures, f"{len(failures)} cell(s) differ:\n" + "\n".join(failures)


def test_a_pattern_or_action_without_a_rule_is_reported():
    """The matrix is complete (every resolver pattern and admin action has a rule), and a missing rule shows."""
    rules = {**RULES, **admin_rules()}
    keys = {key for key, _ in pattern_keys()}
    assert keys - set(rules) == set() and set(rules) - keys == set()
    assert set(registered_actions()) - set(ACTIONS) == set()
    rules.pop("analysis:summary")
    assert keys - set(rules) == {"analysis:summary"}
