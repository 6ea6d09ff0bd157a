"""The oversight app's writes: the DSMB report job a monitor or data manager asks for on
the oversight page, and its progress as the worker renders it."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from django.conf import settings
from django.db import OperationalError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from oversight import pdf, report
from oversight.models import ReportJob, ReportJobStatus
from trial import jobs, languages
from trial.actions import ActionRefused, write

log = logging.getLogger(__name__)

# The task that renders a ReportJob (oversight/tasks.py), sent by name: the tasks module
# calls this one, which does not import it back.
BUILD_REPORT = "oversight.tasks.build_dsmb_report"


def request_report(user: Any, cutoff: date) -> ReportJob:
    """Ask for the DSMB report as of `cutoff`: recorded at once, rendered by the worker after
    commit; if Redis is down it stays queued (the page says so; beat sends it again)."""
    if not report.may_oversee(user):
        raise ActionRefused(_("Only monitors and data managers may ask for the DSMB report."))
    if cutoff > timezone.localdate():
        raise ActionRefused(_("The data cut-off cannot be in the future."))
    with write(user, command="request_dsmb_report") as w:
        job = ReportJob.objects.create(
            requested_by=user, cutoff=cutoff, language=languages.language_of(user)
        )
        w.on_commit(lambda: jobs.enqueue(BUILD_REPORT, job.pk))
    return job


def retry_report(user: Any, job: ReportJob) -> ReportJob:
    """Ask again for a report that failed (or never left the queue)."""
    with write(user, command="retry_dsmb_report") as w:
        ReportJob.objects.filter(pk=job.pk).exclude(status=ReportJobStatus.DONE).update(
            status=ReportJobStatus.QUEUED, progress=0, step="", error="", finished_at=None
        )
        w.on_commit(lambda: jobs.enqueue(BUILD_REPORT, job.pk))
    job.refresh_from_db()
    return job


def _progress(job_id: int) -> pdf.Progress:
    def progress(percent: int, step: str) -> None:
        with write(None, command="build_dsmb_report"):
            ReportJob.objects.filter(pk=job_id).update(progress=percent, step=step[:60])

    return progress


def run_job(job_id: int) -> str:
    """Render the job's report once. A finished job is left alone (a redelivered task does
    nothing); a failure is recorded on the job for the page to show."""
    with write(None, command="build_dsmb_report"):
        job = ReportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status == ReportJobStatus.DONE:
            return "nothing to do"
        job.status, job.progress, job.step, job.error = ReportJobStatus.RUNNING, 1, "", ""
        job.started_at, job.attempts = timezone.now(), job.attempts + 1
        job.save(update_fields=["status", "progress", "step", "error", "started_at", "attempts"])
    try:
        with translation.override(job.language or languages.language_for_id(job.requested_by_id)):
            content, pages = pdf.render(
                report.scope_for(job.requested_by), job.cutoff, _progress(job_id)
            )
    except OperationalError:
        # The database went away: let the task retry with back-off.
        with write(None, command="build_dsmb_report"):
            ReportJob.objects.filter(pk=job_id).update(status=ReportJobStatus.QUEUED, progress=0)
        raise
    except Exception as exc:  # noqa: BLE001 - shown to the user, who may ask again
        log.exception("DSMB report job %s failed", job_id)
        with write(None, command="build_dsmb_report"):
            ReportJob.objects.filter(pk=job_id).update(
                status=ReportJobStatus.FAILED,
                error=f"{type(exc).__name__}: {exc}"[:2000],
                finished_at=timezone.now(),
            )
        return "failed"
    with write(None, command="build_dsmb_report"):
        ReportJob.objects.filter(pk=job_id).update(
            status=ReportJobStatus.DONE,
            progress=100,
            step="",
            pages=pages,
            content=content,
            filename=f"{settings.TRIAL_NUMBER}_DSMB_{job.cutoff:%Y%m%d}.pdf",
            finished_at=timezone.now(),
        )
    return "done"
