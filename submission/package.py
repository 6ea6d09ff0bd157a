"""The SDTM package: every domain as Dataset-JSON 1.1 and SAS XPORT v5, define.xml
(Define-XML 2.1) and the blank CRF book its origins point to, checked as it is written.

`build(scope, directory)` reads the data once (submission.study), maps each domain, writes
its two files, then checks them: the JSON against CDISC's schema, the XPT read back against
the JSON, define.xml against its XSD. A package with errors is still written (so they can be
looked at) and `Result.errors` lists them; the command and the job refuse to call it done.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone, translation

from submission import compare, datasetjson, define, validation, xpt
from submission.domains import MODULES, domain_of
from submission.study import Study
from trial import pdf
from trial.exports.common import Scope
from trial.models import FormStatus

ORIGINATOR = "University Hospital Bordeaux"
SYSTEM = "EDC NCT04837885"
DEFINE_FILE = "define.xml"

Progress = Callable[[int, str], None]


def _no_progress(percent: int, step: str) -> None:
    return None


@dataclass
class Result:
    directory: Path
    records: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def system_version() -> str:
    try:
        with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as handle:
            return str(tomllib.load(handle)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def _last_modified(participant_ids: list[int] | None) -> Any:
    rows = FormStatus.objects.all()
    if participant_ids is not None:
        rows = rows.filter(participant_id__in=participant_ids)
    return rows.aggregate(last=Max("updated_at"))["last"]


def build(
    scope: Scope,
    directory: Path,
    *,
    progress: Progress = _no_progress,
    crf_book: bool = True,
) -> Result:
    """Write the package of the scope's participants into `directory` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    result = Result(directory)
    now = timezone.now().replace(microsecond=0)
    version = system_version()
    study_oid = settings.TRIAL_NUMBER
    header = datasetjson.Header(
        study_oid=study_oid,
        metadata_version_oid=f"MDV.{study_oid}.SDTMIG.3.4",
        created=now,
        last_modified=_last_modified(scope.participant_ids),
        originator=ORIGINATOR,
        system=SYSTEM,
        system_version=version,
        define_file=DEFINE_FILE,
    )
    # Terms, labels and decodes in English, whoever asked.
    with translation.override("en"):
        progress(2, "reading")
        study = Study(scope.participant_ids)
        datasets = []
        for index, module in enumerate(MODULES):
            domain = domain_of(module)
            progress(5 + 80 * index // len(MODULES), domain.code)
            records = module.records(study)
            datasets.append((domain, records))
            result.records[domain.code] = len(records)
            result.errors += _write_dataset(directory, domain, records, header)
            result.files += [f"{domain.file_stem}.json", f"{domain.file_stem}.xpt"]
        progress(86, DEFINE_FILE)
        content = define.document(
            define.Study(
                oid=study_oid,
                name=study_oid,
                description="Intra-arterial hepatic LUTATHERA in GEP-NET liver metastases",
                protocol=study_oid,
                metadata_version_oid=header.metadata_version_oid,
                created=now,
                originator=ORIGINATOR,
                system=SYSTEM,
                system_version=version,
            ),
            datasets,
        )
        (directory / DEFINE_FILE).write_bytes(content)
        result.files.append(DEFINE_FILE)
        result.errors += [f"{DEFINE_FILE}: {e}" for e in validation.define_errors(content)]
        if crf_book:
            progress(90, define.CRF_FILE)

            (directory / define.CRF_FILE).write_bytes(pdf.blank_book_pdf().content)
            result.files.append(define.CRF_FILE)
    progress(100, "done")
    return result


def _write_dataset(directory: Path, domain: Any, records: list[dict], header: Any) -> list[str]:
    stem = domain.file_stem
    content = datasetjson.document(domain, records, header)
    errors = [f"{stem}.json: {e}" for e in validation.dataset_json_errors(content)]
    datasetjson.write(directory / f"{stem}.json", content)
    xpt.write(directory / f"{stem}.xpt", domain, records)
    # Read both files back from disk: what was written, not what was meant.
    info, rows = xpt.read(directory / f"{stem}.xpt")
    written = datasetjson.read(directory / f"{stem}.json")
    errors += [f"{stem}.xpt: {e}" for e in compare.differences(written, info, rows)]
    return errors
