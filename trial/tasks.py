"""Celery tasks of the trial app. Each is small and idempotent, and retried with back-off."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from trial import actions, jobs, pdf, reminders
from trial.models import PdfJob


@shared_task
def ping() -> str:
    """Proves the worker and broker are alive (used by the health check and the tests)."""
    return "pong"


@shared_task(
    bind=True,
    autoretry_for=(Exception,),
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def send_reminders(self, day: str | None = None) -> str:
    """The morning reminders (beat, CELERY_BEAT_SCHEDULE). Idempotent: ReminderSent's unique
    constraint makes a retry or a second run send nothing already sent."""
    result = reminders.run(date.fromisoformat(day) if day else None)
    return result.summary


@shared_task(
    bind=True,
    autoretry_for=(OSError, ConnectionError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def render_pdf(self, job_id: int) -> str:
    """Render a PdfJob. Idempotent: a job already done is left as it is."""
    return pdf.run_job(job_id)


@shared_task
def requeue_pdf_jobs() -> int:
    """Send again the PDF jobs still queued a minute after they were asked for (the broker
    was down then). Idempotent: render_pdf leaves a finished job alone."""
    return jobs.requeue_stale(PdfJob, render_pdf)


@shared_task(ignore_result=True)
def file_review_ledger() -> int:
    """File the audit events queued by the saves into the review ledger (beat, every second).
    Idempotent: what is filed leaves the queue in the same transaction, and a run cut short
    leaves the rest for the next one."""
    return actions.file_review_ledger()


@shared_task
def apply_role_dates() -> int:
    """Just after midnight (beat): the role assignments starting or ending today take effect;
    the accounts whose access changed are logged out. Idempotent."""
    return actions.apply_role_dates()
