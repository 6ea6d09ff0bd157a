"""Submission benchmark: the SDTM package (export_sdtm's build, without and with the blank
CRF book), then the whole trial's archive and its verification, on a fresh demo.

    .venv/bin/python bench/bench_submission.py [--participants 18]

Reports seconds, records and files. No target from the issue; the archive's time is the
casebooks' (one PDF/A per participant, see bench_pdf.py), the package's and the
verification's should stay in seconds for a trial of this size.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _setup import fresh_database, record


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=18)
    args = parser.parse_args()
    fresh_database("bench_submission")
    from django.core.management import call_command

    from submission import archive, package
    from submission.verify import verify
    from trial.exports.common import resolve_scope

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--participants", str(args.participants), verbosity=0)
    scope = resolve_scope()
    with tempfile.TemporaryDirectory() as folder:
        for crf_book in (False, True):
            start = time.perf_counter()
            built = package.build(scope, Path(folder) / f"sdtm-{crf_book}", crf_book=crf_book)
            seconds = time.perf_counter() - start
            records = sum(built.records.values())
            print(
                f"SDTM package{' + CRF book' if crf_book else ''}: {seconds:.2f} s, "
                f"{len(built.records)} datasets, {records} records, {len(built.errors)} errors"
            )
        start = time.perf_counter()
        written = archive.write(scope, Path(folder) / "archive")
        seconds = time.perf_counter() - start
        print(
            f"archive: {seconds:.1f} s, {written.casebooks} casebooks, "
            f"{len(written.files)} files, {len(written.errors)} errors"
        )
        start = time.perf_counter()
        failures = verify(Path(folder) / "archive")
        print(f"verify_archive: {time.perf_counter() - start:.2f} s, {len(failures)} failures")
        record("archive verified", "0 failures", str(len(failures)), not failures)


if __name__ == "__main__":
    main()
