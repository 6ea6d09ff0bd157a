"""Export the audit trail, streamed: one CSV row per changed item, or CDISC ODM 1.3.2.

    manage.py export_audit --format csv --output PATH [--site CODE] [--participant CODE]
                           [--user USERNAME]
    manage.py export_audit --format odm --output PATH [...]

Without --user it runs as the system (for data managers' scripts: every site); with it, only
what that account may see. An unknown site or participant, or one out of reach, is an error.
Every export is logged (ExportLog) and itself audited.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.management.base import BaseCommand, CommandError

from trial.audit import audit_origin
from trial.exports import audit_csv, odm
from trial.exports.actions import finish_export, record_export, requester
from trial.exports.common import ExportError, resolve_scope
from trial.models import ExportKind


class Command(BaseCommand):
    help = "Export the audit trail (CSV, one row per changed item, or ODM 1.3.2 Transactional)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--format", choices=["csv", "odm"], default="csv")
        parser.add_argument("--output", required=True, help="file to write ('-' for stdout)")
        parser.add_argument("--site", default="", help="site code")
        parser.add_argument("--participant", default="", help="participant code")
        parser.add_argument("--user", default="", help="export as this account (its reach)")

    def handle(self, *args, **options) -> None:
        with audit_origin(command="export_audit"):
            try:
                user = requester(options["user"])
                scope = resolve_scope(
                    user, site=options["site"], participant=options["participant"]
                )
            except ExportError as error:
                raise CommandError(str(error)) from None
            odm_format = options["format"] == "odm"
            kind = ExportKind.AUDIT_ODM if odm_format else ExportKind.AUDIT_CSV
            log = record_export(scope, kind, origin="manage.py export_audit")
            output = options["output"]
            if odm_format:
                if output == "-":
                    count = odm.write_transactional(scope, cast(Any, self.stdout)._out.buffer)
                else:
                    with open(output, "wb") as target:
                        count = odm.write_transactional(scope, target)
            elif output == "-":
                count = audit_csv.write(scope, self.stdout._out)
            else:
                with open(output, "w", encoding="utf-8", newline="") as target:
                    count = audit_csv.write(scope, target)
            finish_export(log, count)
        if output != "-":
            self.stderr.write(f"{count} changed items written to {output}")
