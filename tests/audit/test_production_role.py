"""The production role: the application reads and appends to the audit trail, nothing more,
even if the triggers were gone (README.md (The database role))."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from tests.audit.conftest import save_demographics


@pytest.fixture
def app_role(db):
    """A throwaway role with the production grants, inside the test's transaction."""
    role = f"edc_test_app_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as c:
        c.execute(f'CREATE ROLE "{role}" NOLOGIN')
    call_command("audit_grants", role=role, apply=True, verbosity=0)
    return role


def as_role(role: str, sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as c:
        c.execute(f'SET LOCAL ROLE "{role}"')
        c.execute(sql, params)


UPDATES = {
    "trial_formstatusevent": "UPDATE trial_formstatusevent SET status = 'x'",
    "trial_userevent": "UPDATE trial_userevent SET username = 'x'",
    "trial_authevent": "UPDATE trial_authevent SET username = 'x'",
}


@pytest.mark.parametrize("table", UPDATES)
def test_the_app_role_cannot_update_delete_or_truncate_the_audit_trail(app_role, demog, table):
    for sql in (UPDATES[table], f'DELETE FROM "{table}"', f'TRUNCATE "{table}"'):
        with pytest.raises(DatabaseError, match="permission denied"):
            as_role(app_role, sql)


def test_the_app_role_cannot_delete_the_who_and_why(app_role, demog):
    with pytest.raises(DatabaseError, match="permission denied"):
        as_role(app_role, "DELETE FROM pghistory_context")


def test_the_app_role_still_writes_clinical_data_and_its_audit_events(app_role, demog, nurse):
    # The whole save (data, status row, triggers, context) runs under the application's role.
    with transaction.atomic():
        with connection.cursor() as c:
            c.execute(f'SET LOCAL ROLE "{app_role}"')
        row = save_demographics(nurse, demog, reason="transcription error", weight_kg="70")
        with connection.cursor() as c:
            c.execute("RESET ROLE")
    assert row.version == 2
    assert row.events.latest("pgh_id").pgh_context.metadata["reason"] == "transcription error"


def test_grants_need_an_existing_role(db):
    with pytest.raises(CommandError, match="create it first"):
        call_command("audit_grants", role="no_such_role_here", verbosity=0)
