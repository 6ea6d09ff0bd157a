"""The SDTM package asked for from the exports page and built by a Celery worker.

Like a PDF job (trial.models.PdfJob): the zip is kept in the database, so the web and worker
containers share no disk. The export itself is logged in trial's ExportLog (audited,
append-only), written before the first byte is built.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PackageJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Building")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class PackageJob(models.Model):
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    # The site the package covers; blank for the whole trial.
    site = models.CharField(max_length=8, blank=True)
    export_log = models.ForeignKey(
        "trial.ExportLog", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=PackageJobStatus.choices, default=PackageJobStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)
    # What is being built now: a domain code, define.xml, the CRF book.
    step = models.CharField(max_length=40, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # [domain, records] of each dataset once built, in the package's order.
    records = models.JSONField(default=list, blank=True)
    filename = models.CharField(max_length=120, blank=True)
    content = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        indexes = [models.Index(fields=["requested_by", "-requested_at"])]

    def __str__(self) -> str:
        return f"SDTM {self.site or 'all sites'} {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in (PackageJobStatus.DONE, PackageJobStatus.FAILED)

    @property
    def total_records(self) -> int:
        return sum(count for _domain, count in self.records)
