"""Celery tasks of the oversight app: small, idempotent, retried with back-off."""

from __future__ import annotations

from celery import shared_task

from oversight import actions
from oversight.models import ReportJob
from trial import jobs


@shared_task(
    bind=True,
    autoretry_for=(OSError, ConnectionError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def build_dsmb_report(self, job_id: int) -> str:
    """Render a ReportJob's DSMB report. Idempotent: a job already done is left alone."""
    return actions.run_job(job_id)


@shared_task
def requeue_report_jobs() -> int:
    """Send again the report jobs still queued a minute after they were asked for (the
    broker was down then). Idempotent: build_dsmb_report leaves a finished job alone."""
    return jobs.requeue_stale(ReportJob, build_dsmb_report)
