"""Every event row carries its action's context and the database's stamp: the columns added
without a default, then given it (trial/trail_migration.py says why in two steps)."""

from django.db import migrations

from trial.trail_migration import context_and_stamp_columns

EVENT_MODELS = [
    "cardiovascularhistoryevent",
    "consentevent",
    "demographicsevent",
    "diseasehistoryevent",
    "eligibilitysignoffevent",
    "iahcontraindicationsevent",
    "inclusionimagingevent",
    "nontargetlesionevent",
    "reproductionadministrativeevent",
    "targetlesionevent",
    "vitalsignsevent",
]


class Migration(migrations.Migration):
    dependencies = [
        ("eligibility", "0006_events_without_context_index"),
    ]

    operations = context_and_stamp_columns(EVENT_MODELS)
