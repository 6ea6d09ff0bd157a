"""Every event row carries its action's context and the database's stamp: the columns added
without a default, then given it (trial/trail_migration.py says why in two steps)."""

from django.db import migrations

from trial.trail_migration import context_and_stamp_columns

EVENT_MODELS = [
    "dosimetryevent",
    "dosimetrypointevent",
    "extrahepaticlesionevent",
    "gateevent",
    "indexlesionevent",
    "lesionsuvevent",
    "organsuvevent",
    "petindexlesionsevent",
    "petscanevent",
    "voivolumeevent",
]


class Migration(migrations.Migration):
    dependencies = [
        ("imaging", "0004_events_without_context_index"),
    ]

    operations = context_and_stamp_columns(EVENT_MODELS)
