"""The trial's archive for 25 years (EU CTR 536/2014 article 58): everything needed to read
and check the trial's data without this software, in open formats, with a manifest.

    DIR/
      README.txt                       what is where, and how to check it
      casebooks/<CODE>_casebook.pdf    each participant's casebook, PDF/A-3b (data attached)
      sdtm/                            the SDTM package (Dataset-JSON, XPT, define.xml, CRF book)
      odm/snapshot.odm.xml             the current data, CDISC ODM 1.3.2 Snapshot
      odm/transactional.odm.xml        the audit trail, CDISC ODM 1.3.2 Transactional
      audit/audit-trail.csv            the audit trail, one row per changed item
      reports/...                      the roles-over-time report, when an app provides it
      schemas/                         the CDISC schemas and the ODM extension's XSD
      MANIFEST.sha256                  the SHA-256 of every other file, in `sha256sum` format

`sha256sum -c MANIFEST.sha256` checks the hashes with no software of ours;
`manage.py verify_archive DIR` checks them and validates every file (submission/verify.py).

The roles-over-time report is included when an app provides the fact
trial.registry.ROLES_REPORT: a callable taking the scope (trial.exports.common.Scope) and
returning (file name, bytes).
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation

from submission import package, validation
from trial import pdf, registry
from trial.exports import audit_csv, odm
from trial.exports.common import Scope
from trial.models import Participant

MANIFEST = "MANIFEST.sha256"
README = "README.txt"
ROLES_REPORT = registry.ROLES_REPORT.name
CASEBOOKS, SDTM, ODM, AUDIT, REPORTS, SCHEMAS = (
    "casebooks",
    "sdtm",
    "odm",
    "audit",
    "reports",
    "schemas",
)
SNAPSHOT_FILE = "snapshot.odm.xml"
TRANSACTIONAL_FILE = "transactional.odm.xml"
AUDIT_FILE = "audit-trail.csv"

Progress = Callable[[int, str], None]


def _no_progress(percent: int, step: str) -> None:
    return None


class ArchiveError(Exception):
    """The archive cannot be written where asked (the message says why)."""


@dataclass
class Written:
    directory: Path
    files: list[str] = field(default_factory=list)
    casebooks: int = 0
    errors: list[str] = field(default_factory=list)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def files_of(directory: Path) -> list[str]:
    """Every file under `directory` but the manifest, as sorted POSIX relative paths."""
    return sorted(
        path.relative_to(directory).as_posix()
        for path in directory.rglob("*")
        if path.is_file() and path.relative_to(directory).as_posix() != MANIFEST
    )


def write_manifest(directory: Path) -> list[str]:
    names = files_of(directory)
    lines = [f"{sha256(directory / name)}  {name}\n" for name in names]
    (directory / MANIFEST).write_text("".join(lines), encoding="utf-8")
    return names


def _readme(scope: Scope, written: Written, language: str) -> str:
    where = scope.site.code if scope.site is not None else "all sites"
    return f"""Archive of clinical trial {settings.TRIAL_NUMBER} ({where})
Written {timezone.now():%Y-%m-%d %H:%M} UTC by the trial's EDC, for EU CTR 536/2014 art. 58.

casebooks/   each participant's casebook, PDF/A-3b ({written.casebooks} files, language
             {language}); each carries the participant's data (JSON) and audit trail (ODM)
             as attached files.
sdtm/        the SDTM datasets (SDTMIG 3.4): CDISC Dataset-JSON 1.1 (.json) and SAS XPORT
             version 5 (.xpt) of each domain, define.xml (Define-XML 2.1) and the blank CRF
             book the define.xml's origins point to.
odm/         CDISC ODM 1.3.2: the current data (Snapshot) and the whole audit trail
             (Transactional). The EDC's own records (form status, signatures, queries,
             source-data verification) are in the ODM's extension slots, namespace
             {odm.EDC_NS}, schema schemas/edc-odm-extension.xsd.
audit/       the audit trail as CSV: one row per changed item, old and new value, who,
             when, why.
reports/     reports of other parts of the EDC (the roles over time), when present.
schemas/     the XSDs and JSON schema these files are valid against.

{MANIFEST} holds the SHA-256 of every other file. To check them: sha256sum -c {MANIFEST}
"""


def _copy_schemas(target: Path) -> None:
    shutil.copytree(validation.SCHEMAS, target, ignore=shutil.ignore_patterns("README.md"))
    shutil.copy2(odm.EXTENSION_XSD, target / Path(odm.EXTENSION_XSD).name)


def ensure_empty(directory: Path) -> None:
    """An archive is written once, into a new or empty directory: never over another."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ArchiveError(f"{directory} exists and is not an empty directory.")


def write(
    scope: Scope,
    directory: Path,
    *,
    language: str | None = None,
    progress: Progress = _no_progress,
) -> Written:
    """Write the archive of the scope's participants into `directory` (new or empty)."""
    ensure_empty(directory)
    directory.mkdir(parents=True, exist_ok=True)
    language = language or settings.LANGUAGE_CODE
    written = Written(directory)
    chosen = Participant.objects.select_related("site").order_by("code")
    if scope.participant_ids is not None:
        chosen = chosen.filter(pk__in=scope.participant_ids)
    participants = list(chosen)

    (directory / CASEBOOKS).mkdir()
    with translation.override(language):
        for index, participant in enumerate(participants):
            progress(5 + 60 * index // max(len(participants), 1), participant.code)
            rendered = pdf.casebook_pdf(participant)
            (directory / CASEBOOKS / rendered.filename).write_bytes(rendered.content)
            written.casebooks += 1
    progress(66, "SDTM")
    built = package.build(scope, directory / SDTM)
    written.errors += [f"{SDTM}/{error}" for error in built.errors]
    progress(80, "ODM")
    (directory / ODM).mkdir()
    with open(directory / ODM / SNAPSHOT_FILE, "wb") as target:
        odm.write_snapshot(scope, target)
    with open(directory / ODM / TRANSACTIONAL_FILE, "wb") as target:
        odm.write_transactional(scope, target)
    progress(90, "audit")
    (directory / AUDIT).mkdir()
    with open(directory / AUDIT / AUDIT_FILE, "w", encoding="utf-8", newline="") as target:
        audit_csv.write(scope, target)
    report = registry.ROLES_REPORT.provider
    if report is not None:
        name, content = report(scope)
        (directory / REPORTS).mkdir()
        (directory / REPORTS / Path(name).name).write_bytes(content)
    _copy_schemas(directory / SCHEMAS)
    (directory / README).write_text(_readme(scope, written, language), encoding="utf-8")
    progress(98, MANIFEST)
    written.files = write_manifest(directory)
    progress(100, "done")
    return written
