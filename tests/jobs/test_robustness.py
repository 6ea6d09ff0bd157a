"""Redis down: forms still save, the pages say jobs are delayed, a PDF asked for waits in the
database and is sent again when the broker is back. Tasks are idempotent and retried."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.eligibility import helpers as h
from trial import jobs, tasks
from trial.models import PdfJob, PdfJobStatus


@pytest.fixture
def redis_down(settings, tmp_path):
    settings.CELERY_BROKER_URL = f"redis+socket://{tmp_path}/no-such.sock"
    jobs._state.update(ok=True, checked=0.0)
    yield
    jobs._state.update(ok=True, checked=0.0)


def test_saving_a_form_works_and_the_page_says_jobs_are_delayed(
    redis_down, nurse, nurse_client, participant
):
    h.save(nurse, participant, "SCR", "DEMOG", h.demographics_data())
    row = participant.forms.get(event="SCR", form="DEMOG")
    assert row.status == "complete"
    page = nurse_client.get(reverse("participant_detail", args=[participant.code]))
    assert page.status_code == 200
    assert 'data-testid="jobs-delayed"' in page.content.decode()


def test_a_pdf_asked_for_while_redis_is_down_waits_and_is_sent_again(
    redis_down, nurse_client, participant, settings, monkeypatch
):
    response = nurse_client.post(
        reverse("pdf_request", args=["casebook"]), {"code": participant.code}
    )
    job = PdfJob.objects.get()
    assert response.status_code == 302 and job.status == PdfJobStatus.QUEUED
    page = nurse_client.get(reverse("pdf_job", args=[job.pk])).content.decode()
    assert 'data-testid="pdf-delayed"' in page
    # The broker is back: the beat task sends the stale job again.
    sent = []
    monkeypatch.setattr(jobs, "broker_ok", lambda fresh=False: True)
    monkeypatch.setattr(tasks.render_pdf, "apply_async", lambda args, **kw: sent.append(args))
    PdfJob.objects.filter(pk=job.pk).update(requested_at=job.requested_at.replace(year=2020))
    assert tasks.requeue_pdf_jobs() == 1
    assert sent == [(job.pk,)]


def test_the_broker_is_seen_when_it_is_up():
    assert jobs.broker_ok(fresh=True) is True


def test_tasks_retry_with_back_off():
    assert tasks.send_reminders.autoretry_for == (Exception,)
    assert tasks.send_reminders.retry_backoff and tasks.send_reminders.max_retries
    assert tasks.render_pdf.retry_backoff and tasks.render_pdf.max_retries
