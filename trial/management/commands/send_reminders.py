"""Send the morning reminders by hand: the same job as the beat task."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from trial import reminders
from trial.audit import audit_origin


class Command(BaseCommand):
    help = "Send the day's reminder digests, one e-mail per person. Last line: N sent, M already."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", help="the day to run for, YYYY-MM-DD (default: now)")
        parser.add_argument("--dry-run", action="store_true", help="compute and show, send nothing")

    def handle(self, *args, **options) -> None:
        day = None
        if options["date"]:
            try:
                day = date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError("--date must be YYYY-MM-DD") from None
        with audit_origin(command="send_reminders"):
            result = reminders.run(day, dry_run=options["dry_run"])
        for line in result.lines:
            self.stdout.write(line)
        if options["dry_run"]:
            self.stdout.write("dry run: nothing was sent or logged")
        self.stdout.write(result.summary)
