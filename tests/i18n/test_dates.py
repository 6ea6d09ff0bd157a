"""One date style per language on every kind of page, and every timestamp in site time with
its zone named (trial/formats, trial.languages.shown_moment): ISO in English ("2025-11-03",
"2025-11-03 14:05 CET"), day first in French ("03/11/2025", "03/11/2025 14:05 CET")."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from django.utils import translation

from tests.dosing.conftest import c1  # noqa: F401 - a fixture
from trial import actions, review
from trial.languages import shown_date, shown_moment
from trial.models import FormStatus, Site

C1_DAY = date(2025, 11, 3)
STYLE = {
    "en": {
        "day": "2025-11-03",
        "clock": r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}",
        "screening": "2026-03-02",
    },
    "fr": {
        "day": "03/11/2025",
        "clock": r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}",
        "screening": "02/03/2026",
    },
}
ZONE = r" (CET|CEST)"
ENGLISH_MONTHS = r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d"
FRENCH_MONTHS = r"\b(janv|févr|mars|avr|mai|juin|juil|jui|août|sept|oct|nov|déc)[a-zé]*\.?\s+\d"
# A raw ISO instant ("2026-12-06T11:05:00+00:00") or a time to the second.
ISO_MOMENT = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\d{2}:\d{2}:\d{2}"


@pytest.fixture(params=["en", "fr"])
def language(request, bdx) -> str:
    Site.objects.filter(pk=bdx.pk).update(language=request.param)
    return request.param


def text_of(html: str) -> str:
    """What a reader sees: the page without its tags, scripts and styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def times_of(html: str) -> list[str]:
    return re.findall(r"<time [^>]*>([^<]*)</time>", html)


def assert_one_style(html: str, language: str, *, moments: int = 1) -> None:
    """Every <time> in the language's style with its zone named (at least `moments` of
    them), no month name, and in French no ISO date or time left."""
    times = times_of(html)
    assert len(times) >= moments, times
    for shown in times:
        assert re.fullmatch(STYLE[language]["clock"] + ZONE, shown), shown
    text = text_of(html)
    for moment in re.finditer(STYLE[language]["clock"], text):  # every time names its zone
        assert re.match(ZONE, text[moment.end() :]), text[moment.start() : moment.end() + 9]
    assert not re.search(ENGLISH_MONTHS, text), re.search(ENGLISH_MONTHS, text)
    assert not re.search(FRENCH_MONTHS, text, re.I), re.search(FRENCH_MONTHS, text, re.I)
    if language == "fr":
        assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text), re.search(r"\d{4}-\d{2}-\d{2}", text)
    else:
        assert not re.search(r"\b\d{2}/\d{2}/\d{4}\b", text)
    assert not re.search(ISO_MOMENT, text)


def cycle_row(participant) -> FormStatus:
    return participant.forms.get(event="C1", form="CYCLE")


def crf_url(row: FormStatus, name: str) -> str:
    return reverse(name, args=[row.participant.code, row.event, row.form, row.repeat])


def test_the_participant_page(client, nurse, language, c1):  # noqa: F811
    client.force_login(nurse)
    html = client.get(reverse("participant_detail", args=[c1.code])).content.decode()
    assert f"{STYLE[language]['day']}" in text_of(html)  # C1 done on that day
    assert_one_style(html, language, moments=0)


def test_the_crf_form_box_and_its_last_save(client, nurse, language, c1):  # noqa: F811
    client.force_login(nurse)
    html = client.get(crf_url(cycle_row(c1), "crf_edit")).content.decode()
    box = re.search(r'<input [^>]*name="crf-administration_date"[^>]*>', html).group(0)
    assert 'type="text"' in box and f'value="{STYLE[language]["day"]}"' in box
    assert_one_style(html, language)  # "Last saved by ... on <time>"


def test_history_shows_stored_dates_and_times_in_the_readers_style(
    client,
    nurse,
    language,
    c1,  # noqa: F811
):
    client.force_login(nurse)
    html = client.get(crf_url(cycle_row(c1), "crf_history")).content.decode()
    assert STYLE[language]["day"] in text_of(html)  # the stored administration date
    assert_one_style(html, language)


def test_the_audit_review_is_in_site_time_with_the_zone_named(
    client,
    monitor,
    language,
    c1,  # noqa: F811
):
    client.force_login(monitor)
    html = client.get(reverse("audit_review"), {"participant": c1.code}).content.decode()
    assert STYLE[language]["screening"] in text_of(html)  # the screening date, as a value
    assert_one_style(html, language)


def test_a_query_page(client, nurse, monitor, language, c1):  # noqa: F811
    query = actions.open_query(
        monitor, cycle_row(c1), item="administration_date", text="Please check the day."
    )
    client.force_login(nurse)
    html = client.get(reverse("query_detail", args=[c1.code, query.pk])).content.decode()
    assert_one_style(html, language)


def test_stored_values_of_the_review_are_read_in_site_time():
    field = FormStatus._meta.get_field("updated_at")
    with translation.override("fr"):
        shown = review.shown_value(field, "2026-07-06T12:05:00+00:00", None)
        assert shown == "06/07/2026 14:05 CEST"
        assert review.shown_value(None, "1951-10-26") == "26/10/1951"
    with translation.override("en"):
        assert review.shown_value(None, "1951-10-26") == "1951-10-26"
        assert review.shown_value(None, "not a date") == "not a date"


def test_a_zone_without_a_name_is_written_as_an_offset():
    moment = datetime(2026, 7, 6, 13, 5, tzinfo=UTC)
    with translation.override("en"):
        assert shown_moment(moment, "America/Sao_Paulo") == "2026-07-06 10:05 UTC-03"
        assert shown_moment(moment, "Europe/Paris") == "2026-07-06 15:05 CEST"
    with translation.override("fr"):
        assert shown_moment(moment, "Europe/Paris") == "06/07/2026 15:05 CEST"
        assert shown_date(date(2026, 7, 6)) == "06/07/2026"


def test_english_never_reads_a_date_the_american_way():
    from django import forms

    with translation.override("en"):
        field = forms.DateField()
        assert field.clean("2026-12-01") == date(2026, 12, 1)
        for ambiguous in ("01/12/2026", "12/01/26", "Dec 1 2026"):
            with pytest.raises(forms.ValidationError):
                field.clean(ambiguous)
    with translation.override("fr"):
        assert forms.DateField().clean("01/12/2026") == date(2026, 12, 1)
        assert forms.DateField().clean("2026-12-01") == date(2026, 12, 1)
        with pytest.raises(forms.ValidationError):
            forms.DateField().clean("01/12/26")  # 1926 or 2026: never guessed


def test_the_participant_list(client, nurse, language, c1):  # noqa: F811
    client.force_login(nurse)
    html = client.get(reverse("participant_list")).content.decode()
    assert re.search(STYLE[language]["clock"].split(" ")[0], text_of(html))  # next due
    assert_one_style(html, language, moments=0)


def test_a_form_pdf_follows_the_readers_style(language, c1):  # noqa: F811
    from trial import pdf

    now = datetime(2026, 7, 6, 13, 5, tzinfo=UTC)
    with translation.override(language):
        html = pdf.form_html(cycle_row(c1), now=now)
    text = text_of(html)
    generated = {"en": "2026-07-06 15:05 CEST", "fr": "06/07/2026 15:05 CEST"}[language]
    assert generated in text and STYLE[language]["day"] in text
    assert_one_style(html, language, moments=0)
