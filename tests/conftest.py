"""Story fixtures: a BDX nurse and investigator who work on BDX participants, a TLS nurse who
must see nothing of BDX, and the other roles. Real PostgreSQL, real objects, no factories."""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test.utils import override_settings

from tests.traceability_plugin import TraceabilityPlugin
from trial import actions, roles
from trial.models import Membership, Site

PASSWORD = "correct-horse-battery"

# The shared demo database (fixture `demo`): what `seed_demo` loads for the tests that only
# read the demo.
DEMO_PARTICIPANTS = 18
DEMO_SEED = 7


def _redis_url_for_worker(url: str, worker: str) -> str:
    """The same Redis, database 1 + the xdist worker's number (0 stays the developer's)."""
    db = 1 + int(re.sub(r"\D", "", worker) or 0) % 15
    if "virtual_host=" in url:
        return re.sub(r"virtual_host=\d*", f"virtual_host={db}", url)
    return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))  # redis://host:6379/<db>


def _separate_the_xdist_workers_queues() -> None:
    """Under pytest-xdist each worker runs its own Celery worker processes (tests/trial/
    test_celery.py, the casebook browser test): on one Redis database they would take each
    other's tasks, and a worker on another test database would fail them. Each xdist worker
    gets its own Redis database, for its broker, results, and the processes it starts."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    url = _redis_url_for_worker(settings.REDIS_URL, worker)
    settings.REDIS_URL = settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = url
    if os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = url
    from trial.celery import app

    app.conf.broker_url = app.conf.result_backend = url


_separate_the_xdist_workers_queues()


@contextmanager
def _connected_to(name: str) -> Iterator[None]:
    """The default connection on database `name` until the block ends."""
    previous = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = name
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = previous


def _clone_database(template: str, name: str) -> None:
    quote = connection.ops.quote_name
    connection.close()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)")
        try:
            cursor.execute(f"CREATE DATABASE {quote(name)} TEMPLATE {quote(template)}")
        except OperationalError:
            # A connection of an earlier test (a live server's thread, a subprocess) still
            # open on the template: it is idle, tests run one at a time.
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                [template],
            )
            cursor.execute(f"CREATE DATABASE {quote(name)} TEMPLATE {quote(template)}")


def _seed_demo(name: str) -> None:
    with _connected_to(name):
        call_command(
            "seed_demo",
            participants=DEMO_PARTICIPANTS,
            seed=DEMO_SEED,
            language="en",
            verbosity=0,
        )
        # The demo's sites are French (BDX, TLS); the tests that read the demo read its pages
        # in English, so its staff chose English and wrote in it (tests/i18n covers French).
        for user in User.objects.all():
            actions.set_language(user, "en")


def _drop_database(name: str) -> None:
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)")


def _shared_demo_name(test_database: str) -> str:
    """The demo seeded once for all the xdist workers: test_edc_gw0 -> test_edc_demo."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"{test_database.removesuffix(f'_{worker}')}_demo"


@pytest.fixture(scope="session")
def demo_database(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[str]:
    """A copy of the (migrated, empty) test database into which `seed_demo --participants 18
    --seed 7` ran: seeding takes 10-30 s, so the tests that only read the demo share it.
    Yields the database's name; dropped at the end of the session.

    Under pytest-xdist the first worker that needs it seeds `test_edc_demo` (a file lock in the
    run's shared temporary directory); every worker then works on its own copy of it."""
    with django_db_blocker.unblock():
        own = connection.settings_dict["NAME"]
        name = f"{own}_demo"
        if not os.environ.get("PYTEST_XDIST_WORKER"):
            _clone_database(own, name)
            _seed_demo(name)
        else:
            shared = _shared_demo_name(own)
            run_dir = tmp_path_factory.getbasetemp().parent
            with open(run_dir / "demo.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not (run_dir / "demo.seeded").exists():
                    _clone_database(own, shared)
                    _seed_demo(shared)
                    (run_dir / "demo.seeded").touch()
                _clone_database(shared, name)
    yield name
    with django_db_blocker.unblock():
        _drop_database(name)


def pytest_configure(config):
    # Requirements traced to tests (docs/requirements.toml, `@pytest.mark.req`).
    config.pluginmanager.register(TraceabilityPlugin(), "traceability")


def pytest_sessionfinish(session):
    # The xdist controller drops the demo its workers shared (they may finish in any order).
    config = session.config
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return
    from pytest_django.plugin import blocking_manager_key

    test_database = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if test_database and blocking_manager_key in config.stash:
        with config.stash[blocking_manager_key].unblock():
            _drop_database(_shared_demo_name(test_database))
            connection.close()


@pytest.fixture
def _on_demo_database(demo_database, django_db_blocker) -> Iterator[None]:
    if connection.in_atomic_block:
        raise RuntimeError("Ask for `demo` before `db` (or the django_db mark): see `demo`.")
    with django_db_blocker.unblock(), _connected_to(demo_database):
        yield


@pytest.fixture
def demo(_on_demo_database, db) -> None:
    """The test runs on the shared demo database (`demo_database`), inside a transaction rolled
    back after it like any `db` test, so whatever it writes is gone for the next one.

    The connection moves to the demo database before `db` opens its transaction and comes
    back after `db` rolled it back: a test using it asks for `demo`, not for `db` and without
    the django_db mark."""


@pytest.fixture(autouse=True, scope="session")
def quick_password_hashing():
    """Argon2 at a test cost (tests/hashers.py); production's cost is tested in a subprocess."""

    hashers = [
        "tests.hashers.QuickArgon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    with override_settings(PASSWORD_HASHERS=hashers):
        yield


@pytest.fixture
def bdx(db) -> Site:
    return Site.objects.create(code="BDX", name="CHU de Bordeaux")


@pytest.fixture
def tls(db) -> Site:
    return Site.objects.create(code="TLS", name="CHU de Toulouse")


def make_user(username: str, role: str, *sites: Site, first: str = "", last: str = "") -> User:
    user = User.objects.create_user(
        username, password=PASSWORD, first_name=first or username.title(), last_name=last or "Test"
    )
    user.groups.add(Group.objects.get(name=role))
    for site in sites:
        Membership.objects.create(user=user, site=site)
    return user


@pytest.fixture
def nurse(bdx) -> User:
    return make_user("alice", roles.NURSE, bdx, first="Alice", last="Nurse")


@pytest.fixture
def investigator(bdx) -> User:
    return make_user("ivan", roles.INVESTIGATOR, bdx, first="Ivan", last="Investigator")


@pytest.fixture
def monitor(bdx) -> User:
    return make_user("mona", roles.MONITOR, bdx)


@pytest.fixture
def data_manager(bdx) -> User:
    return make_user("dana", roles.DATA_MANAGER, bdx)


@pytest.fixture
def administrator(bdx) -> User:
    return make_user("adam", roles.ADMINISTRATOR, bdx)


@pytest.fixture
def tls_nurse(tls) -> User:
    return make_user("charlie", roles.NURSE, tls)


@pytest.fixture
def participant(nurse, bdx):
    return actions.register_participant(nurse, bdx, date(2026, 3, 2))


@pytest.fixture
def tls_participant(tls_nurse, tls):
    return actions.register_participant(tls_nurse, tls, date(2026, 3, 9))


@pytest.fixture
def nurse_client(client, nurse):
    client.force_login(nurse)
    return client


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Each test starts in the default language: a test that activated French (a request by
    a French user, an override left open) must not turn the next test's messages French."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def no_csp_violation(request):
    """Every browser test fails if the page broke the Content-Security-Policy (settings.py):
    Chromium reports each refused inline script, style or eval on the console."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    violations: list[str] = []

    def watch(message) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", watch)
    yield
    assert not violations, "\n".join(violations)
