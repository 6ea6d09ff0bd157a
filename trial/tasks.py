"""Celery tasks of the trial app. Each is small and idempotent."""

from celery import shared_task


@shared_task
def ping() -> str:
    """Proves the worker and broker are alive (used by the health check and the tests)."""
    return "pong"
