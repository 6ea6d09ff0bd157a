"""Every event row carries its action's context and the database's stamp (trial/models/trail.py).

Two steps for each column: added with no default, so that the events already written keep
none (a volatile default given with the column would be computed for every existing row,
stamping old events with this migration's transaction, clock and role), then given the
default that fills it in each new event, inside pghistory's trigger.
"""

from django.db import migrations, models
from django.db.models.expressions import RawSQL

EVENT_MODELS = [
    "adverseeventevent",
    "concomitantmedicationevent",
    "cycleadministrationevent",
    "hospitalidentifierevent",
    "iahdoseevent",
    "importedlabvalueevent",
    "labimportfileevent",
    "labpanelevent",
    "sitecsvcolumnsevent",
]

# The columns, each with its default's SQL as it stood when this migration was written.
COLUMNS = [
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


class Migration(migrations.Migration):
    dependencies = [
        ("dosing", "0005_events_without_context_index"),
    ]

    operations = [
        *(
            migrations.AddField(model_name=model, name=name, field=field(null=True))
            for model in EVENT_MODELS
            for name, field, _sql in COLUMNS
        ),
        *(
            migrations.AlterField(
                model_name=model,
                name=name,
                field=field(null=True, db_default=RawSQL(sql, [])),
            )
            for model in EVENT_MODELS
            for name, field, sql in COLUMNS
        ),
    ]
