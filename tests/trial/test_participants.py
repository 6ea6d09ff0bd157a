from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from trial import actions, schedule
from trial.models import FormStatus


def test_codes_follow_the_site_sequence(nurse, bdx, tls_nurse, tls):
    first = actions.register_participant(nurse, bdx, date(2026, 1, 5))
    second = actions.register_participant(nurse, bdx, date(2026, 1, 6))
    other = actions.register_participant(tls_nurse, tls, date(2026, 1, 6))
    assert [first.code, second.code, other.code] == ["BDX-001", "BDX-002", "TLS-001"]
    assert first.status == "screening"


def test_registration_creates_the_expected_forms_of_events_that_apply(participant):
    slots = set(participant.forms.values_list("event", "form"))
    assert ("SCR", "DEMOG") in slots
    assert ("C4", "CYCLE") in slots
    assert ("ELIG", "ELIGSIGN") in slots
    # Imaging, the IAH dose and follow-up do not apply before C4 and enrolment.
    assert not {event for event, _ in slots} & {"PET-IAH", "IAH", "DOSI", "M1", "EOS"}


def test_expected_forms_are_idempotent(participant):
    before = participant.forms.count()
    assert actions.ensure_expected_forms(participant) == 0
    assert participant.forms.count() == before


def test_proceed_gate_adds_iah_and_dosimetry_forms(participant):
    participant.status = schedule.ENROLLED
    participant.event_dates = {"SCR": "2026-03-02", "C4": "2026-04-01"}
    participant.save()
    actions.ensure_expected_forms(participant)
    assert not participant.forms.filter(event="IAH").exists()
    participant.gate_decision = schedule.PROCEED
    participant.save()
    actions.ensure_expected_forms(participant)
    assert set(
        participant.forms.filter(event__in=["IAH", "DOSI"]).values_list("form", flat=True)
    ) == {
        "LAB",
        "IAHDOSE",
        "DOSI",
    }


def test_register_page_refuses_a_future_date_and_keeps_it(nurse_client, bdx):
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = nurse_client.post(
        reverse("participant_register"), {"site": bdx.pk, "screening_date": future}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "cannot be in the future" in html
    assert f'value="{future}"' in html
    assert not FormStatus.objects.exists()


def test_monitor_cannot_register(client, monitor, bdx):
    client.force_login(monitor)
    assert client.get(reverse("participant_register")).status_code == 404
    with pytest.raises(actions.ActionRefused):
        actions.register_participant(monitor, bdx, date(2026, 1, 5))
