"""The exports' one write: the log of who exported what (ExportLog), in a write session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from trial.actions import write
from trial.exports.common import SYSTEM, ExportError, Scope
from trial.models import ExportLog


def record_export(
    scope: Scope, kind: str, *, origin: str = "", client_address: str = ""
) -> ExportLog:
    """Log an export before its first byte leaves (committed at once: an export that fails
    half-way is still on record)."""
    user = scope.user
    with write(user, command=f"export {kind}"):
        return ExportLog.objects.create(
            user=user,
            username=user.get_username() if user is not None else SYSTEM,
            kind=kind,
            filters=scope.filters,
            origin=origin[:200],
            client_address=client_address[:45],
        )


def finish_export(log: ExportLog, row_count: int | None) -> None:
    """Record the end of an export and how many rows it wrote (once: then append-only)."""
    with write(log.user, command=f"export {log.kind}"):
        log.finished_at = timezone.now()
        log.row_count = row_count
        log.save(update_fields=["finished_at", "row_count"])


def finish_job_export(job: Any, row_count: int) -> Callable[[], None] | None:
    """For a stored job that logged its export when asked for (its `export_log`): the end of
    that export, to record when the job is done; None when there is nothing to finish."""
    entry = job.export_log
    if entry is None or entry.finished_at is not None:
        return None
    return lambda: finish_export(entry, row_count)


def requester(username: str) -> Any:
    """The account named by a command's --user, or None (the system)."""
    if not username:
        return None
    try:
        return get_user_model().objects.get(username=username, is_active=True)
    except get_user_model().DoesNotExist:
        raise ExportError(f"No such user: {username}") from None
