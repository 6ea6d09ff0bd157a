"""Shared set-up of the benchmarks: a fresh database on the private (or given) server."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def _server_url() -> str:
    """The PostgreSQL server's URL: DATABASE_URL's, else the private server's."""
    base = os.environ.get("DATABASE_URL")
    if not base:
        from trial import embedded

        base = embedded.postgres_url()
    return base


def _use(url: str) -> None:
    """Point Django at the database of `url`, then set Django up."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trial.settings")
    import django

    django.setup()


def fresh_database(name: str) -> None:
    """Point Django at a new, empty database `name` on the same server, then set Django up."""
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import psycopg

    parts = urlsplit(_server_url())
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    # psycopg wants postgresql:// and the socket directory as host=…
    with psycopg.connect(
        admin_url.replace("postgres://", "postgresql://", 1), autocommit=True
    ) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    _use(urlunsplit(parts._replace(path=f"/{name}")))


def existing_database(name: str) -> None:
    """Point Django at database `name`, seeded by an earlier run, and set Django up."""
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    _use(urlunsplit(urlsplit(_server_url())._replace(path=f"/{name}")))


def demo_arguments() -> argparse.Namespace:
    """The page benchmarks' options: --participants, --requests, --reuse."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--reuse", action="store_true", help="keep the last run's database")
    return parser.parse_args()


def seeded_demo(name: str, args: argparse.Namespace) -> float | None:
    """Database `name` with `seed_demo --participants N`: made afresh, migrated and seeded
    (the seconds the seeding took), or with --reuse the one a previous run seeded, brought
    to the code's migrations (None)."""
    from django.core.management import call_command

    if args.reuse:
        existing_database(name)
        call_command("migrate", verbosity=0)
        return None
    fresh_database(name)

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", participants=args.participants, verbosity=0)
    return time.perf_counter() - started


def summary(samples_ms: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_ms)
    median = (
        ordered[len(ordered) // 2]
        if len(ordered) % 2
        else (ordered[len(ordered) // 2 - 1] + ordered[len(ordered) // 2]) / 2
    )
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
    return median, p95


def record(measure: str, target: str, value: str, passed: bool) -> None:
    """One line of `make bench`'s table (bench/all.py prints them together at the end): the
    measure, its target, the value found, pass or fail. Appended to the file BENCH_RESULTS
    names, when the benchmark runs under bench/all.py; printed at once as well."""
    line = {"measure": measure, "target": target, "value": value, "passed": bool(passed)}
    print(f"[{'pass' if passed else 'FAIL'}] {measure}: {value} (target {target})")
    path = os.environ.get("BENCH_RESULTS")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line) + "\n")
