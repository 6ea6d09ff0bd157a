"""Audit-review benchmark: the review page over a million audit events, and the SDV site view.

A real demo (seed_demo) gives two sites, their participants and their forms; then a bulk
loader appends `--events` Demographics update events (as the database owner, one INSERT ...
SELECT) spread over the demo's participants and over a year, one every 30 seconds, so that
nights and weekends come naturally; the weight changes at every event, the height at every
tenth. The ledger's trigger queues them as it queues any
event; the filing that the worker runs every second files them, timed on its own.

Then, through the Django test client (the whole view, middleware included), it times the
review page for a data manager and for a monitor: first page, last page, a page from a
cursor in the middle, the flag queues (first and last page), and a participant's last page;
and the SDV progress view of a site. Reports median and p95 and the query count of each.

    .venv/bin/python bench/bench_review.py [--events 1000000] [--requests 30] [--demo 40]

Targets (issue 12): the review page under 150 ms at any page, first and last; the SDV
progress view under 150 ms.
"""

from __future__ import annotations

import argparse
import time

from _setup import fresh_database, record, summary

TARGET_MS = 150


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--demo", type=int, default=40)
    args = parser.parse_args()

    fresh_database("edc_bench_review")
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from eligibility.models import Demographics
    from trial import actions
    from trial.history import event_model_for
    from trial.models import AuditEntry, Participant

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", "--participants", str(args.demo), "--seed", "7", verbosity=0)
    print(f"seed_demo --participants {args.demo}: {time.perf_counter() - started:.1f} s")

    events = event_model_for(Demographics)
    table = events._meta.db_table
    columns = [f.column for f in events._meta.concrete_fields if f.column != "pgh_id"]
    chosen = {
        "pgh_created_at": "timestamptz '2026-01-05 00:00+01' + g * interval '30 seconds'",
        "pgh_label": "'update'",
        "weight_kg": "50 + mod(g, 400) / 10.0",
        "height_cm": "150 + mod(g / 10, 40)",
    }
    select = ", ".join(chosen.get(c, f"e.{c}") for c in columns)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(DISTINCT pgh_obj_id) FROM {table}")
        (objects,) = cursor.fetchone()
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} "
            f"FROM generate_series(1, %s) g JOIN (SELECT DISTINCT ON (pgh_obj_id) *, "
            f"dense_rank() OVER (ORDER BY pgh_obj_id) - 1 AS n FROM {table} "
            f"ORDER BY pgh_obj_id, pgh_id DESC) e ON e.n = mod(g, %s)",
            [args.events, objects],
        )
    loaded = time.perf_counter() - started
    # The load only queued its events (one batch); the worker files them, as here.
    started = time.perf_counter()
    actions.file_review_ledger()
    filed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    entries = AuditEntry.objects.count()
    print(
        f"loaded {args.events:,} events over {objects} forms in {loaded:.1f} s, filed into the "
        f"review ledger in {filed:.1f} s: the ledger holds {entries:,} entries"
    )

    participant = Participant.objects.filter(site__code="BDX").order_by("code").first()
    cases = [
        ("first page", {}),
        ("last page", {"last": "1"}),
        ("middle (cursor)", None),
        ("off hours, first", {"flag": "off_hours"}),
        ("off hours, last", {"flag": "off_hours", "last": "1"}),
        ("weekend, last", {"flag": "weekend", "last": "1"}),
        ("changed 3x, last", {"flag": "often_changed", "last": "1"}),
        ("deletions, last", {"flag": "deletion", "last": "1"}),
        ("failed logins, last", {"flag": "auth", "last": "1"}),
        ("unreviewed, first", {"reviewed": "no"}),
        ("participant, last", {"participant": participant.code, "last": "1"}),
        ("form + item, last", {"form": "DEMOG", "item": "weight_kg", "last": "1"}),
    ]
    middle = AuditEntry.objects.order_by("at", "id")[entries // 2]
    worst = 0.0
    print(f"{'page':34} {'median':>8} {'p95':>8} {'queries':>8} {'rows':>5}")
    for who in ("datamanager", "monitor"):
        client = Client()
        client.force_login(User.objects.get(username=who))
        for name, params in cases:
            if params is None:
                params = {"after": f"{middle.at.isoformat()}~{middle.id}"}
            client.get("/review/", params)  # warm
            samples = []
            for _ in range(args.requests):
                reset_queries()
                t0 = time.perf_counter()
                response = client.get("/review/", params)
                samples.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (name, response.status_code)
            with CaptureQueriesContext(connection) as queries:
                response = client.get("/review/", params)
            rows = response.content.count(b"data-entry=")
            median, p95 = summary(samples)
            worst = max(worst, median)
            print(
                f"{who + ': ' + name:34} {median:7.1f}  {p95:7.1f}  "
                f"{len(queries.captured_queries):>7} {rows:>5}"
            )
    verdict = "ok" if worst < TARGET_MS else "ABOVE TARGET"
    print(f"review page: worst median {worst:.1f} ms (target < {TARGET_MS} ms) {verdict}")
    record(
        "audit review page: worst median", f"< {TARGET_MS} ms", f"{worst:.1f} ms", worst < TARGET_MS
    )

    client = Client()
    client.force_login(User.objects.get(username="monitor"))
    sdv_samples = []
    for _ in range(args.requests):
        t0 = time.perf_counter()
        response = client.get("/sdv/", {"site": "BDX"})
        sdv_samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get("/sdv/", {"site": "BDX"})
    median, p95 = summary(sdv_samples)
    count = Participant.objects.filter(site__code="BDX").count()
    verdict = "ok" if median < TARGET_MS else "ABOVE TARGET"
    print(
        f"SDV site view ({count} participants): median {median:.1f} ms, p95 {p95:.1f} ms, "
        f"{len(queries.captured_queries)} queries (target < {TARGET_MS} ms) {verdict}"
    )
    record("SDV site view: median", f"< {TARGET_MS} ms", f"{median:.1f} ms", median < TARGET_MS)


if __name__ == "__main__":
    main()
