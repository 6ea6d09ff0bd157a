"""Issue 21: the IAH dose date against its window (PROTOCOL.md section 2: 8 weeks after C4,
-1 / +4 weeks), confirmed like any out-of-window visit, and the dose advice counted to the
real infusion date."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dosing.models import IahDose
from imaging import actions
from tests.conftest import PASSWORD
from tests.dosing.conftest import NORMAL_LAB
from tests.eligibility import helpers as eh
from tests.imaging import helpers as h
from trial import actions as trial_actions
from trial import crf as crf_registry
from trial.audit import audit_context

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
# C4 60 days ago: the window runs from day 49 (-11 days) to day 84 (+24 days) after it.
C4 = TODAY - timedelta(days=60)
WINDOW = (C4 + timedelta(weeks=7), C4 + timedelta(weeks=12))


def move_c4(nurse, participant, day) -> None:
    """C4 given on `day` (a correction of its cycle form, which sets the event's date)."""
    eh.save(
        nurse,
        participant,
        "C4",
        "CYCLE",
        eh.cycle_data(4) | {"administration_date": day},
        confirm=True,
    )
    participant.refresh_from_db()
    assert participant.dates["C4"] == day


@pytest.fixture
def proceeded(nurse, investigator, scanned):
    actions.sign_gate(investigator, PASSWORD, scanned, "proceed")
    move_c4(nurse, scanned, C4)
    return scanned


def dose_on(day) -> dict:
    start = timezone.make_aware(
        timezone.datetime.combine(day, timezone.datetime.min.time()).replace(hour=9)
    )
    return h.iah_dose_data(
        infusion_date=day,
        infusion_start=h.dt(start),
        infusion_end=h.dt(start + timedelta(minutes=30)),
        activity_before_at=h.dt(start - timedelta(hours=1)),
        residual_after_at=h.dt(start + timedelta(hours=1)),
    )


def bound(participant, values, **extra):
    return h.bind(participant, "IAH", "IAHDOSE", {**values, **extra}, {})


@pytest.mark.parametrize("days", [0, 1])
def test_a_dose_inside_its_window_needs_no_confirmation(proceeded, days):
    # The window's first day, and the day after (the last day is still ahead of today).
    form = bound(proceeded, dose_on(WINDOW[0] + timedelta(days=days)))
    assert form.is_valid(), form.errors
    assert not form.needs_confirmation


def test_a_dose_before_its_window_is_confirmed_like_an_out_of_window_visit(proceeded):
    early = WINDOW[0] - timedelta(days=1)
    form = bound(proceeded, dose_on(early))
    assert not form.is_valid() and form.needs_confirmation
    message = str(form.errors["infusion_date"])
    assert "outside the IAH dose window" in message and WINDOW[0].isoformat() in message
    assert WINDOW[1].isoformat() in message
    confirmed = bound(proceeded, dose_on(early), confirm_unusual="on")
    assert confirmed.is_valid(), confirmed.errors


def test_a_dose_after_its_window_is_confirmed_too(nurse, investigator, scanned):
    # The case: 11 days after the window closed (C4 + 12 weeks + 11 days).
    actions.sign_gate(investigator, PASSWORD, scanned, "proceed")
    # The window is the schedule's, from C4's event date.
    with audit_context(nurse, command="test_setup"):
        trial_actions.change_journey(
            nurse, scanned, dates={"C4": TODAY - timedelta(weeks=12, days=11)}
        )
    scanned.refresh_from_db()
    form = bound(scanned, dose_on(TODAY))
    assert not form.is_valid() and form.needs_confirmation
    assert "outside the IAH dose window" in str(form.errors["infusion_date"])


def test_a_dose_in_the_future_is_refused(proceeded):
    form = bound(proceeded, dose_on(TODAY + timedelta(days=1)), confirm_unusual="on")
    assert not form.is_valid()
    assert "in the future" in str(form.errors["infusion_date"])


def _advice_weeks(page) -> str:
    html = page.content.decode()
    start = html.index('data-testid="advice-weeks"')
    return html[start : html.index("</dd>", start)]


def test_the_advice_counts_the_weeks_to_the_typed_then_saved_infusion_date(
    client, nurse, proceeded
):
    lab = {**NORMAL_LAB, "sample_date": WINDOW[0] - timedelta(days=2)}
    from tests.dosing.conftest import post_data

    row = proceeded.forms.get(event="IAH", form="LAB")
    form = crf_registry.bind(row, proceeded, post_data(lab))
    assert form.is_valid(), form.errors
    trial_actions.save_crf(nurse, row, form.crf_data(), expected_version=0)
    client.force_login(nurse)
    url = reverse("crf_edit", args=[proceeded.code, "IAH", "IAHDOSE", 1])

    # Before anything is typed: to today, and the page says so.
    weeks = _advice_weeks(client.get(url))
    assert "8.6 weeks" in weeks and "to today" in weeks  # 60 days

    # Typed (the save refused for another reason): to the typed infusion date.
    typed = {f"crf-{k}": v for k, v in dose_on(WINDOW[0]).items()}
    typed["crf-activity_before_gbq"] = ""
    page = client.post(url, {"version": "0", **typed, "save_complete": ""})
    assert page.status_code == 200
    weeks = _advice_weeks(page)
    assert "7.0 weeks" in weeks and WINDOW[0].isoformat() in weeks

    # Saved: to the recorded infusion date.
    typed["crf-activity_before_gbq"] = "7.4"
    assert client.post(url, {"version": "0", **typed, "save_complete": ""}).status_code == 302
    assert IahDose.objects.get(form_status__participant=proceeded).infusion_date == WINDOW[0]
    weeks = _advice_weeks(client.get(url))
    assert "7.0 weeks" in weeks and WINDOW[0].isoformat() in weeks
