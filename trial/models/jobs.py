"""Background work and what leaves the system: reminders sent, PDFs rendered, exports."""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trial.audit import audited
from trial.models.participants import FormStatus, Participant


class ReminderKind(models.TextChoices):
    WINDOW_OPENS = "window_opens", _("Visit window opens in 7 days")
    OVERDUE = "overdue", _("Visit overdue")
    SAE_UNREPORTED = "sae_unreported", _("Serious AE not reported to the sponsor within 24 h")
    QUERY_OPEN = "query_open", _("Query open for more than 7 days")
    ELIGIBILITY_UNSIGNED = "eligibility_unsigned", _("Eligibility complete, unsigned for 3 days")
    SIGNATURE_BROKEN = "signature_broken", _("Signature to sign again")


class ReminderSent(models.Model):
    """One reminder item e-mailed to one person on one day: the log, and the exactly-once
    guard. The unique constraint makes a retried or doubled task send nothing twice: the row
    is claimed (insert ... on conflict do nothing) in the transaction that sends the digest.
    Append-only."""

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    # The event code, or the thing the item is about (e.g. "LOG/AE/2", a signature kind).
    event = models.CharField(max_length=40)
    kind = models.CharField(max_length=32, choices=ReminderKind.choices)
    day = models.DateField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    email = models.CharField(max_length=254)
    detail = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "event", "kind", "day", "recipient"],
                name="remindersent_once_per_day",
            )
        ]
        indexes = [models.Index(fields=["-sent_at"])]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.participant_id}/{self.event} -> {self.recipient_id}"


class PdfKind(models.TextChoices):
    FORM = "form", _("Filled form")
    CASEBOOK = "casebook", _("Participant casebook")
    BLANK = "blank", _("Blank CRF book")


class PdfJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Rendering")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class PdfJob(models.Model):
    """A PDF asked for from a page and rendered by a Celery worker (trial/pdf.py). The bytes
    are kept in the database, so that the web and worker containers share no disk."""

    kind = models.CharField(max_length=16, choices=PdfKind.choices)
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    row = models.ForeignKey(
        FormStatus, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=16, choices=PdfJobStatus.choices, default=PdfJobStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    filename = models.CharField(max_length=120, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    content = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        indexes = [models.Index(fields=["requested_by", "-requested_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.participant_id or ''} {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in (PdfJobStatus.DONE, PdfJobStatus.FAILED)


# --- Exports: each one is itself audited -----------------------------------------------------


class ExportKind(models.TextChoices):
    AUDIT_CSV = "audit_csv", _("Audit trail (CSV)")
    AUDIT_ODM = "audit_odm", _("Audit trail (ODM 1.3.2 Transactional)")
    DATA = "data", _("Current data (CSV per form, dictionary, ODM 1.3.2 Snapshot)")
    DATA_ODM = "data_odm", _("Current data (ODM 1.3.2 Snapshot)")


@audited
class ExportLog(models.Model):
    """Who exported what, when, with which filters, through which page or command, and how
    many rows. Written before the first byte leaves; its one permitted change is recording
    the end (finished_at, row_count) of an unfinished export. Otherwise append-only."""

    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # "system" for a command run without --user.
    username = models.CharField(max_length=150)
    kind = models.CharField(max_length=12, choices=ExportKind.choices)
    filters = models.JSONField(default=dict, blank=True)
    origin = models.CharField(max_length=200, blank=True)
    client_address = models.CharField(max_length=45, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    row_count = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["-at"])]
        triggers = [
            pgtrigger.Protect(name="append_only_delete", operation=pgtrigger.Delete),
            pgtrigger.Protect(
                name="append_only_finished",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__finished_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.username}"
