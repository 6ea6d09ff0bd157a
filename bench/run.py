"""Page benchmark: seed 500 participants into a fresh database, then time the participant list
and a fully-filled participant page over 200 requests each, in-process (server time: URL
routing, middleware, queries and template rendering; no network).

    .venv/bin/python bench/run.py [--participants 500] [--requests 200]

Targets (issue 2): median under 40 ms, p95 under 80 ms, on a 2-core machine.
"""

from __future__ import annotations

import argparse
import time

from _setup import fresh_database, summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    fresh_database("edc_bench")
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count, Q
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from trial.models import Participant

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", participants=args.participants, verbosity=0)
    seed_s = time.perf_counter() - started

    nurse = User.objects.get(username="nurse")
    fullest = (
        Participant.objects.filter(site__code="BDX")
        .annotate(done=Count("forms", filter=Q(forms__status="complete")))
        .order_by("-done")
        .first()
    )
    client = Client()
    client.force_login(nurse)
    pages = {
        "participant list": reverse("participant_list"),
        f"participant page ({fullest.code}, {fullest.done} forms complete)": reverse(
            "participant_detail", args=[fullest.code]
        ),
    }
    print(f"seed_demo --participants {args.participants}: {seed_s:.1f} s (target < 120 s)")
    print(f"{'page':60} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for label, url in pages.items():
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
        median, p95 = summary(samples)
        print(f"{label:60} {median:10.1f} {p95:8.1f} {len(ctx.captured_queries):8d}")


if __name__ == "__main__":
    main()
