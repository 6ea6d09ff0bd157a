"""Participants, and the form-status table every CRF hangs from."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from trial import schedule
from trial.audit import audited
from trial.models.sites import Site

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


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

    # Set by the participant list for its page (not columns).
    signatures_to_redo: list[Any]
    open_queries: int

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
        _("status"), max_length=16, choices=FormState.choices, default=FormState.NOT_STARTED
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


def yes_no(label: StrOrPromise) -> models.BooleanField:
    """A yes/no item that may still be unanswered (None) in a draft."""
    return models.BooleanField(label, null=True, blank=True)


def optional_decimal(label: StrOrPromise, digits: int, places: int) -> models.DecimalField:
    """A number that may still be unanswered in a draft."""
    return models.DecimalField(
        label, max_digits=digits, decimal_places=places, null=True, blank=True
    )


def trimmed(value: Decimal, places: int) -> Decimal:
    """A decimal without the trailing zeros beyond `places`: 34.0000 -> 34.0 at one place,
    33.9600 -> 33.96; never fewer than `places` (62.0 stays 62.0)."""
    at_places = value.quantize(Decimal(1).scaleb(-places))
    # Digits beyond `places` that are not all zeros: normalize() keeps them, without exponent.
    return at_places if at_places == value else value.normalize()


class ExactDecimalField(models.DecimalField):
    """A decimal column widened so that a value converted from what was typed is kept exact
    (PROTOCOL.md section 5, Thresholds), read back with no more places than it needs and never
    fewer than the column had before (`read_places`).

    So a value stored before the widening reads exactly as it did (34.0, not 34.0000): the
    signatures that hold it, the audit trail and the exports still agree with it, and only a
    value that had been rounded reads differently (33.96)."""

    def __init__(self, *args: Any, read_places: int = 0, **kwargs: Any) -> None:
        self.read_places = read_places
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["read_places"] = self.read_places
        return name, path, args, kwargs

    def kept(self, value: Decimal) -> Decimal:
        """The value as a read gives it back (the save path uses it too, so that a signature
        computed right after a save equals one computed from a fresh read)."""
        return trimmed(value, self.read_places) if value.is_finite() else value

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return self.kept(value) if isinstance(value, Decimal) else value


def exact_decimal(
    label: StrOrPromise, digits: int, places: int, read_places: int
) -> ExactDecimalField:
    """An optional number kept exact at `places`, read back trimmed (ExactDecimalField)."""
    return ExactDecimalField(
        label,
        max_digits=digits,
        decimal_places=places,
        read_places=read_places,
        null=True,
        blank=True,
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
