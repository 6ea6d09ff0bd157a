"""The PDFs: a filled form with its signature manifestation, the casebook archived as
PDF/A-3b with its data attached, the blank book, and the job around them."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from eligibility import actions as eligibility_actions
from tests.conftest import PASSWORD
from tests.eligibility.helpers import eligible_participant
from tests.jobs.pdftools import inflated, layout_text, pdf_text
from trial import pdf
from trial.models import PdfJob, PdfJobStatus, PdfKind


@pytest.fixture
def signed(nurse, investigator, bdx):
    participant = eligible_participant(nurse, bdx)
    eligibility_actions.sign_eligibility(investigator, PASSWORD, participant, decision="eligible")
    participant.refresh_from_db()
    return participant


def text_of(content: bytes, html: str) -> str:
    text = pdf_text(content)
    return text if text is not None else layout_text(html)


@pytest.mark.req("P11.10b", "A11.8")
def test_a_filled_form_shows_items_units_status_and_the_signature(signed):
    row = signed.forms.get(event="SCR", form="DEMOG")
    rendered = pdf.form_pdf(row)
    assert rendered.content.startswith(b"%PDF-") and rendered.pages >= 1
    text = " ".join(text_of(rendered.content, pdf.form_html(row)).split())
    assert signed.code in text and "NCT04837885" in text
    assert "Height" in text and "165" in text and "cm" in text and "kg" in text
    assert "Complete" in text
    # 21 CFR 11.50: printed name, date and time, meaning; and the verification.
    assert "Ivan Investigator" in text
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", text)
    assert "Meaning" in text and "eligib" in text.lower()
    assert "Verified: seal and signed content intact" in text
    assert re.search(r"Page 1 of \d+", text)


@pytest.mark.req("A11.8")
def test_the_casebook_is_pdf_a_3b_with_the_data_attached(signed):
    rendered = pdf.casebook_pdf(signed)
    raw = inflated(rendered.content)
    assert b"/EmbeddedFile" in raw
    assert f"{signed.code}_casebook-data.json".encode() in raw
    assert f"{signed.code}_odm-transactional.xml".encode() in raw
    assert re.search(rb"pdfaid:part(>|=\")3", raw)
    assert re.search(rb"pdfaid:conformance(>|=\")B", raw)
    assert b"/Outlines" in raw  # bookmarks
    assert b"+DejaVu-Sans" in raw  # embedded (subset) fonts with the French accents
    assert rendered.pages > 5


def test_the_casebook_attachment_is_the_snapshot(signed):
    html, payload, rows = pdf.casebook_html(signed)
    assert payload["participant"] == signed.code
    demog = next(f for f in payload["forms"] if f["form"] == "DEMOG")
    assert demog["values"]["height_cm"] == "165.0" or demog["values"]["height_cm"]
    json.dumps(payload)
    # Journey order: screening before the cycles' events, logs last.
    events = [r.event for r in rows]
    assert events.index("SCR") < events.index("C2") < events.index("ELIG")
    text = layout_text(html)
    for heading in ("Contents", "Forms", "Charts", "Signatures", "Appendix: audit trail"):
        assert heading in text
    assert "Ivan Investigator" in text


def test_the_blank_book_has_every_registered_form_empty():
    from trial import crf

    html = pdf.blank_html()
    text = layout_text(html)
    for code in crf.REGISTRY:
        assert code in text
    rendered = pdf.blank_book_pdf()
    assert rendered.pages > len(crf.REGISTRY) // 2


def test_a_failed_job_shows_its_error_and_can_be_asked_again(signed, nurse_client, monkeypatch):
    monkeypatch.setattr("trial.jobs.enqueue", lambda task, *args: False)
    response = nurse_client.post(reverse("pdf_request", args=["casebook"]), {"code": signed.code})
    job = PdfJob.objects.get()
    assert response.status_code == 302 and job.kind == PdfKind.CASEBOOK
    page = nurse_client.get(reverse("pdf_job", args=[job.pk])).content.decode()
    assert 'data-status="queued"' in page and "hx-trigger" in page  # polled until finished

    def boom(*args, **kwargs):
        raise ValueError("no fonts")

    monkeypatch.setattr(pdf, "casebook_pdf", boom)
    assert pdf.run_job(job.pk) == "failed"
    page = nurse_client.get(reverse("pdf_job", args=[job.pk])).content.decode()
    assert "ValueError: no fonts" in page
    monkeypatch.undo()
    monkeypatch.setattr("trial.jobs.enqueue", lambda task, *args: True)
    nurse_client.post(reverse("pdf_retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == PdfJobStatus.QUEUED and job.error == ""
    assert pdf.run_job(job.pk) == "done"
    assert pdf.run_job(job.pk) == "nothing to do"  # a redelivered task does nothing
    download = nurse_client.get(reverse("pdf_download", args=[job.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert (
        b"".join(download.streaming_content if download.streaming else [download.content])[:5]
        == b"%PDF-"
    )


def test_another_site_cannot_see_the_job(signed, nurse_client, client, tls_nurse, monkeypatch):
    monkeypatch.setattr("trial.jobs.enqueue", lambda task, *args: True)
    nurse_client.post(reverse("pdf_request", args=["casebook"]), {"code": signed.code})
    job = PdfJob.objects.get()
    client.force_login(tls_nurse)
    assert client.get(reverse("pdf_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("pdf_download", args=[job.pk])).status_code == 404


def test_the_command_writes_the_casebook(signed, tmp_path):
    from django.core.management import call_command

    out = tmp_path / "book.pdf"
    call_command("render_casebook", signed.code, "--output", str(out))
    assert out.read_bytes().startswith(b"%PDF-")


def test_the_casebook_carries_the_imaging_and_follow_up_charts(demo):
    # `demo`: seed_demo --participants 18 --seed 7, run once for the session (tests/conftest.py).
    from followup.models import RecistAssessment
    from imaging.models import Dosimetry
    from trial.pdf import casebook_html

    dosed = Dosimetry.objects.filter(points__isnull=False).first().form_status.participant
    html, _payload, _rows = casebook_html(dosed)
    assert "Enhancement ratios (IAH / IV SUVmax)" in html
    assert "Time-activity curves (SPECT/CT)" in html
    followed = RecistAssessment.objects.filter(sum_mm__isnull=False).first().form_status.participant
    html, _payload, _rows = casebook_html(followed)
    assert "RECIST 1.1: sum of diameters" in html
    assert html.count("<svg") >= 1
