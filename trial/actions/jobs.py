"""Background work asked for and recorded: PDF jobs (asked for, retried, and their progress
written by the worker), the reminders' log of what was sent, and the marks of an audit-trail
review. Each runs in a write session."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import OperationalError, connection
from django.utils import timezone
from django.utils.translation import gettext as _

from trial import jobs, review, roles
from trial.actions.errors import ActionRefused, require_reach, require_role
from trial.actions.session import write
from trial.models import (
    AuditReview,
    FormStatus,
    Participant,
    PdfJob,
    PdfJobStatus,
    PdfKind,
    ReminderSent,
)

# The task that renders a PdfJob (trial/tasks.py), sent by name: the worker runs trial.pdf,
# which records its progress through this module.
RENDER_PDF = "trial.tasks.render_pdf"


def request_pdf(
    user: Any,
    kind: str,
    *,
    participant: Participant | None = None,
    row: FormStatus | None = None,
) -> PdfJob:
    """Record a PDF asked for and queue its rendering after commit. If Redis is down the
    job stays queued (the page says jobs are delayed; beat sends it again later)."""
    if kind != PdfKind.BLANK:
        require_role(user, roles.READ_CLINICAL, _("print participant data"))
        if participant is None:
            raise ActionRefused(_("This participant is not in your sites."))
        require_reach(user, participant)
    with write(user, command="request_pdf") as w:
        job = PdfJob.objects.create(kind=kind, participant=participant, row=row, requested_by=user)
        w.on_commit(lambda: jobs.enqueue(RENDER_PDF, job.pk))
    return job


def retry_pdf(user: Any, job: PdfJob) -> PdfJob:
    """Ask again for a PDF that failed (or never left the queue)."""
    with write(user, command="retry_pdf") as w:
        PdfJob.objects.filter(pk=job.pk).exclude(status=PdfJobStatus.DONE).update(
            status=PdfJobStatus.QUEUED, progress=0, error="", finished_at=None
        )
        w.on_commit(lambda: jobs.enqueue(RENDER_PDF, job.pk))
    job.refresh_from_db()
    return job


def start_pdf_job(job_id: int) -> PdfJob | None:
    """The worker takes a job: None when there is nothing to do (gone, or done already: a
    redelivered task)."""
    with write(None, command="render_pdf"):
        job = PdfJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status == PdfJobStatus.DONE:
            return None
        job.status, job.progress, job.error = PdfJobStatus.RUNNING, 5, ""
        job.started_at, job.attempts = timezone.now(), job.attempts + 1
        job.save(update_fields=["status", "progress", "error", "started_at", "attempts"])
    return job


def pdf_progress(job_id: int, percent: int) -> None:
    with write(None, command="render_pdf"):
        PdfJob.objects.filter(pk=job_id).update(progress=percent)


def pdf_requeued(job_id: int) -> None:
    """The database went away during the rendering: queued again for the task's retry."""
    with write(None, command="render_pdf"):
        PdfJob.objects.filter(pk=job_id).update(status=PdfJobStatus.QUEUED, progress=0)


def pdf_failed(job_id: int, error: str) -> None:
    with write(None, command="render_pdf"):
        PdfJob.objects.filter(pk=job_id).update(
            status=PdfJobStatus.FAILED, error=error[:2000], finished_at=timezone.now()
        )


def pdf_done(job_id: int, *, content: bytes, filename: str, pages: int) -> None:
    with write(None, command="render_pdf"):
        PdfJob.objects.filter(pk=job_id).update(
            status=PdfJobStatus.DONE,
            progress=100,
            content=content,
            filename=filename,
            pages=pages,
            finished_at=timezone.now(),
        )


# --- Stored jobs: a worker builds a file and keeps it on the job's row ----------------------

log = logging.getLogger(__name__)
# The states every stored job's model names (its TextChoices), read here by value.
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
JobProgress = Callable[[int, str], None]


@dataclass
class JobResult:
    """What a stored job's work gives: the fields written on the row when it is done, and a
    write of the caller's own made in the same write session (an export log's end)."""

    fields: dict[str, Any] = field(default_factory=dict)
    then: Callable[[], None] | None = None


def run_stored_job(
    model: Any,
    job_id: int,
    *,
    command: str,
    work: Callable[[Any, JobProgress], JobResult],
) -> str:
    """Run a stored job's work once (the SDTM package, the DSMB report): the row taken under
    a lock, its progress written as the work reports it, then done with the work's fields,
    or failed with the error for the page to show. A finished job is left alone (a task
    delivered again does nothing); when the database goes away the job is queued again and
    the error raised, for the task to retry with back-off."""
    with write(None, command=command):
        job = model.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status == DONE:
            return "nothing to do"
        job.status, job.progress, job.step, job.error = RUNNING, 1, "", ""
        job.started_at, job.attempts = timezone.now(), job.attempts + 1
        job.save(update_fields=["status", "progress", "step", "error", "started_at", "attempts"])
    step_length = model._meta.get_field("step").max_length

    def progress(percent: int, step: str) -> None:
        with write(None, command=command):
            model.objects.filter(pk=job_id).update(progress=percent, step=step[:step_length])

    try:
        result = work(job, progress)
    except OperationalError:
        with write(None, command=command):
            model.objects.filter(pk=job_id).update(status=QUEUED, progress=0)
        raise
    except Exception as exc:  # noqa: BLE001 - shown to the user, who may ask again
        log.exception("%s job %s failed", model.__name__, job_id)
        with write(None, command=command):
            model.objects.filter(pk=job_id).update(
                status=FAILED,
                error=f"{type(exc).__name__}: {exc}"[:2000],
                finished_at=timezone.now(),
            )
        return "failed"
    with write(None, command=command):
        model.objects.filter(pk=job_id).update(
            status=DONE, progress=100, step="", finished_at=timezone.now(), **result.fields
        )
        if result.then is not None:
            result.then()
    return "done"


def retry_stored_job(user: Any, job: Any, *, command: str, task: str) -> Any:
    """Ask again for a stored job that failed (or never left the queue): queued afresh, its
    task sent after commit."""
    with write(user, command=command) as w:
        type(job).objects.filter(pk=job.pk).exclude(status=DONE).update(
            status=QUEUED, progress=0, step="", error="", finished_at=None
        )
        w.on_commit(lambda: jobs.enqueue(task, job.pk))
    job.refresh_from_db()
    return job


# --- Reminders ------------------------------------------------------------------------------


def claim_reminders(
    items: Iterable[tuple[int, str, str, str]], day: date, recipient_id: int, email: str
) -> set[tuple[int, str, str]]:
    """Log reminder items (participant id, event, kind, detail) as sent to one person on one
    day, doing nothing for those already logged: returns the keys this call claimed. Inside
    the caller's transaction, which sends the e-mail (a failure rolls the claim back)."""
    items = list(items)
    if not items:
        return set()
    table = ReminderSent._meta.db_table
    values: list[str] = []
    params: list[Any] = []
    now = timezone.now()
    for participant_id, event, kind, detail in items:
        values.append("(%s, %s, %s, %s, %s, %s, %s, %s)")
        params += [participant_id, event, kind, day, recipient_id, email, detail[:300], now]
    sql = (
        f"INSERT INTO {table} (participant_id, event, kind, day, recipient_id, email, detail, "
        f"sent_at) VALUES {', '.join(values)} "
        "ON CONFLICT ON CONSTRAINT remindersent_once_per_day DO NOTHING "
        "RETURNING participant_id, event, kind"
    )
    with write(None, command="send_reminders"), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {tuple(row) for row in cursor.fetchall()}


# --- Audit-trail review ---------------------------------------------------------------------


def file_review_ledger() -> int:
    """File the audit events queued since the last filing into the review ledger
    (trial/ledger.py); the number of batches filed. The worker calls it every second and
    every reader of the ledger before it reads, so a committed change is on the review page
    at its next read. Its own transaction when called outside one: what it files is
    committed at once, and a filing cut short leaves the queue for the next call (one
    statement: atomic by itself)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT edc_review_file()")
        return cursor.fetchone()[0]


def mark_reviewed(user: Any, entry_ids: Iterable[int], *, comment: str) -> int:
    """Mark audit entries reviewed, with one comment: one AuditReview each, audited like any
    write. Only entries the reviewer may see are marked; the count says how many."""
    require_role(user, review.REVIEWERS, _("review the audit trail"))
    comment = " ".join(comment.split())
    if len(comment) > 500:
        raise ActionRefused(_("The comment is too long: 500 characters at most."))
    ids = {int(pk) for pk in entry_ids}
    if not ids:
        raise ActionRefused(_("Tick the entries you reviewed."))
    with write(user, reason=comment, command="mark_reviewed"):
        entries = list(
            review.entries_for(user, review.Filters())
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
        if len(entries) != len(ids):
            raise ActionRefused(_("No such audit entry."))
        AuditReview.objects.bulk_create(
            AuditReview(entry_id=pk, reviewer=user, comment=comment) for pk in entries
        )
    return len(entries)
