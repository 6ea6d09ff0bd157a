"""Write the SDTM package: each domain as Dataset-JSON 1.1 and SAS XPORT v5, define.xml
(Define-XML 2.1) and the blank CRF book, each file checked as it is written.

    manage.py export_sdtm --output DIR [--site CODE] [--user USERNAME]

Exit status 1 when a file is not valid (each error on a line of its own).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from submission import actions
from trial import roles
from trial.audit import audit_origin
from trial.exports.actions import requester
from trial.exports.common import ExportError, resolve_scope


class Command(BaseCommand):
    help = "Write the SDTM package (Dataset-JSON, XPT, define.xml) into a directory."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", required=True, help="directory to write into")
        parser.add_argument("--site", default="", help="only this site's participants")
        parser.add_argument("--user", default="", help="export as this data manager")

    def handle(self, *args, **options) -> None:
        output = Path(options["output"])
        if output.exists() and not output.is_dir():
            raise CommandError(f"{output} is a file, not a directory.")
        with audit_origin(command="export_sdtm"):
            try:
                user = requester(options["user"])
                if user is not None and not roles.has_any(user, roles.ALL_SITES):
                    raise ExportError("Only data managers may export the SDTM package.")
                scope = resolve_scope(user, site=options["site"])
            except ExportError as error:
                raise CommandError(str(error)) from None
            result = actions.export_package(scope, output, origin="manage.py export_sdtm")
        for problem in result.errors:
            self.stderr.write(problem)
        summary = ", ".join(f"{code} {count}" for code, count in result.records.items())
        self.stderr.write(f"{len(result.files)} files written to {output}: {summary}")
        if result.errors:
            raise CommandError(f"{len(result.errors)} errors: the package is not valid.")
