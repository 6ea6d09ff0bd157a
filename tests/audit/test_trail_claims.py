"""The trail's claims, checked as the application's own login (README.md, "What the trail
proves"): the who and why are what the application asserts, so a compromised application
can forge them; the database role, the transaction and the server's time beside them are
asserted by the database, and the application's login cannot forge those."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from pghistory.core import event_models

from eligibility.models import Demographics
from tests.audit.test_production_role import (  # noqa: F401 - pytest fixtures
    app_login,
    refused_as,
    set_context,
    update_weight,
)
from trial.exports import audit_csv
from trial.exports.common import Scope
from trial.models import ContextStamp


def _rows_of(event_table: str) -> list[dict[str, str]]:
    out = io.StringIO()
    audit_csv.write(Scope(), out)
    return [
        row
        for row in csv.DictReader(io.StringIO(out.getvalue()))
        if row["audit_event"].startswith(event_table + ":")
    ]


def test_a_forged_context_shows_the_invented_who_beside_what_the_database_saw(
    app_login,  # noqa: F811
    demog,
    investigator,
):
    conn = app_login()
    login_role = conn.info.user
    before = datetime.now(UTC)
    with conn.transaction():
        # The application's login claims to be the investigator, with a reason of its own.
        conn.execute(
            *set_context(
                uuid.uuid4(),
                {"user": investigator.pk, "username": "ivan", "reason": "invented reason"},
            )
        )
        conn.execute(*update_weight(demog, "70"))
        # And tries to write the database's own columns in the context too.
        conn.execute(
            *set_context(
                uuid.uuid4(),
                {"user": investigator.pk, "db_role": "edc_owner", "reason": "invented reason"},
            )
        )
        txid = conn.execute("SELECT txid_current()").fetchone()[0]
    after = datetime.now(UTC)

    (row,) = [r for r in _rows_of("eligibility_demographicsevent") if r["new_value"] == "70.0"]
    # Asserted by the application: forged, and the README says so.
    assert (row["user"], row["reason"]) == ("ivan", "invented reason")
    # Asserted by the database: the login that really wrote it, its transaction, its clock.
    assert row["db_role"] == login_role != "ivan"
    assert row["db_transaction"] == str(txid)
    at = datetime.fromisoformat(row["db_time_utc"].replace("Z", "+00:00"))
    assert before <= at <= after


def test_the_app_login_cannot_write_what_the_database_asserts(app_login, demog):  # noqa: F811
    event_model = event_models(tracks_model=Demographics)[0]
    table = event_model._meta.db_table
    event = event_model.objects.get()  # the fixture's save
    assert event.edc_db_role and event.edc_txid and event.edc_clock_at
    conn = app_login()
    for sql, params in (
        (f"UPDATE \"{table}\" SET edc_db_role = 'someone' WHERE pgh_id = %s", [event.pgh_id]),
        (
            f'UPDATE "{table}" SET edc_txid = 1, edc_clock_at = now() WHERE pgh_id = %s',
            [event.pgh_id],
        ),
        (
            f'INSERT INTO "{table}" (pgh_created_at, pgh_label, pgh_obj_id, form_status_id, '
            "edc_db_role, edc_txid, edc_clock_at) SELECT now(), 'update', pgh_obj_id, "
            f"form_status_id, 'someone', 1, now() FROM \"{table}\" WHERE pgh_id = %s",
            [event.pgh_id],
        ),
    ):
        assert "permission denied" in refused_as(conn, (sql, params))
    # The stamps of the events written before the stamp moved into the event row: as
    # protected as they were.
    stamp = ContextStamp.objects.create(
        context_id=uuid.uuid4(),
        txid=1,
        transaction_started_at=datetime.now(UTC),
        clock_at=datetime.now(UTC),
        db_role="edc_owner",
    )
    for sql, params in (
        ("UPDATE trial_contextstamp SET db_role = 'someone' WHERE id = %s", [stamp.pk]),
        ("DELETE FROM trial_contextstamp WHERE id = %s", [stamp.pk]),
        (
            "INSERT INTO trial_contextstamp (context_id, txid, transaction_started_at, "
            "clock_at, db_role, client_address) VALUES (%s, 1, now(), now(), 'x', '')",
            [str(stamp.context_id)],
        ),
    ):
        assert "permission denied" in refused_as(conn, (sql, params))


def test_the_readme_states_which_columns_the_database_asserts():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    section = readme.split("### What the trail proves", 1)[1].split("\n## ", 1)[0]
    for column in ("db_role", "db_transaction", "db_time_utc"):
        assert f"`{column}`" in section
    assert "asserted by the application" in section
    assert "can be forged" in section
