"""Print (or apply) the privileges of the application's database role.

    python manage.py audit_grants --role edc_app            # print the SQL
    python manage.py audit_grants --role edc_app --apply    # run it (as the owner role)

Run after every migrate, as the owner: new tables get the application's privileges, and every
audit table (including ones added by the migration) stays read-only to it: only the triggers,
running as the owner, append to the trail (trial/guards.py, install_guards).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from trial.guards import grant_statements


class Command(BaseCommand):
    help = "Print or apply the grants of the application's database role (read-only audit trail)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--role", default="edc_app")
        parser.add_argument("--apply", action="store_true")

    def handle(self, *args, role: str, apply: bool, **options) -> None:
        database = connection.settings_dict["NAME"]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                raise CommandError(
                    f"No database role {role!r}: create it first (CREATE ROLE {role} LOGIN "
                    "PASSWORD '...'), see README.md (The database role)."
                )
        statements = grant_statements(role, database)
        if not apply:
            self.stdout.write(";\n".join(statements) + ";")
            return
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(self.style.SUCCESS(f"Privileges of {role} applied."))
