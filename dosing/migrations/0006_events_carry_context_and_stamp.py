"""Every event row carries its action's context and the database's stamp: the columns added
without a default, then given it (trial/trail_migration.py says why in two steps)."""

from django.db import migrations

from trial.trail_migration import context_and_stamp_columns

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


class Migration(migrations.Migration):
    dependencies = [
        ("dosing", "0005_events_without_context_index"),
    ]

    operations = context_and_stamp_columns(EVENT_MODELS)
