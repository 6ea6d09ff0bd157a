"""Export the current data: one CSV per form and per item group, a data dictionary, and an
ODM 1.3.2 Snapshot with its MetaDataVersion.

    manage.py export_data --output DIR [--site CODE] [--participant CODE] [--user USERNAME]
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from trial import roles
from trial.audit import audit_origin
from trial.exports import data_csv
from trial.exports.actions import finish_export, record_export, requester
from trial.exports.common import ExportError, resolve_scope
from trial.models import ExportKind


class Command(BaseCommand):
    help = "Export the current data: CSV per form and item group, dictionary, ODM Snapshot."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", required=True, help="directory to write into")
        parser.add_argument("--site", default="")
        parser.add_argument("--participant", default="")
        parser.add_argument("--user", default="", help="export as this data manager")

    def handle(self, *args, **options) -> None:
        with audit_origin(command="export_data"):
            try:
                user = requester(options["user"])
                if user is not None and not roles.has_any(user, roles.ALL_SITES):
                    raise ExportError("Only data managers may export the data.")
                scope = resolve_scope(
                    user, site=options["site"], participant=options["participant"]
                )
            except ExportError as error:
                raise CommandError(str(error)) from None
            log = record_export(scope, ExportKind.DATA, origin="manage.py export_data")
            count = data_csv.write(scope, Path(options["output"]))
            finish_export(log, count)
        self.stderr.write(f"{count} rows written to {options['output']}")
