"""Each person reads the EDC in their language: their own choice, else their site's (BDX and
TLS are French), else English. Numbers follow it (7,4 GBq), typed with a comma or a dot."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from dosing.models import CycleAdministration
from followup import charts as followup_charts
from imaging import charts as imaging_charts
from tests.conftest import make_user
from tests.dosing.conftest import c1, cycle, post_data  # noqa: F401 - c1 is a fixture
from tests.jobs.test_reminders import LAST_DAY, cycled, people  # noqa: F401 - fixtures
from trial import actions, languages, pdf, reminders, roles
from trial.models import PdfJob, PdfKind, Site

C2_DAY = date(2025, 11, 3) + timedelta(weeks=8)


@pytest.fixture
def french_bdx(bdx):
    Site.objects.filter(pk=bdx.pk).update(language="fr")
    bdx.refresh_from_db()
    return bdx


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]*)"', response.content.decode()).group(1)


# --- Which language ------------------------------------------------------------------------


def test_the_choice_comes_first_then_the_site_then_the_default(nurse, bdx, tls, settings):
    assert languages.language_of(nurse) == "en"  # a site created without one: English
    Site.objects.filter(pk=bdx.pk).update(language="fr")
    assert languages.language_of(nurse) == "fr"
    actions.set_language(nurse, "en")
    assert languages.language_of(nurse) == "en"
    actions.set_language(nurse, "")  # "from my site"
    assert languages.language_of(nurse) == "fr"
    # Several sites disagreeing: the first by code.
    both = make_user("bob", roles.MONITOR, tls, bdx)
    assert languages.language_of(both) == "fr"
    Site.objects.filter(pk=bdx.pk).update(language="en")
    Site.objects.filter(pk=tls.pk).update(language="fr")
    assert languages.language_of(both) == "en"
    # Nobody's site: the settings' language.
    settings.LANGUAGE_CODE = "fr"
    assert languages.language_of(make_user("nosite", roles.MONITOR)) == "fr"
    assert languages.languages_of([nurse.pk, both.pk, 0]) == {nurse.pk: "en", both.pk: "en"}


def test_an_unknown_language_is_refused(nurse):
    with pytest.raises(actions.ActionRefused):
        actions.set_language(nurse, "de")


def test_the_login_page_follows_the_browser(client):
    assert html_lang(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")) == "fr"
    assert html_lang(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")) == "en"


def test_a_french_nurse_reads_french_pages_whatever_the_browser(client, nurse, french_bdx):
    client.force_login(nurse)
    response = client.get(reverse("participant_list"), HTTP_ACCEPT_LANGUAGE="en-US")
    assert html_lang(response) == "fr"
    assert response["Content-Language"] == "fr"


def test_a_page_costs_no_query_for_the_language(client, nurse, french_bdx):
    client.force_login(nurse)  # resolved here, at login
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("participant_list"))
    assert html_lang(response) == "fr"
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "trial_userpreference" not in sql
    # The list reads its participants with their site (all its columns, the language among
    # them); no query is there to find the language.
    assert not [
        q["sql"]
        for q in queries.captured_queries
        if '"language"' in q["sql"] and "trial_participant" not in q["sql"]
    ]


def test_the_profile_choice_is_audited_and_shows_on_the_next_page(client, nurse, french_bdx):
    client.force_login(nurse)
    page = client.get(reverse("profile")).content.decode()
    with translation.override("fr"):  # the page is in the nurse's site's language
        from_site = translation.gettext("From my site (%(language)s)") % {"language": "Français"}
    assert from_site != "From my site (Français)" and from_site in page
    assert '<option value="en">English</option>' in page

    response = client.post(reverse("profile"), {"language": "en"})
    assert response.status_code == 302
    assert html_lang(client.get(reverse("participant_list"))) == "en"
    UserPreferenceEvent = apps.get_model("trial", "UserPreferenceEvent")
    event = UserPreferenceEvent.objects.filter(pgh_obj__user=nurse).latest("pgh_id")
    assert event.language == "en"
    meta = event.edc_context
    assert (meta["username"], meta["command"], meta["url"]) == (
        "alice",
        "set_language",
        reverse("profile"),
    )

    client.post(reverse("profile"), {"language": ""})
    assert html_lang(client.get(reverse("participant_list"))) == "fr"
    # The reminder choice is its own form, and leaves the language alone.
    client.post(reverse("profile"), {})
    assert html_lang(client.get(reverse("participant_list"))) == "fr"


def test_a_language_not_offered_is_an_error_on_the_profile(client, nurse):
    client.force_login(nurse)
    response = client.post(reverse("profile"), {"language": "xx"})
    assert response.status_code == 200
    assert response.context["language_form"].errors["language"]


# --- Numbers -------------------------------------------------------------------------------


def cycle_url(participant) -> str:
    return reverse("crf_edit", args=[participant.code, "C2", "CYCLE", 1])


def post_cycle(client, participant, **values):
    data = {"version": "0", "save_complete": "", **post_data(cycle(C2_DAY, **values))}
    return client.post(cycle_url(participant), data)


def test_a_french_nurse_types_a_decimal_comma(client, nurse, french_bdx, c1):  # noqa: F811
    client.force_login(nurse)
    page = client.get(cycle_url(c1)).content.decode()
    box = re.search(r'<input type="([a-z]+)" name="crf-administered_gbq"[^>]*>', page)
    assert box.group(1) == "text" and 'inputmode="decimal"' in box.group(0)

    response = post_cycle(client, c1, prescribed_gbq="7,4", administered_gbq="7,4")
    assert response.status_code == 302, response.context["form"].errors
    saved = CycleAdministration.objects.get(form_status__participant=c1, form_status__event="C2")
    assert (saved.prescribed_gbq, saved.administered_gbq) == (Decimal("7.4"), Decimal("7.4"))

    page = client.get(cycle_url(c1)).content.decode()
    assert html_lang_of(page) == "fr"
    assert re.search(r'name="crf-administered_gbq" value="7,4[0]*"', page)


def html_lang_of(page: str) -> str:
    return re.search(r'<html lang="([^"]*)"', page).group(1)


def test_a_french_nurse_may_still_type_a_dot(client, nurse, french_bdx, c1):  # noqa: F811
    client.force_login(nurse)
    assert post_cycle(client, c1, administered_gbq="7.4").status_code == 302
    saved = CycleAdministration.objects.get(form_status__participant=c1, form_status__event="C2")
    assert saved.administered_gbq == Decimal("7.4")


def test_an_english_nurse_types_a_dot_and_reads_a_dot(client, nurse, c1):  # noqa: F811
    client.force_login(nurse)
    assert post_cycle(client, c1, administered_gbq="7.4").status_code == 302
    saved = CycleAdministration.objects.get(form_status__participant=c1, form_status__event="C2")
    assert saved.administered_gbq == Decimal("7.4")
    page = client.get(cycle_url(c1)).content.decode()
    assert html_lang_of(page) == "en"
    assert re.search(r'name="crf-administered_gbq" value="7.4[0]*"', page)
    # A comma is no decimal separator in English: refused, not misread.
    response = post_cycle(client, c1, administered_gbq="7,3")
    assert response.status_code == 200
    assert "administered_gbq" in response.context["form"].errors


def date_box(page: str, name: str) -> re.Match:
    return re.search(rf'<input type="([a-z-]+)" name="crf-{name}"[^>]*>', page)


def test_a_french_nurse_types_and_reads_dates_day_first(client, nurse, french_bdx, c1):  # noqa: F811
    # Not the browser's picker, which shows the browser's format (09/28/2026 in an English
    # Chromium, whatever the page's lang): a text box in the French format, said as such.
    client.force_login(nurse)
    box = date_box(client.get(cycle_url(c1)).content.decode(), "administration_date")
    assert box.group(1) == "text"
    assert 'placeholder="jj/mm/aaaa"' in box.group(0) and 'inputmode="numeric"' in box.group(0)

    day = C2_DAY.strftime("%d/%m/%Y")
    assert day[:2] != day[3:5]  # a day and a month that a swap would change
    data = {"version": "0", "save_complete": "", **post_data(cycle(C2_DAY))}
    data["crf-administration_date"] = day
    response = client.post(cycle_url(c1), data)
    assert response.status_code == 302, response.context["form"].errors
    saved = CycleAdministration.objects.get(form_status__participant=c1, form_status__event="C2")
    assert saved.administration_date == C2_DAY

    box = date_box(client.get(cycle_url(c1)).content.decode(), "administration_date")
    assert f'value="{day}"' in box.group(0)
    # An impossible day is an error at the field, with what was typed kept.
    data.update({"version": "1", "crf-administration_date": "31/02/2026"})
    data["change-reason"] = "transcription error"
    response = client.post(cycle_url(c1), data)
    assert response.status_code == 200
    assert "administration_date" in response.context["form"].errors
    assert 'value="31/02/2026"' in response.content.decode()


def test_an_english_nurse_types_iso_dates_never_the_american_way(client, nurse, c1):  # noqa: F811
    # Not the browser's picker either: an en-US Chromium would show 12/04/2026.
    client.force_login(nurse)
    box = date_box(client.get(cycle_url(c1)).content.decode(), "administration_date")
    assert box.group(1) == "text"
    assert 'placeholder="YYYY-MM-DD"' in box.group(0) and 'autocomplete="off"' in box.group(0)

    data = {"version": "0", "save_complete": "", **post_data(cycle(C2_DAY))}
    american = C2_DAY.strftime("%m/%d/%Y")
    data["crf-administration_date"] = american
    response = client.post(cycle_url(c1), data)
    assert response.status_code == 200  # refused, not read month first
    assert "administration_date" in response.context["form"].errors

    data["crf-administration_date"] = C2_DAY.isoformat()
    assert client.post(cycle_url(c1), data).status_code == 302
    saved = CycleAdministration.objects.get(form_status__participant=c1, form_status__event="C2")
    assert saved.administration_date == C2_DAY
    box = date_box(client.get(cycle_url(c1)).content.decode(), "administration_date")
    assert f'value="{C2_DAY.isoformat()}"' in box.group(0)


def test_a_french_date_and_time_is_day_first_too(nurse, french_bdx):
    from eligibility.forms import ConsentForm

    with translation.override("fr"):
        form = ConsentForm(prefix="crf", data={"crf-consent_datetime": "05/03/2026 14:30"})
        html = str(form["consent_datetime"])
        assert 'type="text"' in html and 'placeholder="jj/mm/aaaa hh:mm"' in html
        form.is_valid()
        assert "consent_datetime" not in form.errors
        value = form.cleaned_data["consent_datetime"]
    assert (value.day, value.month, value.hour, value.minute) == (5, 3, 14, 30)
    with translation.override("en"):
        form = ConsentForm(prefix="crf", data={"crf-consent_datetime": "2026-03-05 14:30"})
        html = str(form["consent_datetime"])
        assert 'type="text"' in html and 'placeholder="YYYY-MM-DD hh:mm"' in html
        form.is_valid()
        assert form.cleaned_data["consent_datetime"] == value


def test_a_french_message_shows_numbers_with_a_comma(client, nurse, french_bdx, c1):  # noqa: F811
    client.force_login(nurse)
    response = post_cycle(client, c1, prescribed_gbq="7,4", administered_gbq="7400")
    assert response.status_code == 200
    # "7400 GBq looks like MBq: did you mean 7.4 GBq?", its number in French.
    (message,) = response.context["form"].errors["administered_gbq"]
    assert "7,4 GBq" in message and "7.4" not in message


def test_the_history_page_shows_french_numbers(client, nurse, french_bdx, c1):  # noqa: F811
    client.force_login(nurse)
    row = c1.forms.get(event="C1", form="CYCLE")
    page = client.get(reverse("crf_history", args=[c1.code, "C1", "CYCLE", row.repeat]))
    text = page.content.decode()
    assert "7,3" in text and "7,4" in text  # administered and prescribed GBq


def test_svg_charts_keep_dot_coordinates_for_a_french_reader():
    with translation.override("fr"):
        svg = imaging_charts.ratio_chart([("L1", 3.25), ("L2", 1.5)], threshold=3.0)
        spider = followup_charts.waterfall([("P-001", -42.5, "PR"), ("P-002", 12.5, "PD")])
    coordinates = re.findall(r'\b(?:x|y|x1|x2|y1|y2|cx|cy|width|height)="([^"]*)"', svg)
    assert coordinates and all("," not in c for c in coordinates)
    assert any("." in c for c in coordinates)
    assert 'data-ratio="3.25"' in svg  # machine-readable: a dot
    assert ">3,25</text>" in svg  # the reader's number: a comma
    rects = re.findall(r"<rect ([^>]*)>", spider)
    assert rects and all("," not in value for r in rects for value in re.findall(r'"([^"]*)"', r))
    assert "-42,5 %" in spider


# --- E-mails and PDFs ----------------------------------------------------------------------


def test_the_reminder_e_mail_is_in_each_recipients_language(cycled, people, bdx):  # noqa: F811
    nurse, investigator = people
    Site.objects.filter(pk=bdx.pk).update(language="fr")
    actions.set_language(investigator, "en")
    with translation.override("en"):  # the worker's own language does not matter
        reminders.run(LAST_DAY + timedelta(days=1))
    by_to = {m.to[0]: m for m in mail.outbox}
    french, english = by_to["alice@example.org"], by_to["ivan@example.org"]
    assert "10/03/2026" in french.subject and "2026-03-10" not in french.subject
    assert "2026-03-10" in english.subject
    # The item's details too: the window's last day in the French way.
    assert "09/03/2026" in french.body and "2026-03-09" in english.body


@pytest.fixture
def signed_form(nurse, investigator, bdx):
    from eligibility import actions as eligibility_actions
    from tests.conftest import PASSWORD
    from tests.eligibility.helpers import eligible_participant

    participant = eligible_participant(nurse, bdx)
    eligibility_actions.sign_eligibility(investigator, PASSWORD, participant, decision="eligible")
    return participant.forms.get(event="SCR", form="DEMOG")


def test_a_pdf_for_a_french_reader_is_french(signed_form):
    with translation.override("fr"):
        html = pdf.form_html(signed_form)
    assert '<html lang="fr">' in html
    assert re.search(r"\b\d{2}/\d{2}/\d{4} \d{2}:\d{2}\b", html)  # the signature's time
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", html.split("<body", 1)[1])
    assert re.search(r">\d+,\d+ kg</td>", html)  # the weight, with a decimal comma
    with translation.override("en"):
        english = pdf.form_html(signed_form)
    assert '<html lang="en">' in english and re.search(r"\d{4}-\d{2}-\d{2}", english)


def test_the_pdf_job_renders_in_the_language_of_who_asked(signed_form, nurse, bdx, monkeypatch):
    Site.objects.filter(pk=bdx.pk).update(language="fr")
    seen = []

    def record(row, progress):
        seen.append(translation.get_language())
        return pdf.Rendered(b"%PDF-", 1, "x.pdf")

    monkeypatch.setattr("trial.jobs.enqueue", lambda task, *args: True)
    monkeypatch.setattr(pdf, "form_pdf", record)
    job = actions.request_pdf(
        nurse, PdfKind.FORM, participant=signed_form.participant, row=signed_form
    )
    with translation.override("en"):
        assert pdf.run_job(job.pk) == "done"
    assert seen == ["fr"]
    assert PdfJob.objects.get(pk=job.pk).pages == 1


# --- With the French catalogue: the words themselves -------------------------------------------


def french(msgid: str) -> str:
    """The catalogue's French for `msgid` (which it must have)."""
    with translation.override("fr"):
        text = translation.gettext(msgid)
    assert text != msgid, f"no French for {msgid!r} in the catalogue"
    return text


def test_the_pdf_labels_are_french(signed_form):
    words = [french("Status"), french("Value"), french("Verified: seal and signed content intact")]
    with translation.override("fr"):
        html = pdf.form_html(signed_form)
    for word in words:
        assert word in html
    assert "Verified: seal and signed content intact" not in html


def test_the_reminder_e_mail_words_are_french(cycled, people, bdx):  # noqa: F811
    intro = french("What is due today, by participant:")
    Site.objects.filter(pk=bdx.pk).update(language="fr")
    reminders.run(LAST_DAY + timedelta(days=1))
    body = next(m.body for m in mail.outbox if m.to == ["alice@example.org"])
    assert intro in body and "What is due today" not in body


def test_a_signature_break_mail_goes_out_in_each_investigators_language(
    nurse, investigator, bdx, signed_form, django_capture_on_commit_callbacks, monkeypatch
):
    from tests.eligibility import helpers as h

    Site.objects.filter(pk=bdx.pk).update(language="fr")
    investigator.email = "ivan@example.org"
    investigator.save()
    english = make_user("ines", roles.INVESTIGATOR, bdx)
    english.email = "ines@example.org"
    english.save()
    actions.set_language(english, "en")
    seen = []
    send = mail.send_mail

    def record(subject, body, sender, to):
        seen.append((tuple(to), translation.get_language()))
        return send(subject, body, sender, to)

    monkeypatch.setattr("django.core.mail.send_mail", record)
    with django_capture_on_commit_callbacks(execute=True):
        h.save(
            nurse,
            signed_form.participant,
            "ELIG",
            "LAB",
            {**h.lab_data(), "haemoglobin_g_dl": "10.1"},
        )
    assert sorted(seen) == [(("ines@example.org",), "en"), (("ivan@example.org",), "fr")]
    assert len(mail.outbox) == 2


def test_the_casebook_command_renders_in_the_language_asked(participant, tmp_path, monkeypatch):
    from django.core.management import call_command

    seen = []

    def record(p, **kwargs):
        seen.append(translation.get_language())
        return pdf.Rendered(b"%PDF-", 1, "x.pdf")

    monkeypatch.setattr(pdf, "casebook_pdf", record)
    out = tmp_path / "casebook.pdf"
    call_command("render_casebook", participant.code, "--output", str(out), "--language", "fr")
    call_command("render_casebook", participant.code, "--output", str(out))
    assert seen == ["fr", "en"]


def test_the_audit_review_dates_are_typed_the_readers_way(client, data_manager):
    actions.set_language(data_manager, "fr")
    client.force_login(data_manager)
    url = reverse("audit_review")
    page = client.get(url).content.decode()
    start = re.search(r'<input type="([a-z]+)"[^>]*name="start"[^>]*>', page)
    assert start.group(1) == "text" and 'placeholder="jj/mm/aaaa"' in start.group(0)
    assert client.get(url, {"start": "01/12/2026", "end": "02/12/2026"}).status_code == 200
    assert client.get(url, {"start": "2026-12-01"}).status_code == 200  # ISO still read
    bad = client.get(url, {"start": "31/02/2026"}).content.decode()
    with translation.override("fr"):
        message = translation.gettext("Enter a date as %(format)s.") % {"format": "jj/mm/aaaa"}
    assert message != "Enter a date as jj/mm/aaaa." and message in bad
    assert 'value="31/02/2026"' in bad  # what was typed, kept

    actions.set_language(data_manager, "en")
    client.force_login(data_manager)
    page = client.get(url).content.decode()
    assert re.search(r'<input type="text"[^>]*placeholder="YYYY-MM-DD"[^>]*name="start"', page)
    assert (
        "Enter a date as YYYY-MM-DD." in client.get(url, {"start": "01/12/2026"}).content.decode()
    )
