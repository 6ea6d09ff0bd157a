"""Helpers of the dosing tests: save a CRF the way the page does (form, then save_crf)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from trial import actions
from trial import crf as crf_registry
from trial.models import FormStatus, Participant


def post_data(values: dict[str, Any]) -> dict[str, str]:
    """Form values as the browser posts them (prefix "crf", dates ISO, booleans as checkboxes)."""
    data = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[f"crf-{name}"] = "on"
            continue
        data[f"crf-{name}"] = value.isoformat() if isinstance(value, date) else str(value)
    return data


def build_form(
    participant: Participant,
    event: str,
    form: str,
    values: dict,
    *,
    repeat: int = 1,
    complete: bool = True,
):
    participant = Participant.objects.get(pk=participant.pk)
    row = participant.forms.filter(event=event, form=form, repeat=repeat).first()
    if row is None and event == "LOG":  # a new log entry, as its "+ Add" page shows it
        row = actions.next_repeat(participant, form)
        assert row.repeat == repeat, (form, repeat)
    return crf_registry.bind(row, participant, post_data(values), complete=complete)


def save(
    user,
    participant: Participant,
    event: str,
    form: str,
    values: dict,
    *,
    repeat: int = 1,
    complete: bool = True,
    reason: str = "",
):
    """Validate and save a CRF; fails the test with the form's errors when it is refused."""
    bound = build_form(participant, event, form, values, repeat=repeat, complete=complete)
    assert bound.is_valid(), bound.errors.as_text()
    if bound.row.pk is None:
        row = actions.add_repeat(user, participant, form, bound.crf_data(), complete=complete)
        return crf_registry.get(form).model.objects.get(form_status=row)
    row = FormStatus.objects.get(pk=bound.row.pk)
    return actions.save_crf(
        user, row, bound.crf_data(), expected_version=row.version, reason=reason, complete=complete
    )


NORMAL_LAB = {
    "sample_date": date(2026, 1, 5),
    "haemoglobin_g_dl": "13.2",
    "haemoglobin_lln": "12",
    "neutrophils_entered": "3.2",
    "neutrophils_unit": "G/L",
    "neutrophils_lln_entered": "1.8",
    "lymphocytes_entered": "1.5",
    "lymphocytes_unit": "G/L",
    "lymphocytes_lln_entered": "1",
    "platelets_entered": "250",
    "platelets_unit": "G/L",
    "platelets_lln_entered": "150",
    "creatinine_entered": "80",
    "creatinine_unit": "µmol/L",
    "creatinine_uln_entered": "104",
    "alt_u_l": "25",
    "alt_uln": "40",
    "ast_u_l": "22",
    "ast_uln": "40",
    "bilirubin_entered": "9",
    "bilirubin_unit": "µmol/L",
    "bilirubin_uln_entered": "17",
    "albumin_g_l": "40",
    "prothrombin_percent": "95",
    "inr": "1.05",
}


def lab(**changes: Any) -> dict[str, Any]:
    return {**NORMAL_LAB, **changes}


def cycle(day: date, **changes: Any) -> dict[str, Any]:
    values = {
        "administration_date": day,
        "prescribed_gbq": "7.4",
        "administered_gbq": "7.3",
        "amino_acids": "True",
        "last_ssa_date": None,
        "residual_uptake": "True",
        "dose_modification": "none",
        "modification_reason": "",
        "modification_details": "",
    }
    return {**values, **changes}


@pytest.fixture
def c1(nurse, participant):
    """Cycle 1 given on 3 Nov 2025 with a normal pre-cycle panel."""
    save(nurse, participant, "C1", "LAB", lab(sample_date=date(2025, 10, 30)))
    save(nurse, participant, "C1", "CYCLE", cycle(date(2025, 11, 3)))
    participant.refresh_from_db()
    return participant
