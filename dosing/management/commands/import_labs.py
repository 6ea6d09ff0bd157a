"""Import a lab file (FHIR R4 JSON, or the site's CSV) into the approval queue.

    manage.py import_labs FILE [--site CODE] [--dry-run] [--user USERNAME]

One line per result: participant, sample date, item, the value as it would be stored, its unit,
the flags; then a summary line. A file with any problem is refused whole: every problem is
listed and the command exits with status 1. The same file twice queues nothing, and says so.
--dry-run reads and checks the file and writes nothing. Without --user it runs as the system
(every site); with it, only that account's participants.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from dosing.labimport import actions, report
from trial.actions import ActionRefused
from trial.audit import audit_origin
from trial.models import Site


class Command(BaseCommand):
    help = "Import lab results (FHIR R4 or CSV) into the approval queue; exit 1 if refused."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="a FHIR Bundle or Observation (.json), or a CSV")
        parser.add_argument("--site", default="", help="site code: its participants, its CSV")
        parser.add_argument("--dry-run", action="store_true", help="check and show, queue nothing")
        parser.add_argument("--user", default="", help="import as this account (its reach)")

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from None
        site = None
        if options["site"]:
            site = Site.objects.filter(code=options["site"]).first()
            if site is None:
                raise CommandError(f"No such site: {options['site']}")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No such user: {options['user']}")
        with audit_origin(command="import_labs"):
            try:
                outcome = actions.import_file(
                    user, path.name, content, site=site, dry_run=options["dry_run"]
                )
            except ActionRefused as refusal:
                raise CommandError(str(refusal)) from None
        for line in report.lines(outcome):
            self.stdout.write(line)
        if outcome.refused:
            for problem in outcome.problems:
                self.stderr.write(str(problem))
            raise CommandError(report.summary(outcome))
        self.stdout.write(report.summary(outcome))
