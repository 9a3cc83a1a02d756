"""The demo: demo users, the bundled sample deal imported, and one more analysis run of it.

Run twice, it reuses the users, the deal and the documents (content dedup) and adds a new run.
"""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from analysis.management.commands.analyze import run_and_report
from deals.dataroom import DataRoomError, deal_from_folder
from deals.models import DealMembership, Role

SAMPLE = Path(settings.BASE_DIR) / "samples" / "sample-deal"
DEMO_PASSWORD = "dealiq-demo"
DEMO_USERS = (
    ("analyst", Role.ANALYST, False),
    ("manager", Role.MANAGER, False),
    ("operator", Role.VIEWER, True),
)


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
            users[username] = user
        return users
