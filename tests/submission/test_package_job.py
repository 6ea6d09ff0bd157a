"""The SDTM package on the exports page: only data managers see and ask for it; the request
is logged at once; the worker's job builds it (here run in the test's process, the browser
test runs a real worker); the page shows the progress, the failure, or the zip."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse

from submission import actions, package
from submission.models import PackageJob, PackageJobStatus
from tests.conftest import make_user
from trial import jobs, roles
from trial.models import ExportLog


@pytest.fixture(autouse=True)
def no_broker():
    """The job is run by the test itself: nothing is sent to a worker."""
    jobs.mark_down()
    yield
    jobs._state.update(ok=True, checked=0.0)


def _client(client, user):
    client.force_login(user)
    return client


def test_the_exports_page_offers_the_package_to_data_managers_only(client, demo):
    from django.contrib.auth.models import User

    page = _client(client, User.objects.get(username="datamanager")).get(reverse("exports"))
    assert b'data-testid="sdtm-form"' in page.content
    client.logout()
    page = _client(client, User.objects.get(username="monitor")).get(reverse("exports"))
    assert page.status_code == 200 and b'data-testid="sdtm-form"' not in page.content


def test_a_monitor_cannot_ask_for_it(client, demo):
    from django.contrib.auth.models import User

    monitor = User.objects.get(username="monitor")
    response = _client(client, monitor).post(reverse("submission:package_request"), {})
    assert response.status_code == 404
    assert not PackageJob.objects.exists() and not ExportLog.objects.filter(kind="sdtm").exists()


def test_the_package_is_asked_for_built_and_downloaded(client, demo):
    from django.contrib.auth.models import User

    manager = User.objects.get(username="datamanager")
    response = _client(client, manager).post(reverse("submission:package_request"), {"site": "TLS"})
    job = PackageJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("submission:package_job", args=[job.pk])
    log = ExportLog.objects.get(kind="sdtm")
    assert job.export_log == log and log.filters == {"site": "TLS"} and log.finished_at is None
    page = client.get(response["Location"])
    assert page.status_code == 200 and b'data-status="queued"' in page.content
    assert b"package-delayed" in page.content  # the broker is down in this test

    assert actions.run_job(job.pk) == "done"
    assert actions.run_job(job.pk) == "nothing to do"  # a redelivered task
    job.refresh_from_db()
    assert job.status == PackageJobStatus.DONE and job.progress == 100
    assert job.filename.startswith("NCT04837885_SDTM_TLS_") and job.filename.endswith(".zip")
    log.refresh_from_db()
    assert log.finished_at is not None and log.row_count == job.total_records > 0
    page = client.get(reverse("submission:package_job", args=[job.pk]))
    assert b'data-testid="package-download"' in page.content and b"XD" in page.content
    download = client.get(reverse("submission:package_download", args=[job.pk]))
    assert download["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert {"dm.json", "dm.xpt", "xd.json", "define.xml", "blankcrf.pdf"} <= set(names)


def test_another_data_manager_cannot_read_someone_elses_job(client, demo):
    from django.contrib.auth.models import User

    manager = User.objects.get(username="datamanager")
    job = actions.request_package(manager, "BDX")
    other = make_user("dora", roles.DATA_MANAGER)
    _client(client, other)
    for name in ("package_job", "package_download"):
        assert client.get(reverse(f"submission:{name}", args=[job.pk])).status_code == 404
    assert client.post(reverse("submission:package_retry", args=[job.pk])).status_code == 404


def test_an_unknown_site_is_refused_without_a_job(client, demo):
    from django.contrib.auth.models import User

    manager = User.objects.get(username="datamanager")
    response = _client(client, manager).post(reverse("submission:package_request"), {"site": "X"})
    assert response.status_code == 404 and not PackageJob.objects.exists()


def test_a_failed_build_is_shown_and_can_be_asked_again(client, demo, monkeypatch):
    from django.contrib.auth.models import User

    manager = User.objects.get(username="datamanager")
    job = actions.request_package(manager, "TLS")

    def broken(scope, directory, **options):
        return package.Result(directory, {"DM": 1}, [], ["dm.json: records says 2"])

    monkeypatch.setattr(package, "build", broken)
    assert actions.run_job(job.pk) == "failed"
    page = _client(client, manager).get(reverse("submission:package_job", args=[job.pk]))
    assert b'data-testid="package-error"' in page.content and b"records says 2" in page.content
    assert client.get(reverse("submission:package_download", args=[job.pk])).status_code == 404
    response = client.post(reverse("submission:package_retry", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == PackageJobStatus.QUEUED and job.error == ""
