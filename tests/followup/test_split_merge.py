"""Baseline target lesions that split, merge or cannot be evaluated at follow-up (RECIST 1.1
sections 4.3.2 and 4.4.2), entered through the real form and trial.actions.save_crf: each
refusal beside the item that is wrong, the states stored and audited, the responses derived
from them, the RECIST page and the exports naming them.

Baseline (tests/followup/helpers.py): T1 liver 32 mm, T2 liver 25 mm, T3 lymph node 18 mm,
75 mm."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from followup.models import RecistAssessment, TargetMeasurement
from tests.followup import helpers as h

pytestmark = pytest.mark.req("CALC.RECIST.LESIONS")


@pytest.fixture
def fu(nurse, bdx):
    return h.follow_up_participant(nurse, bdx)


def row(number: int, present: str = "", size: str = "", state: str = "", into: str = ""):
    return {
        "number": number,
        "present": present,
        "size_mm": size,
        "state": state,
        "merged_into": into,
    }


def errors(fu, rows: list[dict]) -> dict[str, list[str]]:
    """Each refusal by "T<n>.<item>" (or "form" for the group's own)."""
    form = h.bind_recist(fu, "M3", h.recist_values(h.visit_day(3)), rows)
    assert not form.is_valid()
    found: dict[str, list[str]] = {}
    for lesion in form.measurements.forms:
        for item, messages in lesion.errors.items():
            found[f"T{lesion['number'].value()}.{item}"] = [str(m) for m in messages]
    return found


def test_merged_into_itself_is_refused_beside_merged_into(fu):
    found = errors(fu, [row(1, "True", "40"), row(2, "", "", "merged", "T2"), row(3, "True", "9")])
    assert list(found) == ["T2.merged_into"]
    assert "cannot be merged into itself" in found["T2.merged_into"][0]


def test_merged_into_a_lesion_absent_at_baseline_is_refused(fu):
    found = errors(fu, [row(1, "True", "40"), row(2, "", "", "merged", "T4"), row(3, "True", "9")])
    assert list(found) == ["T2.merged_into"]
    assert "T4 is not a baseline target lesion" in found["T2.merged_into"][0]


def test_a_size_given_for_a_merged_lesion_is_refused_beside_the_size(fu):
    found = errors(
        fu, [row(1, "True", "40"), row(2, "True", "12", "merged", "T1"), row(3, "True", "9")]
    )
    assert list(found) == ["T2.size_mm"]
    assert "measured under T1" in found["T2.size_mm"][0]


def test_merged_needs_the_lesion_it_merged_into(fu):
    found = errors(fu, [row(1, "True", "40"), row(2, "", "", "merged"), row(3, "True", "9")])
    assert found == {"T2.merged_into": ["Choose the target lesion it merged into."]}
    # ... measured at this visit, present with a size.
    found = errors(fu, [row(1, "False", "0"), row(2, "", "", "merged", "T1"), row(3, "True", "9")])
    assert list(found) == ["T2.merged_into"]
    assert "T1, the lesion it merged into, must be measured" in found["T2.merged_into"][0]
    # A "merged into" without the state merged.
    found = errors(fu, [row(1, "True", "40"), row(2, "True", "20", "", "T1"), row(3, "True", "9")])
    assert list(found) == ["T2.merged_into"]


def test_split_and_not_evaluable_refusals(fu):
    found = errors(
        fu,
        [
            row(1, "False", "", "split"),
            row(2, "True", "12", "not_evaluable"),
            row(3, "True", "9"),
        ],
    )
    assert set(found) == {"T1.present", "T1.size_mm", "T2.present", "T2.size_mm"}
    assert "fragments" in found["T1.size_mm"][0]
    assert "not evaluable" in found["T2.size_mm"][0]


def test_split_and_merged_saved_audited_and_derived(nurse, nurse_client, fu):
    # T1 split (fragments 12 + 10), T2 merged into T3, the merged T3 measured 30: 52 mm, PR.
    form = h.bind_recist(
        fu,
        "M3",
        h.recist_values(h.visit_day(3)),
        [row(1, "True", "22", "split"), row(2, "", "", "merged", "T3"), row(3, "True", "30")],
    )
    h.save_form(nurse, form)
    m3 = RecistAssessment.objects.get(form_status__participant=fu, form_status__event="M3")
    assert list(m3.measurements.values_list("number", "state", "merged_into", "size_mm")) == [
        (1, "split", "", Decimal("22.0")),
        (2, "merged", "T3", Decimal("0.0")),
        (3, "", "", Decimal("30.0")),
    ]
    assert (m3.sum_mm, m3.target_response, m3.overall_response) == (Decimal("52.0"), "PR", "PR")
    # Audited: the rows' events carry the state.
    events = TargetMeasurement.pgh_event_model.objects.filter(pgh_obj__assessment=m3)
    assert set(events.values_list("state", "merged_into")) == {
        ("split", ""),
        ("merged", "T3"),
        ("", ""),
    }
    # The form shows them again as saved.
    page = nurse_client.get(reverse("crf_edit", args=[fu.code, "M3", "RECIST", 1]))
    text = page.content.decode()
    assert 'value="split" selected' in text and 'value="T3" selected' in text
    # The RECIST page names them.
    page = nurse_client.get(reverse("followup:participant_recist", args=[fu.code]))
    lesions = page.content.decode()
    assert "T1 split" in lesions and "T2 merged into T3" in lesions


def test_not_evaluable_gives_ne_then_pd_from_the_others(nurse, fu):
    h.save_recist(nurse, fu, "M3", h.visit_day(3), 22, 16, 12)  # 50 mm: the nadir
    form = h.bind_recist(
        fu,
        "M6",
        h.recist_values(h.visit_day(6)),
        [row(1, "True", "30"), row(2, "", "", "not_evaluable"), row(3, "True", "15")],
    )
    h.save_form(nurse, form)
    m6 = RecistAssessment.objects.get(form_status__participant=fu, form_status__event="M6")
    assert (m6.sum_mm, m6.target_response, m6.overall_response) == (None, "NE", "NE")
    # 45 + 15 = 60 mm without T2: +20 % and +10 mm from the nadir, PD whatever T2 measures.
    form = h.bind_recist(
        fu,
        "M6",
        h.recist_values(h.visit_day(6)),
        [row(1, "True", "45"), row(2, "", "", "not_evaluable"), row(3, "True", "15")],
    )
    h.save_form(nurse, form, reason="transcription error")
    m6.refresh_from_db()
    assert (m6.sum_mm, m6.target_response, m6.overall_response) == (None, "PD", "PD")
    assert m6.progression_date == h.visit_day(6)
