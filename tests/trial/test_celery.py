"""Celery runs against a real broker: the private Redis, and a real worker process."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from tests.celery_worker import start_worker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def worker():
    env = {**os.environ, "REDIS_URL": settings.REDIS_URL}
    proc = start_worker(env, pool="solo", stderr=subprocess.PIPE)
    yield proc
    proc.terminate()
    proc.wait(timeout=20)


def test_a_task_runs_on_a_real_worker_through_the_broker(worker):
    from trial.tasks import ping

    result = ping.delay()
    assert result.get(timeout=60) == "pong"
    assert worker.poll() is None


def test_the_broker_is_the_private_redis_when_no_url_is_given():
    if os.environ.get("REDIS_URL"):
        assert os.environ["REDIS_URL"] == settings.CELERY_BROKER_URL
    else:
        assert settings.CELERY_BROKER_URL.startswith("redis+socket://")
        assert "var/redis" in settings.CELERY_BROKER_URL
