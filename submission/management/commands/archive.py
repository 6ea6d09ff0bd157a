"""Write the trial's 25-year archive (EU CTR 536/2014 art. 58): the casebooks (PDF/A), the
SDTM package, the ODM Snapshot and Transactional files, the audit CSV, the roles-over-time
report when there is one, the schemas, and MANIFEST.sha256 over every file.

    manage.py archive --output DIR [--site CODE | --participant CODE] [--language en|fr]

DIR must be new or empty. Check it with `manage.py verify_archive DIR`.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from submission import actions
from submission.archive import ArchiveError
from trial.audit import audit_origin
from trial.exports.common import ExportError, resolve_scope


class Command(BaseCommand):
    help = "Write the trial's archive (casebooks, SDTM, ODM, audit trail, manifest)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", required=True, help="a new or empty directory")
        parser.add_argument("--site", default="", help="only this site's participants")
        parser.add_argument(
            "--participant", default="", help="only this participant (a participant's copy)"
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="the casebooks' language",
        )

    def handle(self, *args, **options) -> None:
        output = Path(options["output"])
        with audit_origin(command="archive"):
            try:
                scope = resolve_scope(site=options["site"], participant=options["participant"])
                written = actions.write_archive(
                    scope,
                    output,
                    origin="manage.py archive",
                    language=options["language"],
                    progress=lambda percent, step: self.stderr.write(f"{percent:3d} % {step}"),
                )
            except (ExportError, ArchiveError) as error:
                raise CommandError(str(error)) from None
        for problem in written.errors:
            self.stderr.write(problem)
        self.stderr.write(
            f"{len(written.files)} files ({written.casebooks} casebooks) and the manifest "
            f"written to {output}"
        )
        if written.errors:
            raise CommandError(f"{len(written.errors)} errors: the archive is not valid.")
