"""The tables of the lab import: files, the values waiting for a person, each site's CSV columns
and the hospital identifiers of participants. Every one is audited (trial.audit).

A queued value keeps what the file said, exactly; what it means for the panel (item, unit
conversion, target panel, grade, flags) is computed when it is read (dosing.labimport.queue),
so it always agrees with the data as it is now. Only a person's decisions are stored: the
panel chosen by hand, and the approval or rejection.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trial.audit import audited
from trial.models import FormStatus, Participant, Site


class FileKind(models.TextChoices):
    FHIR = "fhir", _("FHIR R4 (JSON)")
    CSV = "csv", _("CSV")


@audited
class LabImportFile(models.Model):
    """A file of lab results, imported once: its SHA-256 is unique, so the same file imported
    again queues nothing new."""

    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    kind = models.CharField(_("format"), max_length=8, choices=FileKind.choices)
    size = models.PositiveIntegerField(_("size (bytes)"))
    # The file as received: the source of every value it brought.
    content = models.BinaryField(editable=False)
    observation_count = models.PositiveIntegerField(_("results"))
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.sha256[:12]})"

    @property
    def reason(self) -> str:
        """The reason for change of every save its values make (stored in English, as every
        reason of the trail)."""
        return f"imported from {self.name} (sha256 {self.sha256})"


class ValueState(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


@audited
class ImportedLabValue(models.Model):
    """One result of an imported file, waiting for a person (or decided)."""

    file = models.ForeignKey(LabImportFile, on_delete=models.PROTECT, related_name="values")
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="imported_lab_values"
    )
    # The CSV line, or the bundle entry (1 for a file holding one Observation).
    position = models.PositiveIntegerField(_("line or entry"))
    resource_id = models.CharField(_("FHIR resource id"), max_length=64, blank=True)
    code_system = models.CharField(_("code system"), max_length=200, blank=True)
    code = models.CharField(_("test code"), max_length=100)
    display = models.CharField(_("test name"), max_length=300, blank=True)
    sample_date = models.DateField(_("sample date"))
    sampled_at = models.DateTimeField(_("sampled at"), null=True, blank=True)
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=9)
    comparator = models.CharField(_("comparator"), max_length=2, blank=True)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    low = models.DecimalField(
        _("reference range, low"), max_digits=24, decimal_places=9, null=True, blank=True
    )
    high = models.DecimalField(
        _("reference range, high"), max_digits=24, decimal_places=9, null=True, blank=True
    )
    range_unit = models.CharField(_("reference range unit"), max_length=40, blank=True)
    status = models.CharField(_("result status"), max_length=20, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ValueState.choices, default=ValueState.PENDING
    )
    # The panel a person chose (for a date in no window, or to overrule the window's choice).
    chosen_row = models.ForeignKey(
        FormStatus, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The panel the approval wrote into.
    written_row = models.ForeignKey(
        FormStatus, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejection_reason = models.CharField(_("reason for rejection"), max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["participant", "state"])]
        constraints = [
            models.UniqueConstraint(fields=["file", "position"], name="importedlabvalue_position")
        ]

    def __str__(self) -> str:
        return f"{self.file_id}:{self.position} {self.code} {self.value} {self.unit}"

    @property
    def is_pending(self) -> bool:
        return self.state == ValueState.PENDING


class Delimiter(models.TextChoices):
    AUTO = "", _("Found from the header")
    SEMICOLON = ";", _("Semicolon (;)")
    COMMA = ",", _("Comma (,)")
    TAB = "\t", _("Tab")


@audited
class SiteCsvColumns(models.Model):
    """How a site's lab names the columns of its CSV export (the header of each column)."""

    site = models.OneToOneField(Site, on_delete=models.PROTECT, related_name="lab_csv_columns")
    participant = models.CharField(_("participant column"), max_length=100)
    sampled_at = models.CharField(_("sample date and time column"), max_length=100)
    code = models.CharField(_("test code or name column"), max_length=100)
    value = models.CharField(_("value column"), max_length=100)
    unit = models.CharField(_("unit column"), max_length=100)
    low = models.CharField(_("reference range low column"), max_length=100, blank=True)
    high = models.CharField(_("reference range high column"), max_length=100, blank=True)
    delimiter = models.CharField(
        _("separator"), max_length=1, choices=Delimiter.choices, blank=True, default=""
    )
    # The participant column may hold hospital identifiers of this system (else codes only).
    identifier_system = models.CharField(
        _("hospital identifier system"), max_length=200, blank=True
    )

    def __str__(self) -> str:
        return f"CSV columns of {self.site_id}"


@audited
class HospitalIdentifier(models.Model):
    """A hospital's identifier of a participant (e.g. the patient number of the hospital's
    information system), held by the site, so that the hospital's files can name the
    participant their own way."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="hospital_identifiers"
    )
    system = models.CharField(_("identifier system"), max_length=200)
    value = models.CharField(_("identifier"), max_length=100)
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "value"], name="hospitalidentifier_unique")
        ]

    def __str__(self) -> str:
        return f"{self.system}|{self.value} -> {self.participant_id}"
