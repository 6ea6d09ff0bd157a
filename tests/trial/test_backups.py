"""Backups: `manage.py backup` then `manage.py restore --into` a fresh database gives back every
row of every table, the audit trail included (pghistory's event tables, pghistory_context, the
login log), and the restored trail is still append-only."""

from __future__ import annotations

import stat
import uuid

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from psycopg import sql

from tests.audit.conftest import save_demographics
from trial import actions, backups
from trial.models import AuthEventKind

pytestmark = pytest.mark.django_db(transaction=True)


def connect(dbname: str) -> psycopg.Connection:
    return backups._connect(connection.settings_dict, dbname)


def table_contents(dbname: str) -> dict[str, tuple[int, str]]:
    """Every table: its row count and a digest of all its rows."""
    with connect(dbname) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        contents = {}
        for table in tables:
            query = sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
                " FROM {} t"
            ).format(sql.Identifier(table))
            contents[table] = tuple(conn.execute(query).fetchone())
    return contents


@pytest.fixture
def restored_name():
    name = f"edc_restored_{uuid.uuid4().hex[:8]}"
    yield name
    with connect("postgres") as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.mark.req("P11.10c", "A11.7", "E6.4.3.3")
def test_backup_then_restore_finds_every_row_and_audit_event(
    participant, nurse, tmp_path, restored_name
):
    save_demographics(nurse, participant.forms.get(form="DEMOG"))
    save_demographics(
        nurse, participant.forms.get(form="DEMOG"), reason="typo in the weight", weight_kg=63
    )
    actions.record_failure(AuthEventKind.LOGIN_FAILED, "alice")
    source = connection.settings_dict["NAME"]
    before = table_contents(source)

    dump = tmp_path / "edc.dump"
    call_command("backup", output=dump)
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600
    call_command("restore", dump, into=restored_name)

    after = table_contents(restored_name)
    assert after == before
    audit = [t for t in before if t.endswith("event") and before[t][0]]
    assert {"eligibility_demographicsevent", "trial_formstatusevent"} <= set(audit)
    assert before["trial_authevent"][0] > 0
    # The reason for change travelled with its event, and so did the database's stamp.
    with connect(restored_name) as conn:
        reasons = {
            r
            for (r,) in conn.execute(
                "SELECT edc_context->>'reason' FROM eligibility_demographicsevent "
                "WHERE edc_txid IS NOT NULL AND edc_db_role IS NOT NULL"
            )
        }
        assert "typo in the weight" in reasons
        # The trail restored is as append-only as the original.
        with pytest.raises(psycopg.errors.RaiseException):
            conn.execute("DELETE FROM trial_formstatusevent")
        with pytest.raises(psycopg.errors.RaiseException):
            conn.execute("UPDATE trial_authevent SET username = 'x'")


def test_restore_refuses_an_existing_database_a_missing_file_and_a_full_database(tmp_path):
    dump = tmp_path / "x.dump"
    dump.write_bytes(b"not read")
    with pytest.raises(CommandError, match="exists already"):
        call_command("restore", dump, into="postgres")
    with pytest.raises(CommandError, match="No backup"):
        call_command("restore", tmp_path / "missing.dump", into="edc_never")
    # Neither --into nor --replace: the configured database has tables, refused.
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", dump)
