"""Every event row carries its action's context and the database's stamp: the columns added
without a default, then given it (trial/trail_migration.py says why in two steps)."""

from django.db import migrations

from trial.trail_migration import context_and_stamp_columns

EVENT_MODELS = [
    "auditreviewevent",
    "exportlogevent",
    "formstatusevent",
    "membershipevent",
    "participantevent",
    "queryevent",
    "querymessageevent",
    "roleassignmentevent",
    "sdvmarkevent",
    "signaturebreakevent",
    "signatureevent",
    "siteevent",
    "totpdeviceevent",
    "userevent",
    "usergroupsevent",
    "userpreferenceevent",
]


class Migration(migrations.Migration):
    dependencies = [
        ("trial", "0019_stamp_found_by_its_unique_index"),
    ]

    operations = context_and_stamp_columns(EVENT_MODELS)
