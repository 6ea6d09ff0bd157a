"""Restore a backup made by `manage.py backup` with pg_restore.

    manage.py restore PATH --into NAME    # into a new database NAME on the same server
    manage.py restore PATH                # into the configured database, if it is empty
    manage.py restore PATH --replace      # drop the configured database, then restore

Objects are owned by the role restoring. On a production server, restore as the owner role,
then run `manage.py audit_grants --role edc_app --apply` (README.md, The database role).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from trial import backups


class Command(BaseCommand):
    help = "Restore a backup (pg_restore) into a new database or the configured one."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--into", help="a new database to create and restore into")
        target.add_argument(
            "--replace",
            action="store_true",
            help="drop the configured database and restore in its place",
        )

    def handle(self, *args, path: Path, into: str | None, replace: bool, **options) -> None:
        try:
            name = backups.restore(path, into=into, replace=replace)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {path} into the database {name}")
