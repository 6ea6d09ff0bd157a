"""Page benchmark: seed participants into a fresh database (5,000 by default), then time the
participant list (first and last keyset page, a search by code and one by status) and a
fully-filled participant page, over 200 requests each, in-process (server time: URL routing,
middleware, queries and template rendering; no network).

    .venv/bin/python bench/run.py [--participants 5000] [--requests 200] [--reuse]

--reuse times the pages on the database a previous run seeded (no seed time is recorded).

Targets (issue 26): every page median < 15 ms and p95 < 25 ms, a search < 25 ms (p95), query
counts fixed (the last page of the list costs the queries of the first); seed_demo < 60 s per
500 participants (< 10 min for 5,000).
"""

from __future__ import annotations

import argparse
import time

from _setup import existing_database, fresh_database, record, summary

MEDIAN_MS, P95_MS, SEARCH_MS = 15.0, 25.0, 25.0
SEED_S_PER_PARTICIPANT = 60.0 / 500


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="keep the last run's database")
    args = parser.parse_args()

    # Named by its size: a quick run at 500 leaves a 5,000-participant database for --reuse.
    database = f"edc_bench_{args.participants}"
    if args.reuse:
        existing_database(database)
    else:
        fresh_database(database)
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count, Q
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from trial.models import Participant

    call_command("migrate", verbosity=0)
    if not args.reuse:
        # The seed alone is timed, not the migrations before it.
        started = time.perf_counter()
        call_command("seed_demo", participants=args.participants, verbosity=0)
        seed_s = time.perf_counter() - started
        seed_target = SEED_S_PER_PARTICIPANT * args.participants
        record(
            f"seed_demo --participants {args.participants}",
            f"< {seed_target:.0f} s",
            f"{seed_s:.1f} s",
            seed_s < seed_target,
        )

    nurse = User.objects.get(username="nurse")
    fullest = (
        Participant.objects.filter(site__code="BDX")
        .annotate(done=Count("forms", filter=Q(forms__status="complete")))
        .order_by("-done")
        .first()
    )
    # A code that several participants share a part of, and the status most have.
    some = Participant.objects.filter(site__code="BDX").order_by("code")[args.participants // 3]
    part = some.code[-3:-1]
    client = Client()
    client.force_login(nurse)
    home = reverse("participant_list")
    pages = {
        "participant list, first page": (home, MEDIAN_MS, P95_MS),
        # Keyset: the page before a code after every code is the last page.
        "participant list, last page": (f"{home}?before=ZZZ", MEDIAN_MS, P95_MS),
        f"participant list, search code '{part}'": (f"{home}?q={part}", None, SEARCH_MS),
        "participant list, search status 'in follow-up'": (
            f"{home}?status=follow_up",
            None,
            SEARCH_MS,
        ),
        f"participant page ({fullest.done} forms complete)": (
            reverse("participant_detail", args=[fullest.code]),
            MEDIAN_MS,
            P95_MS,
        ),
    }
    print(f"{'page':60} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    counts = {}
    for label, (url, median_target, p95_target) in pages.items():
        for _ in range(10):  # warm caches, connections and templates
            assert client.get(url).status_code == 200
        samples = []
        for _ in range(args.requests):
            t0 = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        counts[label] = len(ctx.captured_queries)
        median, p95 = summary(samples)
        print(f"{label:60} {median:10.1f} {p95:8.1f} {counts[label]:8d}")
        name = f"{label}, {args.participants} participants"
        if median_target is not None:
            record(
                f"{name}: median",
                f"< {median_target:.0f} ms",
                f"{median:.1f} ms",
                median < median_target,
            )
        record(f"{name}: p95", f"< {p95_target:.0f} ms", f"{p95:.1f} ms", p95 < p95_target)
    first, last = counts["participant list, first page"], counts["participant list, last page"]
    record(
        "participant list: queries, last page vs first",
        "equal",
        f"{last} vs {first}",
        first == last,
    )


if __name__ == "__main__":
    main()
