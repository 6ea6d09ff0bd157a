"""The operations that gave every event table its context and stamp columns (migrations
trial 0020, eligibility 0007, dosing 0006, imaging 0005, followup 0004): one place for the
five apps' migrations. Frozen as those migrations ran: a later change of the columns is a
new migration with operations of its own, never an edit here.

Two steps for each column: added with no default, so that the events already written keep
none (a volatile default given with the column would be computed for every existing row,
stamping old events with the migration's transaction, clock and role), then given the
default that fills it in each new event, inside pghistory's trigger (trial/models/trail.py).
"""

from __future__ import annotations

from django.db import migrations, models
from django.db.models.expressions import RawSQL

# The columns, each with its default's SQL as it stood when the migrations were written.
COLUMNS: list[tuple[str, type[models.Field], str]] = [
    (
        "edc_context",
        models.JSONField,
        "nullif(pg_catalog.current_setting('pghistory.context_metadata', true), '')::jsonb",
    ),
    ("edc_txid", models.BigIntegerField, "pg_catalog.txid_current()"),
    ("edc_clock_at", models.DateTimeField, "pg_catalog.clock_timestamp()"),
    ("edc_db_role", models.TextField, "session_user::text"),
    (
        "edc_client_address",
        models.TextField,
        "coalesce(pg_catalog.host(pg_catalog.inet_client_addr()), 'local')",
    ),
]


def context_and_stamp_columns(
    event_models: list[str],
) -> list[migrations.operations.base.Operation]:
    """Every column added to every event model, then every column given its default."""
    added = [
        migrations.AddField(model_name=model, name=name, field=field(null=True))
        for model in event_models
        for name, field, _sql in COLUMNS
    ]
    defaulted = [
        migrations.AlterField(
            model_name=model, name=name, field=field(null=True, db_default=RawSQL(sql, []))
        )
        for model in event_models
        for name, field, sql in COLUMNS
    ]
    return [*added, *defaulted]
