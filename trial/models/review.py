"""The audit-trail review: the ledger of changed items and the reviewers' marks."""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trial.audit import audited
from trial.models.participants import FormStatus, Participant
from trial.models.sites import Site


class AuditEntry(models.Model):
    """One changed item of the audit trail, as the review page reads it: the trail's events
    unpivoted (old and new value side by side) with their review flags.

    Written only by the database: a trigger on every audited event table queues each new
    batch of events in the saving transaction (LedgerQueue), and the database's filing
    function (trial/ledger.py) appends their entries, in queue order, when the worker or a
    reader of the ledger calls it; the login log's failures are filed by its own trigger at
    once. The application only reads it; the one change is `often_changed`, set on every
    entry of an item once it is corrected a third time, also by the filing.
    """

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField()
    event_table = models.CharField(max_length=63)
    pgh_id = models.BigIntegerField()
    obj_id = models.CharField(max_length=64)
    # insert / update / delete, or an AuthEvent kind (failed login, failed signature, ...).
    label = models.CharField(max_length=32)
    # "item" (CRF data), "group" (item-group row), a record ("FormStatus", "Query"...), "auth".
    kind = models.CharField(max_length=32)
    context_id = models.UUIDField(null=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    username = models.CharField(max_length=150, blank=True)
    site = models.ForeignKey(
        Site, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    participant = models.ForeignKey(
        Participant, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    row = models.ForeignKey(
        FormStatus, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    event = models.CharField(max_length=16, blank=True)
    form = models.CharField(max_length=16, blank=True)
    repeat = models.IntegerField(null=True)
    grp = models.CharField(max_length=64, blank=True)
    grp_key = models.CharField(max_length=64, blank=True)
    item = models.CharField(max_length=120, blank=True)
    # The item's address within its form, as SDV marks and queries name it: "weight_kg", or
    # "target_lesions[2].diameter_mm" in a group (empty for records and logins).
    address = models.CharField(max_length=200, blank=True)
    old_value = models.TextField(null=True)
    new_value = models.TextField(null=True)
    # How many times the item had been changed from a non-empty value, this change included.
    corrections = models.IntegerField(default=0)
    off_hours = models.BooleanField(default=False)
    weekend = models.BooleanField(default=False)
    after_sdv = models.BooleanField(default=False)
    after_signature = models.BooleanField(default=False)
    often_changed = models.BooleanField(default=False)
    # A deleted row (its values, as they were), or a log entry marked deleted.
    deletion = models.BooleanField(default=False)

    class Meta:
        # Keyset paging reads (at, id) in either direction, alone or after a participant;
        # each review flag has a partial index, so a queue of rare flags pages as fast as
        # the whole trail.
        indexes = [
            # Every write pays for each index (the trigger runs in the saving transaction):
            # a site or a user is common enough for the (at, id) scan to fill a page soon,
            # so only the selective participant filter has its own.
            models.Index(fields=["at", "id"], name="auditentry_at"),
            models.Index(fields=["participant", "at", "id"], name="auditentry_participant_at"),
            models.Index(
                fields=["event_table", "obj_id", "item", "corrections"],
                name="auditentry_item_corrections",
            ),
            *(
                models.Index(
                    fields=["at", "id"],
                    name=f"auditentry_{flag}",
                    condition=models.Q(**{flag: True}),
                )
                for flag in (
                    "off_hours",
                    "weekend",
                    "after_sdv",
                    "after_signature",
                    "often_changed",
                    "deletion",
                )
            ),
            models.Index(
                fields=["at", "id"], name="auditentry_auth", condition=models.Q(kind="auth")
            ),
            # SDV progress: which marked items changed after their mark (trial/sdv.py).
            models.Index(
                fields=["row", "address", "id"],
                name="auditentry_row_after_sdv",
                condition=models.Q(after_sdv=True),
            ),
        ]
        triggers = [pgtrigger.Protect(name="no_delete", operation=pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.label} {self.form} {self.item}"


class LedgerQueue(models.Model):
    """Audit events waiting to be filed into the ledger (trial/ledger.py): one row per
    INSERT statement into an audited event table, naming the filing function and the events.

    The event tables' triggers only append here, in the saving transaction, so a save pays
    for one small insert instead of the ledger's unpivoting; the queue is filed in order by
    the worker (beat) and by every reader of the ledger before it reads. Written only by the
    database's functions, as their owner; a crash leaves it to be filed on the next run.
    """

    id = models.BigAutoField(primary_key=True)
    filer = models.CharField(max_length=63)
    ids = ArrayField(models.BigIntegerField())
    # The statement's clock (clock_timestamp()): the time of the change, against which a
    # mark or a signature given before it is told from one given after.
    queued_at = models.DateTimeField()

    class Meta:
        db_table = "trial_auditqueue"

    def __str__(self) -> str:
        return f"{self.filer} ({len(self.ids)} events)"


@audited
class AuditReview(models.Model):
    """A reviewer marked an audit entry as reviewed, with a comment. Append-only: a second
    look is a second mark."""

    entry = models.ForeignKey(
        AuditEntry, on_delete=models.PROTECT, db_constraint=False, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["entry", "-at"])]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"review of {self.entry_id} by {self.reviewer_id}"
