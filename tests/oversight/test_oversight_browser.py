"""The oversight page in Chromium: a data manager reads the indicators and follows one to its
participants, types a wrong cut-off and then a right one; a real Celery worker makes the DSMB
report, whose progress the page shows, then the PDF to download. The monitor sees one site."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
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


def _person(username: str) -> User:
    user = User.objects.get(username=username)
    user.set_password(PASSWORD)
    user.save()
    actions.set_language(user, "en")
    return user


def test_the_oversight_page_and_the_dsmb_report(login, live_server, worker, output_path):
    call_command("seed_demo", "--participants", "6", "--seed", "3", "--language", "en", verbosity=0)
    shots = Path(output_path)
    page = login(_person("datamanager"))
    page.get_by_test_id("nav-oversight").click()
    indicators = page.get_by_test_id("indicators")
    expect(indicators).to_be_visible()
    for site in ("BDX", "TLS", "study"):
        expect(indicators.locator(f'td[data-site="{site}"]').first).to_be_visible()
    expect(page.get_by_test_id("pfs")).to_be_visible()
    expect(page.get_by_test_id("slots")).to_contain_text("of 10")
    page.screenshot(path=str(shots / "oversight.png"), full_page=True)

    # The participants behind the study's adverse-event rate, each a link to their page.
    rate = page.locator('tr[data-indicator="ae_rate"] td[data-site="study"]')
    rate.get_by_test_id("behind").click()
    first = page.get_by_test_id("behind-list").get_by_role("link").first
    code = first.inner_text()
    first.click()
    expect(page).to_have_url(f"{live_server.url}/p/{code}/")
    page.go_back()
    page.go_back()

    # A cut-off in the future: refused beside the box, the date kept.
    form = page.get_by_test_id("dsmb-form")
    form.get_by_label("Data cut-off").fill("2999-01-01")
    form.get_by_role("button", name="DSMB report (PDF)").click()
    expect(page.get_by_test_id("cutoff-error")).to_contain_text("cannot be in the future")
    expect(page.get_by_test_id("dsmb-form").get_by_label("Data cut-off")).to_have_value(
        "2999-01-01"
    )
    # Today: the worker makes it, the page follows its progress, then offers the PDF.
    today = timezone.localdate().isoformat()
    page.get_by_test_id("dsmb-form").get_by_label("Data cut-off").fill(today)
    page.get_by_test_id("dsmb-form").get_by_role("button", name="DSMB report (PDF)").click()
    expect(page.get_by_test_id("report-status")).to_be_visible()
    download_link = page.get_by_test_id("report-download")
    expect(download_link).to_be_visible(timeout=120_000)
    page.screenshot(path=str(shots / "dsmb-ready.png"), full_page=True)
    with page.expect_download() as info:
        download_link.click()
    target = shots / "dsmb.pdf"
    info.value.save_as(target)
    assert target.read_bytes().startswith(b"%PDF-")

    # The monitor: one site.
    page.get_by_role("button", name="Log out").click()
    page = login(_person("monitor"))
    page.goto(f"{live_server.url}/oversight/")
    expect(page.get_by_test_id("indicators").locator('td[data-site="BDX"]').first).to_be_visible()
    expect(page.get_by_test_id("indicators").locator('td[data-site="TLS"]')).to_have_count(0)
    page.screenshot(path=str(shots / "oversight-monitor.png"), full_page=True)
