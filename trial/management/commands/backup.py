"""Back up the database (the embedded one, or DATABASE_URL's) with pg_dump.

    manage.py backup [--output PATH]

Without --output, writes var/backups/edc-YYYYmmdd-HHMMSS.dump. The file (pg_dump's custom
format) holds every table, row and audit event, and is readable by its owner only.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from trial import backups


class Command(BaseCommand):
    help = "Back up the database with pg_dump (custom format)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", type=Path, help="the file to write")

    def handle(self, *args, output: Path | None = None, **options) -> None:
        if output is None:
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
            output = Path(settings.BASE_DIR) / "var" / "backups" / f"edc-{stamp}.dump"
        try:
            written = backups.backup(output)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Backed up to {written} ({written.stat().st_size} bytes)")
