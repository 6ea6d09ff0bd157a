"""Check an archive written by `manage.py archive`: every hash of MANIFEST.sha256, the ODM
files against the ODM 1.3.2 XSD, the Dataset-JSON files against CDISC's schema (and each XPT
against its JSON), define.xml against the Define-XML 2.1 XSD, the casebooks' PDF/A claims.

    manage.py verify_archive DIR

One line per failure on standard output; exit status 1 on any.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from submission.verify import verify


class Command(BaseCommand):
    help = "Verify an archive: hashes, ODM, Dataset-JSON, define.xml, PDF/A claims."

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory")

    def handle(self, *args, directory: str, **options) -> None:
        failures = verify(Path(directory))
        for failure in failures:
            self.stdout.write(failure)
        if failures:
            self.stderr.write(f"{len(failures)} failures.")
            raise SystemExit(1)
        self.stderr.write(f"OK: every file of {directory} verified.")
