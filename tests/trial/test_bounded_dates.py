"""Issue 9: every CRF date and date-time accepts plausible years only, and a value stored out of
Python's range before that still shows, so it can be corrected."""

from __future__ import annotations

from datetime import date

import pytest
from django import forms
from django.db import connection
from django.urls import reverse
from django.utils import timezone

import trial.forms
from trial import crf as crf_registry
from trial import schedule
from trial.models import FormStatus

pytestmark = pytest.mark.django_db

NEXT_YEAR = timezone.localdate().year + 1
MESSAGE = f"Enter a year between 1900 and {NEXT_YEAR}."
BAD = {
    forms.DateField: ("0001-01-01", "9999-12-31", "1899-12-31", f"{NEXT_YEAR + 1}-01-01"),
    forms.DateTimeField: (
        "0001-01-01T00:05",
        "9999-12-31T23:59",
        "1899-12-31T23:59",
        f"{NEXT_YEAR + 1}-01-01T00:00",
    ),
}


def _event_of(form: str) -> str:
    if form in schedule.LOG_FORMS:
        return schedule.LOG_EVENT
    return next(e.code for e in schedule.EVENTS if form in e.forms)


def _date_fields(form_class) -> list[tuple[str, type]]:
    fields = []
    for name, field in form_class.base_fields.items():
        for kind in BAD:
            if isinstance(field, kind):
                fields.append((name, kind))
    return fields


def test_every_registered_form_is_a_crf_form_with_dates():
    assert crf_registry.REGISTRY
    for code, spec in crf_registry.REGISTRY.items():
        assert issubclass(spec.form_class, trial.forms.CrfForm), code
    # The walk below covers date-times (consent, AE) as well as dates.
    kinds = {
        kind for spec in crf_registry.REGISTRY.values() for _, kind in _date_fields(spec.form_class)
    }
    assert kinds == set(BAD)


@pytest.mark.req("A11.6")
def test_implausible_years_in_every_date_of_every_form_get_a_message(nurse_client, participant):
    checked = 0
    for code, spec in sorted(crf_registry.REGISTRY.items()):
        fields = _date_fields(spec.form_class)
        if not fields:
            continue
        row, _ = FormStatus.objects.get_or_create(
            participant=participant, event=_event_of(code), form=code, repeat=1
        )
        url = reverse("crf_edit", args=[participant.code, row.event, row.form, row.repeat])
        for name, kind in fields:
            for value in BAD[kind]:
                response = nurse_client.post(
                    url, {"version": str(row.version), "save_draft": "", f"crf-{name}": value}
                )
                where = (code, name, value)
                assert response.status_code == 200, where
                errors = response.context["form"].errors.get(name, [])
                assert MESSAGE in errors, (where, errors)
                checked += 1
        row.refresh_from_db()
        assert row.version == 0, code  # nothing saved
    assert checked >= 8


def test_plausible_limits_are_accepted():
    trial.forms.plausible_year(date(1900, 1, 1))
    trial.forms.plausible_year(date(NEXT_YEAR, 12, 31))
    trial.forms.plausible_year(None)
    with pytest.raises(forms.ValidationError, match=MESSAGE):
        trial.forms.plausible_year(date(1899, 12, 31))


def _typed(moment) -> str:
    # strftime does not pad year 1 to four digits; the datetime-local input does.
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M}"


@pytest.mark.parametrize(
    ("stored", "shown_year"),
    [
        # 0001-01-01T00:05 Europe/Paris (+00:09:21) is before year 1 in UTC.
        ("0001-01-01 00:05:00+00:09:21", 1),
        ("10000-01-01 00:00:00+00", 9999),
        ("-infinity", 1),
    ],
)
def test_a_consent_stored_out_of_range_still_shows_and_can_be_corrected(
    nurse, nurse_client, participant, stored, shown_year
):
    from eligibility.models import Consent

    row = participant.forms.get(event="SCR", form="CONSENT")
    Consent.objects.create(form_status=row, form_version="2.1", copy_given=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE eligibility_consent SET consent_datetime = %s::timestamptz "
            "WHERE form_status_id = %s",
            [stored, row.pk],
        )
    consent = Consent.objects.get(form_status=row)
    assert consent.consent_datetime.year == shown_year
    url = reverse("crf_edit", args=[participant.code, "SCR", "CONSENT", 1])
    assert nurse_client.get(url).status_code == 200
    assert (
        nurse_client.get(reverse("participant_detail", args=[participant.code])).status_code == 200
    )
    assert nurse_client.get(
        reverse("signature_sign", args=[participant.code, "eligibility"])
    ).status_code in (
        200,
        404,
    )
    # Posted back as the page shows it, the value is refused with the bounded-year message.
    response = nurse_client.post(
        url,
        {
            "version": "0",
            "crf-consent_datetime": _typed(timezone.localtime(consent.consent_datetime)),
            "crf-form_version": "2.1",
            "crf-copy_given": "True",
        },
    )
    assert response.status_code == 200
    assert MESSAGE in response.context["form"].errors["consent_datetime"]


def test_a_date_stored_out_of_range_reads_as_the_earliest_date(participant):
    from eligibility.models import Demographics

    row = participant.forms.get(event="SCR", form="DEMOG")
    Demographics.objects.create(form_status=row, sex="F")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE eligibility_demographics SET birth_date = '0002-06-01 BC' "
            "WHERE form_status_id = %s",
            [row.pk],
        )
    assert Demographics.objects.get(form_status=row).birth_date == date.min
