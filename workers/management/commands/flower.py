"""`manage.py flower`: start Flower on the same broker as the workers, always with basic auth."""
from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError

from workers.ops.flower import FlowerConfigError, flower_command, flower_credentials


class Command(BaseCommand):
    help = "Start Flower (port from FLOWER_PORT, default 5555; credentials from FLOWER_BASIC_AUTH)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("FLOWER_PORT") or 5555))
        parser.add_argument("flower_args", nargs="*", help="Extra Flower options, e.g. --address=0.0.0.0")

    def handle(self, *args, port: int, flower_args: list[str], **options):
        try:
            credentials, generated = flower_credentials()
        except FlowerConfigError as exc:
            raise CommandError(str(exc)) from None
        if generated:
            user, _, password = credentials.partition(":")
            self.stderr.write(f"FLOWER_BASIC_AUTH not set (DEBUG): log in as {user} / {password}")
        env = {**os.environ, "FLOWER_BASIC_AUTH": credentials}
        env.pop("FLOWER_PORT", None)  # --port below wins; Flower would read it too
        command = flower_command(port, flower_args)
        self.stdout.write(f"Flower on port {port} (basic auth on)")
        self.stdout.flush()
        os.execve(command[0], command, env)  # become Flower: signals and exit code are its own
