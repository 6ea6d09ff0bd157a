"""The DSMB report: asked for on the oversight page, rendered by the worker's job (run here
in the test's process), downloaded; the command; the data cut-off."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from oversight import actions, pdf, report
from oversight.models import ReportJob, ReportJobStatus
from trial import jobs
from trial.models import ExportLog, Participant


@pytest.fixture(autouse=True)
def no_broker():
    """The job is run by the test itself: nothing is sent to a worker."""
    jobs.mark_down()
    yield
    jobs._state.update(ok=True, checked=0.0)


@pytest.mark.req("P11.10e")
def test_the_report_is_asked_for_rendered_and_downloaded(client, demo):
    manager = User.objects.get(username="datamanager")
    client.force_login(manager)
    cutoff = timezone.localdate() - timedelta(days=30)
    response = client.post(reverse("oversight:report_request"), {"cutoff": cutoff.isoformat()})
    job = ReportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("oversight:report_job", args=[job.pk])
    assert (job.status, job.cutoff, job.requested_by) == (ReportJobStatus.QUEUED, cutoff, manager)
    # Logged as an export when asked for, like every export; finished by the job.
    log = ExportLog.objects.get(kind="dsmb")
    assert job.export_log == log and log.user == manager and log.finished_at is None
    assert log.filters == {"cutoff": cutoff.isoformat()}
    assert log.origin == "oversight page: DSMB report" and log.client_address
    page = client.get(response["Location"])
    assert b'data-testid="report-delayed"' in page.content  # no broker in this test

    assert actions.run_job(job.pk) == "done"
    job.refresh_from_db()
    assert job.status == ReportJobStatus.DONE and job.pages >= 3
    assert job.filename == f"NCT04837885_DSMB_{cutoff:%Y%m%d}.pdf"
    log.refresh_from_db()
    assert log.finished_at is not None and log.row_count == job.pages
    status = client.get(reverse("oversight:report_job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert b'data-testid="report-download"' in status.content
    assert b"hx-get" not in status.content  # finished: no more polling
    download = client.get(reverse("oversight:report_download", args=[job.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert bytes(download.content).startswith(b"%PDF-")
    # A finished job is left alone when its task is delivered again.
    assert actions.run_job(job.pk) == "nothing to do"
    assert ExportLog.objects.filter(kind="dsmb").count() == 1


def test_a_failed_job_is_recorded_and_asked_again(demo, monkeypatch):
    manager = User.objects.get(username="datamanager")
    job = actions.request_report(manager, timezone.localdate())

    def broken(*args, **kwargs):
        raise ValueError("no fonts")

    monkeypatch.setattr(pdf, "render", broken)
    assert actions.run_job(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == ReportJobStatus.FAILED and job.error == "ValueError: no fonts"
    assert job.export_log.finished_at is None  # the export never left
    actions.retry_report(manager, job)
    assert (job.status, job.progress, job.error) == (ReportJobStatus.QUEUED, 0, "")
    monkeypatch.undo()
    assert actions.run_job(job.pk) == "done"
    job.refresh_from_db()
    assert job.export_log.row_count == job.pages > 0


def test_another_person_cannot_see_the_job(client, demo):
    manager = User.objects.get(username="datamanager")
    job = actions.request_report(manager, timezone.localdate())
    client.force_login(User.objects.get(username="monitor"))
    for name in ("oversight:report_job", "oversight:report_download"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert client.post(reverse("oversight:report_retry", args=[job.pk])).status_code == 404


def test_the_report_holds_the_data_as_of_its_cutoff(demo):
    scope = report.scope_for(User.objects.get(username="datamanager"))
    first = Participant.objects.order_by("screening_date").first().screening_date
    html = pdf.html(scope, first - timedelta(days=1))
    assert "0</td>" in html  # nobody screened by then
    assert 'data-cutoff="' + (first - timedelta(days=1)).isoformat() in html
    today = report.context(scope, timezone.localdate(), cutoff=True)
    earlier = report.context(scope, first + timedelta(days=120), cutoff=True)
    assert len(earlier["study"].people) < len(today["study"].people)
    assert all(ae.onset <= first + timedelta(days=120) for ae in earlier["study"].aes)
    assert len(earlier["study"].aes) < len(today["study"].aes)


def test_a_monitors_report_covers_their_sites_only(demo):
    html = pdf.html(report.scope_for(User.objects.get(username="monitor")), timezone.localdate())
    assert "BDX" in html and "TLS" not in html


@pytest.mark.req("P11.10e")
def test_the_command_writes_the_pdf(demo, tmp_path):
    target = tmp_path / "dsmb.pdf"
    call_command("dsmb_report", "--output", str(target), "--cutoff", "2026-01-31")
    assert target.read_bytes().startswith(b"%PDF-")
    log = ExportLog.objects.get(kind="dsmb")
    assert (log.username, log.origin, log.filters) == (
        "system",
        "manage.py dsmb_report",
        {"cutoff": "2026-01-31"},
    )
    assert log.finished_at is not None and log.row_count >= 3
    with pytest.raises(CommandError, match="not a date"):
        call_command("dsmb_report", "--output", str(target), "--cutoff", "31/01/2026")
    with pytest.raises(CommandError, match="future"):
        call_command("dsmb_report", "--output", str(target), "--cutoff", "2999-01-01")
    with pytest.raises(CommandError, match="No such folder"):
        call_command("dsmb_report", "--output", str(tmp_path / "no" / "x.pdf"))
    assert ExportLog.objects.filter(kind="dsmb").count() == 1  # refused ones are not logged


def test_a_future_cutoff_is_refused_by_the_action(demo):
    manager = User.objects.get(username="datamanager")
    with pytest.raises(actions.ActionRefused):
        actions.request_report(manager, date(2999, 1, 1))
    with pytest.raises(actions.ActionRefused):
        actions.request_report(User.objects.get(username="nurse"), timezone.localdate())
