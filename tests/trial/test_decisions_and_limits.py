"""Decisions as data (trial/decisions.py): each signed decision is a spec served by one action
and one page; and the vital signs' limits (trial/limits.py), the same on every form."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, get_resolver, reverse

from tests.followup import helpers as fh
from trial import crf as crf_registry
from trial import decisions, limits, signatures, views
from trial.models import FormStatus

EXPECTED = {"eligibility", "gate", "casebook", "ae_causality"}


def test_the_trial_decisions_are_specs_with_what_who_requires_breaks_and_journey():
    assert set(decisions.REGISTRY) >= EXPECTED
    for kind in EXPECTED:
        decision = decisions.REGISTRY[kind]
        assert decision.label and decision.roles, kind  # what, and who may sign
        assert signatures.get(kind) is not None  # what breaks it: its signable's covers
        assert signatures.get(kind).requires == decision.requires
    assert decisions.REGISTRY["gate"].requires == ("eligibility",)
    assert decisions.REGISTRY["gate"].journey_fields == {"date:GATE", "gate_decision"}
    assert decisions.REGISTRY["eligibility"].journey_fields == {
        "date:ELIG",
        "status",
        "enrolment_date",
    }
    assert not decisions.REGISTRY["ae_causality"].journey_fields
    assert decisions.REGISTRY["ae_causality"].per_row
    # The gate keeps its slot count under its advisory lock.
    assert decisions.REGISTRY["gate"].serialize is not None


def test_one_signing_view_and_one_template_serve_every_decision():
    signing = [
        pattern
        for pattern in get_resolver().url_patterns
        if getattr(pattern, "callback", None) is views.signature_sign
    ]
    assert len(signing) == 1
    for gone in ("eligibility:signoff", "imaging:gate_sign"):
        with pytest.raises(NoReverseMatch):
            reverse(gone, args=["BDX-001"])
    # The decisions' own form slots open the same page.
    for code in ("ELIGSIGN", "GATE"):
        assert crf_registry.get(code).template == "trial/sign.html"


def test_every_decision_page_answers_an_investigator(client, investigator, nurse, participant):
    """Each decision's page, shown for a new participant: what is decided and the form."""
    from tests.dosing.conftest import save
    from tests.dosing.test_ae_cm_forms import ae

    save(nurse, participant, "LOG", "AE", ae())
    client.force_login(investigator)
    for kind in sorted(EXPECTED):
        decision = decisions.REGISTRY[kind]
        if decision.slot is not None and not decision.per_row:
            event, form = decision.slot
            FormStatus.objects.get_or_create(participant=participant, event=event, form=form)
        url = reverse("signature_sign", args=[participant.code, kind])
        if decision.per_row:
            url += "?repeat=1"
        response = client.get(url)
        assert response.status_code == 200, kind
        page = response.content.decode()
        assert f'data-kind="{kind}"' in page and 'data-testid="sign-form"' in page, kind


# --- The vital signs' limits, the same on every form ---------------------------------------


def _errors(participant, event, form, values):
    participant.refresh_from_db()
    row = participant.forms.get(event=event, form=form, repeat=1)
    bound = crf_registry.bind(row, participant, crf_registry.post_data(values), complete=False)
    bound.is_valid()
    return bound.errors, getattr(bound, "warnings", [])


@pytest.mark.parametrize(
    ("name", "bounds", "usual"),
    [
        ("systolic_bp", limits.SYSTOLIC_MMHG, limits.SYSTOLIC_USUAL_MMHG),
        ("diastolic_bp", limits.DIASTOLIC_MMHG, limits.DIASTOLIC_USUAL_MMHG),
        ("heart_rate", limits.HEART_RATE, limits.HEART_RATE_USUAL),
        ("weight_kg", limits.WEIGHT_KG, limits.WEIGHT_USUAL_KG),
    ],
)
def test_the_screening_and_follow_up_vital_signs_share_their_limits(
    nurse, bdx, name, bounds, usual
):
    fu = fh.follow_up_participant(nurse, bdx)
    low, high = bounds
    for event, form in (("ELIG", "VITALS"), ("M1", "FU")):
        for value in (low - 1, high + 1):
            errors, _warnings = _errors(fu, event, form, {name: value})
            assert name in errors, (form, value)
        for value in (low, high):
            # Accepted at the limit, as unusual: the nurse confirms it.
            errors, _warnings = _errors(fu, event, form, {name: value})
            assert "is unusual" in str(errors[name]), (form, value)
            confirmed = {name: value, "confirm_unusual": "on"}
            errors, _warnings = _errors(fu, event, form, confirmed)
            assert name not in errors, (form, value)
        inside = (usual[0] + usual[1]) // 2
        errors, _warnings = _errors(fu, event, form, {name: inside})
        assert name not in errors, form
