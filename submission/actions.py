"""The submission app's writes: the export's log (trial's ExportLog, through its action) and
the package job a data manager asks for on the exports page.

ExportLog kinds: "sdtm" and "archive" are this app's own names; trial's ExportKind lists the
exports trial makes, and trial never names the layer above it.
"""

from __future__ import annotations

import io
import logging
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import OperationalError
from django.utils import timezone
from django.utils.translation import gettext as _

from submission import archive, package
from submission.models import PackageJob, PackageJobStatus
from trial import jobs, roles
from trial.actions import ActionRefused, write
from trial.exports.actions import finish_export, record_export
from trial.exports.common import ExportError, Scope, resolve_scope

log = logging.getLogger(__name__)

SDTM_EXPORT = "sdtm"
ARCHIVE_EXPORT = "archive"
# The task that builds a PackageJob (submission/tasks.py), sent by name: the tasks module
# calls this one, which does not import it back.
BUILD_PACKAGE = "submission.tasks.build_package"


def export_package(
    scope: Scope,
    directory: Path,
    *,
    origin: str,
    progress: package.Progress = package._no_progress,
) -> package.Result:
    """Log the export, then build the SDTM package into `directory`; the log's row count is
    the number of records written."""
    entry = record_export(scope, SDTM_EXPORT, origin=origin)
    result = package.build(scope, directory, progress=progress)
    finish_export(entry, sum(result.records.values()))
    return result


def write_archive(
    scope: Scope,
    directory: Path,
    *,
    origin: str,
    language: str | None = None,
    progress: Any = None,
) -> Any:
    """Log the archive as an export, then write it (submission.archive); the log's row count
    is the number of files the manifest covers."""
    archive.ensure_empty(directory)
    entry = record_export(scope, ARCHIVE_EXPORT, origin=origin)
    written = archive.write(scope, directory, language=language, progress=progress or _quiet)
    finish_export(entry, len(written.files))
    return written


def _quiet(percent: int, step: str) -> None:
    return None


def request_package(user: Any, site: str = "", *, client_address: str = "") -> PackageJob:
    """A data manager asks for the SDTM package (of one site, or the whole trial): logged at
    once, built by the worker after commit. If Redis is down the job stays queued (the page
    says so; beat sends it again)."""
    if not roles.has_any(user, roles.ALL_SITES):
        raise ActionRefused(_("Only data managers may export the SDTM package."))
    try:
        scope = resolve_scope(user, site=site)
    except ExportError:
        raise ActionRefused(_("No such site.")) from None
    with write(user, command="request_package") as w:
        entry = record_export(
            scope, SDTM_EXPORT, origin="exports page: SDTM package", client_address=client_address
        )
        job = PackageJob.objects.create(requested_by=user, site=site, export_log=entry)
        w.on_commit(lambda: jobs.enqueue(BUILD_PACKAGE, job.pk))
    return job


def retry_package(user: Any, job: PackageJob) -> PackageJob:
    """Ask again for a package that failed (or never left the queue)."""
    if not roles.has_any(user, roles.ALL_SITES):
        raise ActionRefused(_("Only data managers may export the SDTM package."))
    with write(user, command="retry_package") as w:
        PackageJob.objects.filter(pk=job.pk).exclude(status=PackageJobStatus.DONE).update(
            status=PackageJobStatus.QUEUED, progress=0, step="", error="", finished_at=None
        )
        w.on_commit(lambda: jobs.enqueue(BUILD_PACKAGE, job.pk))
    job.refresh_from_db()
    return job


def zipped(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.iterdir()):
            archive.write(path, path.name)
    return buffer.getvalue()


def run_job(job_id: int) -> str:
    """Build the job's package once. A finished job is left alone (a redelivered task does
    nothing); a failure is recorded on the job for the page to show."""
    with write(None, command="build_package"):
        job = PackageJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status == PackageJobStatus.DONE:
            return "nothing to do"
        job.status, job.progress, job.step, job.error = PackageJobStatus.RUNNING, 1, "", ""
        job.started_at, job.attempts = timezone.now(), job.attempts + 1
        job.save(update_fields=["status", "progress", "step", "error", "started_at", "attempts"])

    def progress(percent: int, step: str) -> None:
        with write(None, command="build_package"):
            PackageJob.objects.filter(pk=job_id).update(progress=percent, step=step[:40])

    try:
        scope = resolve_scope(job.requested_by, site=job.site)
        with tempfile.TemporaryDirectory(prefix="sdtm-") as folder:
            result = package.build(scope, Path(folder), progress=progress)
            if not result.ok:
                raise ValueError("; ".join(result.errors[:10]))
            content = zipped(Path(folder))
    except OperationalError:
        # The database went away: let the task retry with back-off.
        with write(None, command="build_package"):
            PackageJob.objects.filter(pk=job_id).update(status=PackageJobStatus.QUEUED, progress=0)
        raise
    except Exception as exc:  # noqa: BLE001 - shown to the user, who may ask again
        log.exception("SDTM package job %s failed", job_id)
        with write(None, command="build_package"):
            PackageJob.objects.filter(pk=job_id).update(
                status=PackageJobStatus.FAILED,
                error=f"{type(exc).__name__}: {exc}"[:2000],
                finished_at=timezone.now(),
            )
        return "failed"
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    where = f"_{job.site}" if job.site else ""
    with write(None, command="build_package"):
        PackageJob.objects.filter(pk=job_id).update(
            status=PackageJobStatus.DONE,
            progress=100,
            step="",
            records=list(result.records.items()),
            content=content,
            filename=f"{settings.TRIAL_NUMBER}_SDTM{where}_{stamp}.zip",
            finished_at=timezone.now(),
        )
        if job.export_log is not None and job.export_log.finished_at is None:
            finish_export(job.export_log, sum(result.records.values()))
    return "done"
