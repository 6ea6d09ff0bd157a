"""Shared set-up of the benchmarks: a fresh database on the private (or given) server."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def fresh_database(name: str) -> None:
    """Point Django at a new, empty database `name` on the same server, then set Django up."""
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import psycopg

    base = os.environ.get("DATABASE_URL")
    if not base:
        from trial import embedded

        base = embedded.postgres_url()
    parts = urlsplit(base)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    bench_url = urlunsplit(parts._replace(path=f"/{name}"))
    # psycopg wants postgresql:// and the socket directory as host=…
    with psycopg.connect(
        admin_url.replace("postgres://", "postgresql://", 1), autocommit=True
    ) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trial.settings")
    import django

    django.setup()


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
