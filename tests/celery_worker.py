"""A real Celery worker process for the tests that need one (the Celery, casebook and fault
tests): the same command line in one place."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start_worker(
    env: dict[str, str], *, pool: str = "solo", concurrency: int | None = None, stderr=None
) -> subprocess.Popen:
    """Start `celery -A trial worker` with `env` (REDIS_URL, DATABASE_URL...); quiet, and
    without the cluster chatter (heartbeat, gossip, mingle) that only slows a lone worker."""
    command = [sys.executable, "-m", "celery", "-A", "trial", "worker", "--pool", pool]
    if concurrency is not None:
        command += ["--concurrency", str(concurrency)]
    command += ["--loglevel", "WARNING", "--without-heartbeat", "--without-gossip"]
    command += ["--without-mingle"]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL if stderr is None else stderr,
    )
