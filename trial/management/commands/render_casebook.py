"""Render a participant's casebook (PDF/A-3b, data attached) to a file, without Celery."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from trial import pdf
from trial.models import Participant


class Command(BaseCommand):
    help = "Write the casebook PDF of participant CODE to PATH."

    def add_arguments(self, parser) -> None:
        parser.add_argument("code")
        parser.add_argument("--output", required=True, help="the PDF file to write")
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="the language of the casebook's labels, dates and numbers",
        )

    def handle(self, *args, **options) -> None:
        participant = (
            Participant.objects.select_related("site").filter(code=options["code"]).first()
        )
        if participant is None:
            raise CommandError(f"No participant {options['code']}")
        start = time.perf_counter()
        with translation.override(options["language"]):
            rendered = pdf.casebook_pdf(participant)
        Path(options["output"]).write_bytes(rendered.content)
        self.stdout.write(
            f"{options['output']}: {rendered.pages} pages in {time.perf_counter() - start:.1f} s"
        )
