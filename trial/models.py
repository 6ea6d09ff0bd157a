"""Sites, memberships, participants and the form-status table every CRF hangs from."""

from __future__ import annotations

from datetime import date
from typing import Any

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from trial import schedule
from trial.audit import audited


def default_language() -> str:
    return settings.LANGUAGE_CODE


@audited
class Site(models.Model):
    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=100)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
    # The language of the site's staff, unless they choose their own (UserPreference).
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=default_language
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


@audited
class Membership(models.Model):
    """A user belongs to one or more sites; what they may do there comes from their roles."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="memberships")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "site"], name="membership_unique_user_site")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.site_id}"


class ParticipantStatus(models.TextChoices):
    SCREENING = schedule.SCREENING, _("Screening")
    ENROLLED = schedule.ENROLLED, _("Enrolled")
    SCREEN_FAILURE = schedule.SCREEN_FAILURE, _("Screen failure")
    FOLLOW_UP = schedule.FOLLOW_UP, _("In follow-up")
    COMPLETED = schedule.COMPLETED, _("Completed")
    WITHDRAWN = schedule.WITHDRAWN, _("Withdrawn")


@audited
class Participant(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="participants")
    code = models.CharField(_("participant code"), max_length=16, unique=True)
    sequence = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20, choices=ParticipantStatus.choices, default=ParticipantStatus.SCREENING
    )
    screening_date = models.DateField(_("screening date"))
    enrolment_date = models.DateField(_("enrolment date"), null=True, blank=True)
    # Actual date of each event done (event code -> ISO date), kept by the actions that save
    # the forms holding those dates, so the schedule is computed without reading every form.
    event_dates = models.JSONField(default=dict, blank=True)
    gate_decision = models.CharField(max_length=20, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["site", "sequence"], name="participant_unique_sequence")
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def dates(self) -> dict[str, date]:
        return {code: date.fromisoformat(value) for code, value in self.event_dates.items()}

    def plan(self) -> list[schedule.PlannedEvent]:
        return schedule.plan(
            self.status,
            self.gate_decision,
            self.dates,
            screening_date=self.screening_date,
            enrolment_date=self.enrolment_date,
        )


class FormState(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETE = "complete", _("Complete")
    MISSED = "missed", _("Missed")
    DELETED = "deleted", _("Deleted")


@audited
class FormStatus(models.Model):
    """One row per expected form of each participant: where it stands, who touched it, locks.

    Dashboards, reminders and exports read this table only, so a page costs the same number of
    queries with 3 forms or 300. `version` is the optimistic lock: a save based on an older
    version is refused.
    """

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="forms")
    event = models.CharField(max_length=16)
    form = models.CharField(max_length=16)
    repeat = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(
        max_length=16, choices=FormState.choices, default=FormState.NOT_STARTED
    )
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    first_saved_at = models.DateTimeField(null=True, blank=True)
    first_saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sdv_at = models.DateTimeField(null=True, blank=True)
    sdv_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "event", "form", "repeat"], name="formstatus_unique_slot"
            )
        ]
        indexes = [models.Index(fields=["participant", "status"])]

    def __str__(self) -> str:
        return f"{self.participant_id}/{self.event}/{self.form}/{self.repeat}"

    @property
    def label(self) -> str:
        return schedule.form_label(self.form)

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


def yes_no(label: str) -> models.BooleanField:
    """A yes/no item that may still be unanswered (None) in a draft."""
    return models.BooleanField(label, null=True, blank=True)


def optional_decimal(label: str, digits: int, places: int) -> models.DecimalField:
    """A number that may still be unanswered in a draft."""
    return models.DecimalField(
        label, max_digits=digits, decimal_places=places, null=True, blank=True
    )


class CrfModel(models.Model):
    """Base of every form's data model: one row per form-status row.

    Data fields are nullable so that a draft can be saved half-filled; the form class says
    which items a complete form needs.
    """

    form_status = models.OneToOneField(
        FormStatus, on_delete=models.PROTECT, related_name="%(app_label)s_%(class)s"
    )

    class Meta:
        abstract = True


@audited
class Signature(models.Model):
    """An electronic signature (21 CFR 11.50, 11.70, 11.200): who signed what, when, meaning what.

    `content` is exactly what was signed (the canonical JSON of trial/signatures.py),
    `content_hash` its SHA-256 and `mac` the seal (HMAC-SHA256 with the server's key) over the
    signer, meaning, time, participant, signed object and content hash. Append-only: a later
    change of the signed data appends a SignatureBreak, a re-signing a new Signature (the
    older one is then superseded: derived, never written).
    """

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="signatures"
    )
    # The form-status row that represents the signed thing (e.g. the ELIGSIGN row), if any.
    row = models.ForeignKey(
        FormStatus, null=True, blank=True, on_delete=models.PROTECT, related_name="signatures"
    )
    kind = models.CharField(_("kind"), max_length=32)
    meaning = models.CharField(_("meaning"), max_length=300)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The name as it was at signing time: a later change of the account does not rewrite it.
    signer_name = models.CharField(_("signer"), max_length=300)
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    content = models.JSONField()
    content_hash = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["participant", "kind", "-signed_at"])]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.participant_id} {self.signer_name}"

    @property
    def first_break(self) -> SignatureBreak | None:
        """The break that invalidated this signature, if any. Selectors annotate it
        (first_break_at, first_break_changes) so that a page reads it without a query."""
        if "first_break_at" in self.__dict__:
            if self.first_break_at is None:
                return None
            return SignatureBreak(
                signature=self, at=self.first_break_at, changes=self.first_break_changes or {}
            )
        return self.breaks.order_by("at", "pk").first()

    @property
    def verdict(self):
        """Verified (seal, content hash), then broken or not: see signatures.verify."""
        from trial import signatures

        cached = self.__dict__.get("_verdict")
        if cached is None:
            cached = self.__dict__["_verdict"] = signatures.verify(self)
        return cached

    @property
    def is_valid(self) -> bool:
        """Sealed as signed and not broken since (re-verified on each access)."""
        from trial import signatures

        self.__dict__.pop("_verdict", None)
        return signatures.verify(self).is_valid


@audited
class SignatureBreak(models.Model):
    """A signature's signed data changed after signing: when, and what (key -> [old, new]).

    Written in the transaction of the change that caused it, so its audit event carries that
    change's user and reason. Append-only, like the signature.
    """

    signature = models.ForeignKey(Signature, on_delete=models.PROTECT, related_name="breaks")
    at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["signature", "at"])]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"break of {self.signature_id} at {self.at:%Y-%m-%d %H:%M}"


class AuthEventKind(models.TextChoices):
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGIN_REFUSED = "login_refused", _("Login refused: account locked")
    LOGOUT = "logout", _("Logged out")
    SIGNED = "signed", _("Signed")
    SIGNATURE_FAILED = "signature_failed", _("Failed signature (wrong password)")
    LOCKED = "locked", _("Account locked after repeated failures")
    UNLOCKED = "unlocked", _("Lock lifted by an administrator")
    PASSWORD_OK = "password_ok", _("Password accepted, second factor pending")
    OTP_FAILED = "otp_failed", _("Failed second factor (wrong code)")
    OTP_ENROLLED = "otp_enrolled", _("Second factor (authenticator app) set up")
    SESSION_EXPIRED = "session_expired", _("Session ended after inactivity")


class AuthEvent(models.Model):
    """Logins, failed logins, logouts, signature attempts and account locks: append-only.

    The account lockout is computed from this log (no mutable counter to tamper with).
    """

    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=20, choices=AuthEventKind.choices)
    # As typed at the login page: failed attempts may name no existing account.
    username = models.CharField(max_length=150)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    client_address = models.CharField(max_length=45, blank=True)
    url = models.CharField(max_length=200, blank=True)
    detail = models.CharField(max_length=200, blank=True)
    # Who acted on the account, when not its owner: the administrator who lifted a lock.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        indexes = [models.Index(fields=["username", "-at"]), models.Index(fields=["-at"])]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.username}"


# --- Accounts and roles in the audit trail -------------------------------------------------
# Triggers on a third-party model would need a migration in django.contrib.auth; on a proxy
# model they live in this app's migrations and still fire on the auth tables.


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    # A password change is recorded without the hash; logins (last_login) are in AuthEvent.
    pghistory.UpdateEvent("password_change", condition=pgtrigger.AnyChange("password")),
    exclude=["password", "last_login"],
    model_name="UserEvent",
)
class AuditedUser(User):
    class Meta:
        proxy = True


@pghistory.track(
    pghistory.InsertEvent("role.add"),
    pghistory.DeleteEvent("role.remove"),
    obj_field=None,
    model_name="UserGroupsEvent",
)
class AuditedUserGroups(User.groups.through):
    class Meta:
        proxy = True


# A second factor set up (an authenticator app), renamed, or removed (an administrator, for a
# lost phone): in the trail, without its secret key or its counters.
@pghistory.track(
    pghistory.InsertEvent("totp.add"),
    pghistory.UpdateEvent(
        "totp.change", condition=pgtrigger.AnyChange("name", "confirmed", "user")
    ),
    pghistory.DeleteEvent("totp.remove"),
    exclude=[
        "key",
        "last_t",
        "drift",
        "throttling_failure_timestamp",
        "throttling_failure_count",
        "last_used_at",
    ],
    model_name="TOTPDeviceEvent",
)
class AuditedTOTPDevice(TOTPDevice):
    class Meta:
        proxy = True


# --- Queries (data clarification) ----------------------------------------------------------


class QueryState(models.TextChoices):
    # A query that is open (the button "Open" is another word in French).
    OPEN = "open", pgettext_lazy("query state", "Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


@audited
class Query(models.Model):
    """A monitor's or data manager's question on one item of a form, or on the whole form.

    It keeps its place (the form-status row and the item's address) whatever the item's value
    becomes; `value_when_raised` lets the page say "changed since the query was raised". Its
    messages are the conversation; the state moves open → answered → closed (re-openable).
    """

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="queries")
    row = models.ForeignKey(FormStatus, on_delete=models.PROTECT, related_name="queries")
    # The item's address within the form ("weight_kg", "target_lesions[2].diameter_mm"); blank
    # for a query on the whole form.
    item = models.CharField(_("item"), max_length=120, blank=True)
    state = models.CharField(max_length=10, choices=QueryState.choices, default=QueryState.OPEN)
    value_when_raised = models.JSONField(null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["participant", "state"]), models.Index(fields=["row"])]

    def __str__(self) -> str:
        return f"Q{self.pk} {self.row_id} {self.item}"

    @property
    def is_open(self) -> bool:
        return self.state != QueryState.CLOSED

    def days_open(self, now: Any = None) -> int:
        end = self.closed_at or now or timezone.now()
        return (end - self.opened_at).days


class QueryMessageKind(models.TextChoices):
    RAISED = "raised", _("Raised")
    ANSWERED = "answered", _("Answered")
    CORRECTED = "corrected", _("Value corrected")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Sent back")


@audited
class QueryMessage(models.Model):
    """One message of a query's conversation: append-only, plain text."""

    query = models.ForeignKey(Query, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(max_length=10, choices=QueryMessageKind.choices)
    text = models.TextField(_("message"), max_length=2000, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.query_id} {self.kind}"


# --- Source-data verification, item by item -------------------------------------------------


@audited
class SdvMark(models.Model):
    """A monitor verified one item against the source, as it was then (`value`).

    Append-only: an item is verified while its latest mark's value is its current value; a
    later change leaves the mark in place and shows the item as "changed after verification".
    """

    row = models.ForeignKey(FormStatus, on_delete=models.PROTECT, related_name="sdv_marks")
    item = models.CharField(_("item"), max_length=120)
    value = models.JSONField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["row", "item", "-verified_at"])]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.row_id} {self.item}"


# --- Reminders and background jobs (issue 13) --------------------------------------------


@audited
class UserPreference(models.Model):
    """What a person chose for themselves: reminders by e-mail, or only in the app's To do."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    email_reminders = models.BooleanField(_("send me the daily reminder e-mail"), default=True)
    # Blank: the language of the person's site (trial/languages.py).
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, blank=True, default=""
    )

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"


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


# --- Audit-trail review (issue 12) ------------------------------------------------------------


class AuditEntry(models.Model):
    """One changed item of the audit trail, as the review page reads it: the trail's events
    unpivoted (old and new value side by side) with their review flags.

    Written only by the database: a trigger on every audited event table (and on the login
    log) appends the entries of each new event in its own transaction (trial/review.py), so
    the review can never lag behind or miss the trail. The application only reads it; the
    one change is `often_changed`, set on every entry of an item once it is corrected a
    third time, also by the trigger.
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
