"""The DSMB report asked for from the oversight page and rendered by a Celery worker.

Like a PDF job (trial.models.PdfJob) and an SDTM package job: the PDF is kept in the
database, so the web and worker containers share no disk. It holds no clinical data of its
own (a rendering of data audited elsewhere), so it is not audited; the export itself is
logged in trial's ExportLog (audited, append-only) when it is asked for.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReportJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Rendering")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ReportJob(models.Model):
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    export_log = models.ForeignKey(
        "trial.ExportLog", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The data cut-off: what is dated after it is left out.
    cutoff = models.DateField(_("data cut-off"))
    language = models.CharField(max_length=8, blank=True)
    status = models.CharField(
        max_length=16, choices=ReportJobStatus.choices, default=ReportJobStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=60, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    filename = models.CharField(max_length=120, blank=True)
    content = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        indexes = [models.Index(fields=["requested_by", "-requested_at"])]

    def __str__(self) -> str:
        return f"DSMB report {self.cutoff} {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ReportJobStatus.DONE, ReportJobStatus.FAILED)
