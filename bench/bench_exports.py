"""Exports benchmark: the audit trail of a million events, as PostgreSQL COPY, as the CSV
export and as the ODM 1.3.2 Transactional export, in one run.

A Demographics form is saved once through the action; then a bulk loader appends N update
events to its event table in one INSERT ... SELECT generate_series (as the database owner;
the weight changes at every event, so each event is one changed item). Then, on the same
rows and the same SQL (trial.exports.audit_csv.csv_sql, on common.changes_sql):

- `COPY (SELECT ...) TO STDOUT WITH (FORMAT csv)` of the CSV's own query, read to the end;
- the CSV export (trial.exports.audit_csv), to a sink that counts bytes;
- the ODM export (trial.exports.odm.write_transactional), likewise.

Reports rows per second, the ratios to COPY and the growth of the process's peak resident
memory (getrusage maxrss) during each export; with --tracemalloc, also the peak of Python
allocations (a second, slower pass).

    .venv/bin/python bench/bench_exports.py [--events 1000000] [--tracemalloc]

Targets (issue 12): CSV at least 0.7 x COPY, ODM at least 0.25 x, peak memory under 200 MB.
"""

from __future__ import annotations

import argparse
import resource
import time

from _setup import fresh_database, record

CSV_TARGET, ODM_TARGET, MEMORY_MB = 0.7, 0.25, 200


class Sink:
    """A file that keeps nothing: counts what is written."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data) -> int:
        self.size += len(data)
        return len(data)


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()

    fresh_database("edc_bench_exports")
    from datetime import date

    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection

    from eligibility.forms import DemographicsForm
    from trial import actions, roles
    from trial.exports import audit_csv, odm
    from trial.exports.common import resolve_scope
    from trial.history import event_model_for
    from trial.models import FormStatus, Membership, Site

    call_command("migrate", verbosity=0)
    site = Site.objects.create(code="BDX", name="CHU de Bordeaux")
    nurse = User.objects.create_user("nurse", password="bench-password-1", first_name="Claire")
    nurse.groups.add(Group.objects.get(name=roles.NURSE))
    Membership.objects.create(user=nurse, site=site)
    participant = actions.register_participant(nurse, site, date(2026, 3, 2))
    row = FormStatus.objects.get(participant=participant, form="DEMOG")
    values = {"birth_date": "1960-04-02", "sex": "F", "height_cm": "163", "weight_kg": "61.5"}
    form = DemographicsForm(values, participant=participant)
    assert form.is_valid(), form.errors
    actions.save_crf(nurse, row, form.crf_data(), expected_version=row.version, reason="")

    from eligibility.models import Demographics

    events = event_model_for(Demographics)
    table = events._meta.db_table
    columns = [f.column for f in events._meta.concrete_fields if f.column != "pgh_id"]
    chosen = {
        "pgh_created_at": "e.pgh_created_at + g * interval '1 millisecond'",
        "pgh_label": "'update'",
        "weight_kg": "50 + mod(g, 400) / 10.0",
    }
    select = ", ".join(chosen.get(c, f"e.{c}") for c in columns)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} "
            f"FROM generate_series(1, %s) g, (SELECT * FROM {table} ORDER BY pgh_id LIMIT 1) e",
            [args.events],
        )
        cursor.execute("ANALYZE")
    print(f"seeded {args.events:,} audit events in {time.perf_counter() - started:.1f} s")

    scope = resolve_scope()
    sql, _params = audit_csv.csv_sql(scope)  # unscoped: no parameter

    def copy() -> tuple[int, int]:
        size = rows = 0
        raw = connection.connection
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as pipe,
        ):
            for block in pipe:
                size += len(block)
                rows += bytes(block).count(b"\n")
        return rows, size

    def csv_export() -> tuple[int, int]:
        sink = Sink()
        return audit_csv.write(scope, sink), sink.size

    def odm_export() -> tuple[int, int]:
        sink = Sink()
        return odm.write_transactional(scope, sink), sink.size

    results = {}
    for name, run in (("COPY", copy), ("CSV", csv_export), ("ODM", odm_export)):
        before = maxrss_mb()
        started = time.perf_counter()
        rows, size = run()
        seconds = time.perf_counter() - started
        results[name] = (rows, size, seconds, maxrss_mb() - before)
        print(
            f"{name:5} {rows:>10,} rows {size / 1e6:8.1f} MB {seconds:7.1f} s "
            f"{rows / seconds:>10,.0f} rows/s  peak RSS +{results[name][3]:.1f} MB"
        )
    copy_rate = results["COPY"][0] / results["COPY"][2]
    for name, target in (("CSV", CSV_TARGET), ("ODM", ODM_TARGET)):
        rate = results[name][0] / results[name][2]
        verdict = "ok" if rate / copy_rate >= target else "BELOW TARGET"
        print(f"{name} / COPY throughput: {rate / copy_rate:.2f} (target >= {target}) {verdict}")
        record(
            f"audit export {name} / COPY",
            f">= {target}",
            f"{rate / copy_rate:.2f}",
            rate / copy_rate >= target,
        )
    growth = max(results["CSV"][3], results["ODM"][3])
    record(
        "audit exports: peak RSS growth",
        f"< {MEMORY_MB} MB",
        f"{growth:.0f} MB",
        growth < MEMORY_MB,
    )
    print(f"peak RSS now {maxrss_mb():.0f} MB (target: each export's growth < {MEMORY_MB} MB)")
    if args.tracemalloc:
        import tracemalloc

        for name, run in (("CSV", csv_export), ("ODM", odm_export)):
            tracemalloc.start()
            run()
            peak = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
            print(f"{name} tracemalloc peak {peak:.1f} MB")


if __name__ == "__main__":
    main()
