"""Study oversight benchmark: seed N participants (default 500) into a fresh database, then time
the oversight page in-process (server time), with its SQL query count, for the data manager
(every site) and the monitor (one site):

- "warm": the page as a monitor reading it again meets it, the trial's read kept in memory
  while PostgreSQL's snapshot has not moved (oversight.memo): the target's case;
- "after a write": the snapshot has moved (a login, a save elsewhere): the trial read again,
  the lab grades and the audit ledger's counts kept (they move only with their own data);
- "cold": everything read afresh (the memory emptied first), as a new worker process.

Then the DSMB report's PDF (the whole trial), best of 3.

    .venv/bin/python bench/bench_oversight.py [--participants 500] [--requests 100] [--reuse]

--reuse times the page on the database a previous run seeded (seeding 500 takes minutes).

Target (issue 29): the page under 150 ms with 500 participants; a fixed number of queries.
"""

from __future__ import annotations

import argparse
import os
import time
from urllib.parse import urlsplit, urlunsplit

from _setup import ROOT, fresh_database, summary

DATABASE = "edc_bench_oversight"


def existing_database(name: str) -> None:
    """Point Django at database `name`, seeded by an earlier run, and set Django up."""
    import sys

    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    base = os.environ.get("DATABASE_URL")
    if not base:
        from trial import embedded

        base = embedded.postgres_url()
    os.environ["DATABASE_URL"] = urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trial.settings")
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--reuse", action="store_true", help="keep the last run's database")
    args = parser.parse_args()

    if args.reuse:
        existing_database(DATABASE)
    else:
        fresh_database(DATABASE)
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from oversight import memo, pdf, report
    from trial.models import Participant, Site

    started = time.perf_counter()
    if not args.reuse:
        call_command("migrate", verbosity=0)
        call_command("seed_demo", participants=args.participants, verbosity=0)
    seed_s = time.perf_counter() - started
    count = Participant.objects.count()
    print(f"seed_demo: {seed_s:.0f} s, {count} participants")

    url = reverse("oversight:page")
    for username in ("datamanager", "monitor"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for case in ("warm", "after a write", "cold"):
            memo.clear()
            assert client.get(url).status_code == 200
            samples, queries = [], set()
            for _ in range(args.requests if case == "warm" else max(10, args.requests // 5)):
                if case == "cold":
                    memo.clear()
                elif case == "after a write":
                    memo.clear_reads()
                with CaptureQueriesContext(connection) as captured:
                    start = time.perf_counter()
                    response = client.get(url)
                    samples.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200
                queries.add(len(captured))
            median, p95 = summary(samples)
            print(
                f"oversight page, {username}, {case}: median {median:.1f} ms, "
                f"p95 {p95:.1f} ms, queries {sorted(queries)}"
            )

    scope = report.Scope(
        Participant.objects.select_related("site"), Site.objects.all(), "All sites"
    )
    best, pages = float("inf"), 0
    for _ in range(3):
        memo.clear()
        start = time.perf_counter()
        _content, pages = pdf.render(scope, timezone.localdate())
        best = min(best, time.perf_counter() - start)
    print(f"DSMB report PDF, every site: {best:.1f} s, {pages} pages (best of 3)")


if __name__ == "__main__":
    main()
