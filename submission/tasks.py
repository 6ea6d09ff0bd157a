"""Celery tasks of the submission app: small, idempotent, retried with back-off."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from submission import actions
from submission.models import PackageJob, PackageJobStatus
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
    stale = PackageJob.objects.filter(
        status=PackageJobStatus.QUEUED, requested_at__lt=timezone.now() - timedelta(minutes=1)
    ).values_list("pk", flat=True)
    return sum(1 for pk in stale if jobs.enqueue(build_package, pk))
