"""python manage.py dsmb_report --output FILE.pdf [--cutoff YYYY-MM-DD] [--language fr]

The DSMB report of the whole trial (every site), data as of the cut-off (today by default),
as the oversight page's "DSMB report" button makes it; logged as an export (ExportLog)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from oversight import actions
from trial.audit import audit_origin


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--cutoff {text!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = "Write the DSMB report (PDF) of the whole trial, data as of a cut-off date."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", required=True, help="the PDF file to write")
        parser.add_argument("--cutoff", help="data cut-off, YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--language", choices=[code for code, _name in settings.LANGUAGES], default=None
        )

    def handle(self, *args, output: str, cutoff: str | None, language: str | None, **options):
        day = _day(cutoff) if cutoff else timezone.localdate()
        if day > timezone.localdate():
            raise CommandError("The data cut-off cannot be in the future.")
        target = Path(output)
        if not target.parent.exists():
            raise CommandError(f"No such folder: {target.parent}")
        language = language or settings.LANGUAGE_CODE
        with translation.override(language), audit_origin(command="dsmb_report"):
            content, pages = actions.export_report(day, origin="manage.py dsmb_report")
        target.write_bytes(content)
        self.stdout.write(f"{target}: DSMB report, data cut-off {day}, {pages} pages")
