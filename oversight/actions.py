"""The oversight app's writes: the DSMB report job a monitor or data manager asks for on
the oversight page, and its progress as the worker renders it; the report's export log
(trial's ExportLog, kind "dsmb"), from the page and from manage.py dsmb_report."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from oversight import pdf, report
from oversight.models import ReportJob
from trial import jobs, languages
from trial.actions import ActionRefused, JobResult, retry_stored_job, run_stored_job, write
from trial.exports.actions import finish_export, finish_job_export, record_export
from trial.exports.common import Scope, resolve_scope

# The ExportLog kind of the DSMB report: this app's own name, as "sdtm" is submission's.
DSMB_EXPORT = "dsmb"

# The task that renders a ReportJob (oversight/tasks.py), sent by name: the tasks module
# calls this one, which does not import it back.
BUILD_REPORT = "oversight.tasks.build_dsmb_report"


def request_report(user: Any, cutoff: date, *, client_address: str = "") -> ReportJob:
    """Ask for the DSMB report as of `cutoff`: logged as an export and recorded at once,
    rendered by the worker after commit; if Redis is down it stays queued (the page says so;
    beat sends it again)."""
    if not report.may_oversee(user):
        raise ActionRefused(_("Only monitors and data managers may ask for the DSMB report."))
    if cutoff > timezone.localdate():
        raise ActionRefused(_("The data cut-off cannot be in the future."))
    with write(user, command="request_dsmb_report") as w:
        entry = record_export(
            _export_scope(user, cutoff),
            DSMB_EXPORT,
            origin="oversight page: DSMB report",
            client_address=client_address,
        )
        job = ReportJob.objects.create(
            requested_by=user,
            cutoff=cutoff,
            language=languages.language_of(user),
            export_log=entry,
        )
        w.on_commit(lambda: jobs.enqueue(BUILD_REPORT, job.pk))
    return job


def retry_report(user: Any, job: ReportJob) -> ReportJob:
    """Ask again for a report that failed (or never left the queue)."""
    return retry_stored_job(user, job, command="retry_dsmb_report", task=BUILD_REPORT)


def export_report(cutoff: date, *, origin: str) -> tuple[bytes, int]:
    """The whole trial's DSMB report as of `cutoff`, logged as an export by the system (the
    command's way; the page's job is logged when asked for): the log's row count is the
    report's page count."""
    entry = record_export(_export_scope(None, cutoff), DSMB_EXPORT, origin=origin)
    content, pages = pdf.render(report.every_site(), cutoff)
    finish_export(entry, pages)
    return content, pages


def _export_scope(user: Any, cutoff: date) -> Scope:
    """What the export log records: who, their sites, and the data cut-off."""
    scope = resolve_scope(user)
    scope.filters["cutoff"] = cutoff.isoformat()
    return scope


def run_job(job_id: int) -> str:
    """Render the job's report once (trial's stored-job runner: a finished job is left
    alone, a failure recorded on the job for the page to show); its export log is finished
    with the report's page count."""

    def work(job: ReportJob, progress: pdf.Progress) -> JobResult:
        language = job.language or languages.language_for_id(job.requested_by_id)
        with translation.override(language):
            content, pages = pdf.render(report.scope_for(job.requested_by), job.cutoff, progress)
        return JobResult(
            fields={
                "pages": pages,
                "content": content,
                "filename": f"{settings.TRIAL_NUMBER}_DSMB_{job.cutoff:%Y%m%d}.pdf",
            },
            then=finish_job_export(job, pages),
        )

    return run_stored_job(ReportJob, job_id, command="build_dsmb_report", work=work)
