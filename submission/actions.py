"""The submission app's writes: the export's log (trial's ExportLog, through its action) and
the package job a data manager asks for on the exports page.

ExportLog kinds: "sdtm" and "archive" are this app's own names; trial's ExportKind lists the
exports trial makes, and trial never names the layer above it.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from submission import archive, package
from submission.models import PackageJob
from trial import jobs, roles
from trial.actions import ActionRefused, JobResult, retry_stored_job, run_stored_job, write
from trial.exports.actions import finish_export, finish_job_export, record_export
from trial.exports.common import ExportError, Scope, resolve_scope

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
    return retry_stored_job(user, job, command="retry_package", task=BUILD_PACKAGE)


def zipped(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.iterdir()):
            archive.write(path, path.name)
    return buffer.getvalue()


def run_job(job_id: int) -> str:
    """Build the job's package once (trial's stored-job runner: a finished job is left
    alone, a failure recorded on the job for the page to show); its export log is finished
    with the number of records written."""

    def work(job: PackageJob, progress: package.Progress) -> JobResult:
        scope = resolve_scope(job.requested_by, site=job.site)
        with tempfile.TemporaryDirectory(prefix="sdtm-") as folder:
            result = package.build(scope, Path(folder), progress=progress)
            if not result.ok:
                raise ValueError("; ".join(result.errors[:10]))
            content = zipped(Path(folder))
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        where = f"_{job.site}" if job.site else ""
        records = sum(result.records.values())
        return JobResult(
            fields={
                "records": list(result.records.items()),
                "content": content,
                "filename": f"{settings.TRIAL_NUMBER}_SDTM{where}_{stamp}.zip",
            },
            then=finish_job_export(job, records),
        )

    return run_stored_job(PackageJob, job_id, command="build_package", work=work)
