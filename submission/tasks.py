"""Celery tasks of the submission app: small, idempotent, retried with back-off."""

from __future__ import annotations

from celery import shared_task

from submission import actions
from submission.models import PackageJob
from trial import jobs


@shared_task(
    bind=True,
    autoretry_for=(OSError, ConnectionError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def build_package(self, job_id: int) -> str:
    """Build a PackageJob's SDTM package. Idempotent: a job already done is left alone."""
    return actions.run_job(job_id)


@shared_task
def requeue_package_jobs() -> int:
    """Send again the package jobs still queued a minute after they were asked for (the
    broker was down then). Idempotent: build_package leaves a finished job alone."""
    return jobs.requeue_stale(PackageJob, build_package)
