"""A data manager asks for the SDTM package on the exports page; a real Celery worker builds
it through the private Redis; the page shows the progress, then the zip to download."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from playwright.sync_api import expect

from tests.celery_worker import start_worker
from tests.conftest import PASSWORD
from trial import actions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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


def test_the_package_is_built_with_progress_and_downloaded(login, live_server, worker, output_path):
    call_command("seed_demo", "--participants", "4", "--seed", "3", "--language", "en", verbosity=0)
    manager = User.objects.get(username="datamanager")
    manager.set_password(PASSWORD)
    manager.save()
    actions.set_language(manager, "en")
    page = login(manager)
    page.goto(f"{live_server.url}/exports/")
    page.screenshot(path=str(Path(output_path) / "exports.png"), full_page=True)
    form = page.get_by_test_id("sdtm-form")
    form.get_by_label("Site").select_option("BDX")
    form.get_by_role("button", name="Build the SDTM package").click()
    status = page.get_by_test_id("package-status")
    expect(status).to_be_visible()
    page.screenshot(path=str(Path(output_path) / "package-progress.png"), full_page=True)
    download_link = page.get_by_test_id("package-download")
    expect(download_link).to_be_visible(timeout=120_000)
    expect(page.get_by_test_id("package-records")).to_contain_text("DM")
    shot = Path(output_path) / "package-ready.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    with page.expect_download() as info:
        download_link.click()
    content = Path(info.value.path()).read_bytes()
    names = set(zipfile.ZipFile(io.BytesIO(content)).namelist())
    assert {"dm.json", "dm.xpt", "define.xml", "rs.json", "xe.xpt"} <= names
    assert info.value.suggested_filename.startswith("NCT04837885_SDTM_BDX_")
