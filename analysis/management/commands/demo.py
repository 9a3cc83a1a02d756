"""The demo: demo users, the bundled sample deal imported, and one more analysis run of it.

Run twice, it reuses the users, the deal and the documents (content dedup) and adds a new run.
"""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q

from analysis.management.commands.analyze import run_and_report
from deals.dataroom_import import DataRoomError, deal_from_folder
from deals.models import DealMembership, Role

SAMPLE = Path(settings.BASE_DIR) / "samples" / "sample-deal"
DEMO_PASSWORD = "dealiq-demo"
DEMO_USERS = (
    ("analyst", Role.ANALYST, False),
    ("manager", Role.MANAGER, True),
    ("operator", Role.VIEWER, True),
)
# Admin permissions of the demo's staff users. What they may do to a deal's data is still decided by
# their role on the deal (the admin actions check it); these only open the admin pages.
ADMIN_PERMISSIONS = {
    "manager": [
        ("analysis", "view", "analysisrun"), ("analysis", "change", "analysisrun"),
        ("analysis", "view", "analysisbatch"), ("analysis", "change", "analysisbatch"),
        ("analysis", "view", "runstep"), ("analysis", "view", "enginecall"), ("audit", "view", "auditevent"),
        ("deals", "view", "deal"), ("deals", "change", "deal"), ("deals", "view", "dealmembership"),
        ("deals", "add", "dealmembership"), ("deals", "change", "dealmembership"), ("deals", "delete", "dealmembership"),
    ],
    "operator": [
        ("analysis", "view", "analysisrun"), ("analysis", "view", "analysisbatch"), ("analysis", "view", "runstep"),
        ("analysis", "view", "enginecall"), ("audit", "view", "auditevent"), ("deals", "view", "document"),
    ],
}


class Command(BaseCommand):
    help = "Create demo users, import the sample deal and analyse it."

    def add_arguments(self, parser):
        parser.add_argument("--sample", default=str(SAMPLE), help="Sample data room folder (with deal.json).")

    def handle(self, *args, sample: str, **options):
        with transaction.atomic():
            users = self._users()
        try:
            deal, outcomes = deal_from_folder(Path(sample), owner=users["manager"], uploaded_by=users["analyst"])
        except DataRoomError as exc:
            raise CommandError(str(exc)) from None
        for username, role, _ in DEMO_USERS:
            DealMembership.objects.get_or_create(deal=deal, user=users[username], defaults={"role": role})
        self.stdout.write(f"Deal {deal.pk} “{deal.name}”: documents " + ", ".join(f"{n} {k}" for k, n in outcomes.items()))
        run_and_report(self, deal, user=users["analyst"])
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Where to look:"))
        self.stdout.write("  make serve                      # then open http://127.0.0.1:8000/")
        self.stdout.write(f"  log in as analyst / manager / operator, password “{DEMO_PASSWORD}”")
        self.stdout.write(f"  deal page: http://127.0.0.1:8000/deals/{deal.pk}/   admin: http://127.0.0.1:8000/admin/")

    def _users(self):
        User = get_user_model()
        users = {}
        for username, _role, is_staff in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username, defaults={"is_staff": is_staff})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            if is_staff and not user.is_staff:  # a user of an earlier demo version
                user.is_staff = True
                user.save(update_fields=["is_staff"])
            user.user_permissions.add(*_permissions(ADMIN_PERMISSIONS.get(username, [])))
            users[username] = user
        return users


def _permissions(specs):
    from django.contrib.auth.models import Permission

    wanted = Q()
    for app_label, action, model in specs:
        wanted |= Q(content_type__app_label=app_label, codename=f"{action}_{model}")
    return Permission.objects.filter(wanted) if specs else Permission.objects.none()
