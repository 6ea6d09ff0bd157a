"""A nurse asks for a casebook from the participant page; a real Celery worker renders it
through the private Redis; the page shows the progress, then the download."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import expect

from tests.celery_worker import start_worker
from tests.eligibility import helpers as h

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]


def _test_database_url() -> str:
    base = os.environ.get("DATABASE_URL")
    if not base:
        from trial import embedded

        base = embedded.postgres_url()
    return urlunsplit(urlsplit(base)._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.fixture
def worker(db):
    env = {**os.environ, "REDIS_URL": settings.REDIS_URL, "DATABASE_URL": _test_database_url()}
    proc = start_worker(env, pool="solo")
    yield proc
    proc.terminate()
    proc.wait(timeout=30)


def test_a_casebook_is_asked_for_and_downloaded_when_ready(login, live_server, nurse, bdx, worker):
    participant = h.eligible_participant(nurse, bdx)
    page = login(nurse)
    page.goto(f"{live_server.url}/p/{participant.code}/")
    page.get_by_test_id("casebook-pdf").click()
    status = page.get_by_test_id("pdf-status")
    expect(status).to_be_visible()
    download_link = page.get_by_test_id("pdf-download")
    expect(download_link).to_be_visible(timeout=120_000)
    with page.expect_download() as info:
        download_link.click()
    path = info.value.path()
    assert Path(path).read_bytes()[:5] == b"%PDF-"
    assert info.value.suggested_filename == f"{participant.code}_casebook.pdf"
