"""Queueing background jobs without letting Redis decide whether a page works.

A page that saves data never waits for the broker: it queues its job after commit through
`enqueue`, which gives up fast when Redis is unreachable and remembers it for a short while,
so that every page can say "background jobs are delayed" (context processor `jobs_state`).
The work is not lost: a PdfJob stays queued in the database and `requeue_pdf_jobs` (beat)
sends it again once the broker is back; the reminders are recomputed each morning.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.utils import timezone

from trial.celery import app as celery_app

log = logging.getLogger(__name__)

# How long a broker failure (or success) is believed before asking again, in seconds.
REMEMBER = 30.0
_state: dict[str, Any] = {"ok": True, "checked": 0.0}


def _remember(ok: bool) -> bool:
    _state.update(ok=ok, checked=time.monotonic())
    return ok


def broker_ok(*, fresh: bool = False) -> bool:
    """Whether Redis answered lately; asks it (with a short timeout) at most every REMEMBER s."""
    if not fresh and time.monotonic() - _state["checked"] < REMEMBER:
        return _state["ok"]
    try:
        url = settings.CELERY_BROKER_URL
        if url.startswith("redis+socket://"):
            client = redis.Redis(
                unix_socket_path=urlsplit(url).path,
                socket_timeout=0.5,
                socket_connect_timeout=0.5,
            )
        else:
            client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        client.ping()
        client.close()
    except Exception:  # noqa: BLE001 - any failure means "delayed", never a broken page
        return _remember(False)
    return _remember(True)


def enqueue(task: Any, *args: Any) -> bool:
    """Send the task (a task, or a task's name); False (logged, remembered) when the broker
    cannot be reached."""
    if not broker_ok():
        return False
    try:
        if isinstance(task, str):
            celery_app.send_task(task, args=args, retry=False)
        else:
            task.apply_async(args=args, retry=False)
    except Exception:  # noqa: BLE001 - the job stays queued in the database
        log.warning("Broker unreachable: %s delayed", getattr(task, "name", task), exc_info=True)
        return _remember(False)
    return _remember(True)


def requeue_stale(model: Any, task: Any) -> int:
    """Send again the stored jobs of `model` still queued a minute after they were asked for
    (the broker was down then): how many were sent. The task leaves a finished job alone."""
    stale = model.objects.filter(
        status="queued", requested_at__lt=timezone.now() - timedelta(minutes=1)
    ).values_list("pk", flat=True)
    return sum(1 for pk in stale if enqueue(task, pk))


def mark_down() -> None:
    """For tests and callers that learnt it elsewhere."""
    _remember(False)


def jobs_state(request) -> dict[str, Any]:
    """Context processor: `jobs_delayed` for the banner of base.html."""
    if not getattr(getattr(request, "user", None), "is_authenticated", False):
        return {"jobs_delayed": False}
    return {"jobs_delayed": not broker_ok()}
