"""Helpers of the audit tests: a completed Demographics form, and a test-only signable kind."""

from __future__ import annotations

import pytest
from django.urls import reverse

from eligibility.forms import DemographicsForm
from trial import actions, decisions, roles, signatures
from trial.models import FormStatus

DEMOG = {"birth_date": "1960-04-02", "sex": "F", "height_cm": "163", "weight_kg": "61.5"}
TEST_KIND = "test-demog"


def save_demographics(user, row: FormStatus, *, reason: str = "", **changes) -> FormStatus:
    """Save Demographics through the action, as the page does; returns the fresh row."""
    from eligibility.models import Demographics

    instance = Demographics.objects.filter(form_status=row).first()
    form = DemographicsForm({**DEMOG, **changes}, instance=instance, participant=row.participant)
    assert form.is_valid(), form.errors
    row.refresh_from_db()
    actions.save_crf(user, row, form.crf_data(), expected_version=row.version, reason=reason)
    row.refresh_from_db()
    return row


def crf_url(row: FormStatus, name: str = "crf_edit") -> str:
    return reverse(name, args=[row.participant.code, row.event, row.form, row.repeat])


@pytest.fixture
def demog(participant, nurse) -> FormStatus:
    """The participant's Demographics, completed once (version 1)."""
    return save_demographics(nurse, participant.forms.get(form="DEMOG"))


def demog_payload(participant) -> dict:
    from eligibility.models import Demographics

    d = Demographics.objects.get(form_status__participant=participant)
    return {"demographics": {"weight_kg": d.weight_kg, "birth_date": d.birth_date}}


@pytest.fixture
def test_kind():
    """A decision for the tests only: the Demographics weight and birth date, signed by
    investigators from the participant page (no slot of its own), with its meaning."""
    decisions.register_decision(
        decisions.Decision(
            kind=TEST_KIND,
            label="Test demographics",
            payload=demog_payload,
            roles=frozenset({roles.INVESTIGATOR}),
            meaning="I confirm these demographics",
            resign_while_valid=True,
        )
    )
    yield TEST_KIND
    signatures.REGISTRY.pop(TEST_KIND, None)
    decisions.REGISTRY.pop(TEST_KIND, None)
