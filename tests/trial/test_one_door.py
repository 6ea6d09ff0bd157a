"""The one door for CRF writes: item groups saved, audited and shown with their form; derived
values computed from the values as stored; journey changes through one action; the code
layout that keeps it so (no form writes, no app importing another)."""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from eligibility import derived
from eligibility.calculations import child_pugh
from eligibility.models import IahContraindications, InclusionImaging, TargetLesion
from tests.eligibility import helpers as h
from trial import actions
from trial import crf as crf_registry
from trial.models import FormState

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_APPS = ("eligibility", "dosing", "imaging", "followup")


# --- Derived values from the values as stored ---------------------------------------------

# Albumin 30 g/L (2 points) and INR 1.8 (2 points) with no ascites or encephalopathy (1 + 1):
# the bilirubin's points decide between 7 (B7, eligible) and 8 (B8, excluded) at 34 µmol/L,
# and between 8 and 9 at 51 µmol/L. The score reads the exact µmol/L value computed from what
# was typed (PROTOCOL.md section 5, Thresholds), never a rounding of it.
CHILD_PUGH_BASE = {"albumin_g_l": "30", "inr": "1.8", "ascites": "none", "encephalopathy": "none"}


@pytest.mark.req("CALC.THRESHOLDS")
@pytest.mark.parametrize(
    ("typed", "unit", "stored", "score", "shown"),
    [
        ("33.94", "umol/L", "33.94", 7, "33.9"),  # below 34: 1 point
        ("33.96", "umol/L", "33.96", 7, "33.96"),  # below 34: 1 point, never shown as 34.0
        ("34", "umol/L", "34.0", 8, "34.0"),  # 34 itself: 2 points
        ("34.04", "umol/L", "34.04", 8, "34.0"),
        ("51", "umol/L", "51.0", 8, "51.0"),  # 51 itself: still 2 points
        ("51.04", "umol/L", "51.04", 9, "51.04"),  # above 51: 3 points, never shown as 51.0
        ("1.988", "mg/dL", "33.9948", 7, "33.99"),  # 1.988 x 17.1 = 33.9948: below 34
        ("1.989", "mg/dL", "34.0119", 8, "34.0"),
        ("2.98", "mg/dL", "50.958", 8, "51.0"),  # 2.98 x 17.1 = 50.958
        ("2.983", "mg/dL", "51.0093", 9, "51.01"),  # above 51 by 0.0093: 3 points
    ],
)
def test_child_pugh_is_stored_from_the_exact_bilirubin(
    nurse, screened, typed, unit, stored, score, shown
):
    values = {**h.iahci_data(), **CHILD_PUGH_BASE, "bilirubin_entered": typed}
    values["bilirubin_unit"] = unit
    h.save(nurse, screened, "SCR", "IAHCI", values, confirm=True)
    row = IahContraindications.objects.get(form_status__participant=screened)
    assert str(row.bilirubin_umol_l) == stored
    assert row.bilirubin_entered == Decimal(typed)
    # The database, the rules (which recompute from the stored columns) and the page agree.
    assert row.child_pugh_score == score
    engine_score, _class = child_pugh(float(row.bilirubin_umol_l), 30.0, 1.8, "none", "none")
    assert engine_score == score
    bound = h.bind(screened, "SCR", "IAHCI", values, complete=False)
    bound.is_valid()
    bilirubin, points = derived.for_form("IAHCI", bound)
    assert points.value.startswith(f"{score} ")
    # Shown in µmol/L on the side of 34 and 51 it was scored on.
    assert bilirubin.value == f"{shown} µmol/L"


def test_a_fourth_decimal_of_bilirubin_is_refused_at_the_field(screened):
    values = {**h.iahci_data(), **CHILD_PUGH_BASE, "bilirubin_entered": "1.9884"}
    values["bilirubin_unit"] = "mg/dL"
    bound = h.bind(screened, "SCR", "IAHCI", values, complete=False)
    assert not bound.is_valid()
    assert "bilirubin_entered" in bound.errors
    # What was typed stays in the box, to be corrected.
    assert bound["bilirubin_entered"].value() == "1.9884"


def test_a_lab_value_typed_in_another_unit_is_stored_in_the_canonical_unit(nurse, participant):
    from dosing.models import LabPanel
    from tests.dosing.conftest import lab, save

    save(
        nurse,
        participant,
        "C1",
        "LAB",
        lab(creatinine_entered="1.005", creatinine_unit="mg/dL", creatinine_uln_entered="1.2"),
    )
    panel = LabPanel.objects.get()
    # 1.005 mg/dL x 88.4 = 88.842 µmol/L, kept exact (never rounded to 88.84).
    assert panel.creatinine_umol_l == Decimal("88.842")
    assert str(panel.creatinine_uln) == "106.08"  # 1.2 x 88.4


def test_an_absurd_number_is_refused_without_printing_it_whole(nurse_client, participant):
    from tests.dosing.conftest import lab, post_data

    url = reverse("crf_edit", args=[participant.code, "C1", "LAB", 1])
    response = nurse_client.post(url, {"version": "0", **post_data(lab(alt_u_l="1e308"))})
    page = response.content.decode()
    assert response.status_code == 200
    assert "1e+308 U/L is not plausible" in page
    assert "0" * 40 not in page


# --- Item groups ----------------------------------------------------------------------------


def _imaging(nurse, participant, targets, non_targets=(), reason=""):
    data = h.imaging_data(list(targets), list(non_targets))
    participant.refresh_from_db()
    row = participant.forms.get(form="IMAGING")
    bound = h.bind(participant, "SCR", "IMAGING", data)
    assert bound.is_valid(), bound.errors
    values = bound.crf_data()
    # The lesions as T1, T2...: each row given with its permanent number, as the page gives a
    # saved lesion (a row given without one would be a new lesion).
    for number, lesion in enumerate(values["target_lesions"], start=1):
        lesion["number"] = number
    return actions.save_crf(nurse, row, values, expected_version=row.version, reason=reason)


def test_a_changed_added_and_removed_lesion_show_on_the_form_history(nurse, nurse_client, screened):
    h.save(nurse, screened, "SCR", "CONSENT", h.consent_data())
    _imaging(nurse, screened, [("liver", "32"), ("liver", "25")])
    _imaging(nurse, screened, [("liver", "32"), ("lung", "14")], reason="transcription error")
    _imaging(nurse, screened, [("liver", "30")], reason="source document updated")
    imaging = InclusionImaging.objects.get()
    assert imaging.measurable_target_lesions == 1
    url = reverse("crf_history", args=[screened.code, "SCR", "IMAGING", 1])
    page = nurse_client.get(url).content.decode()
    group = page[page.index('data-group="target_lesions"') :]
    group = group[: group.index("</table>")]
    kinds = re.findall(r'data-key="(\d)" data-kind="(\w+)"', group)
    assert kinds == [
        ("1", "added"),
        ("2", "added"),
        ("2", "changed"),  # T2: liver 25 -> lung 14
        ("2", "removed"),  # the third save keeps one lesion...
        ("1", "changed"),  # ...T1, now 30 mm
    ]
    assert "25.0 → <strong>14.0</strong>" in group
    assert "Transcription error" in group and "Source document updated" in group
    assert "Alice Nurse (alice)" in group


def test_item_group_rows_are_addressed_as_odm_paths(nurse, screened):
    h.save(nurse, screened, "SCR", "CONSENT", h.consent_data())
    _imaging(nurse, screened, [("liver", "32")], ["bone"])
    row = screened.forms.get(form="IMAGING")
    values = crf_registry.snapshot([row])[row.pk]
    paths = {str(ref): value for ref, value in crf_registry.item_refs(row, values)}
    assert paths["SCR/IMAGING[1]/target_lesions[1]/diameter_mm"] == Decimal("32.0")
    assert paths["SCR/IMAGING[1]/non_target_lesions[1]/organ"] == "bone"
    assert paths["SCR/IMAGING[1]/measurable_target_lesions"] == 1


def test_a_group_over_its_maximum_is_refused_by_the_action(nurse, screened):
    h.save(nurse, screened, "SCR", "CONSENT", h.consent_data())
    row = screened.forms.get(form="IMAGING")
    rows = [{"organ": "liver", "location": "", "diameter_mm": Decimal(20)}] * 6
    with pytest.raises(actions.ActionRefused, match="At most 5"):
        actions.save_crf(nurse, row, {"target_lesions": rows}, expected_version=0)
    assert not TargetLesion.objects.exists()


def test_a_formset_with_errors_keeps_every_typed_row(nurse_client, screened, nurse):
    h.save(nurse, screened, "SCR", "CONSENT", h.consent_data())
    data = h.imaging_data([("liver", "32"), ("liver", "4"), ("lung", "18")], ["bone"])
    posted = {"version": "0", **crf_registry.post_data(data)}
    url = reverse("crf_edit", args=[screened.code, "SCR", "IMAGING", 1])
    response = nurse_client.post(url, posted)
    page = response.content.decode()
    assert response.status_code == 200
    assert "at least 10 mm" in page
    for value in ('value="32"', 'value="4"', 'value="18"'):
        assert value in page
    assert not InclusionImaging.objects.exists()


# --- Log entries ------------------------------------------------------------------------


def test_an_abandoned_add_leaves_nothing_and_a_saved_one_is_numbered(
    nurse, nurse_client, participant
):
    url = reverse("crf_add_repeat", args=[participant.code, "CM"])
    assert nurse_client.get(url).status_code == 200
    assert not participant.forms.filter(form="CM").exists()
    posted = {
        "crf-name": "Ondansetron",
        "crf-indication": "Nausea",
        "crf-dose": "8 mg",
        "crf-route": "oral",
        "crf-start_date": "2026-03-10",
        "crf-ongoing": "on",
        "version": "0",
    }
    assert nurse_client.post(url, posted).status_code == 302
    row = participant.forms.get(form="CM")
    assert (row.repeat, row.status, row.version) == (1, FormState.COMPLETE, 1)


# --- Journey changes ------------------------------------------------------------------------


def test_the_gate_decision_and_the_end_of_study_go_through_change_journey(
    nurse, investigator, participant
):
    from datetime import date

    from followup import actions as followup_actions
    from imaging import actions as imaging_actions
    from trial import schedule

    participant.status = schedule.ENROLLED
    participant.save(update_fields=["status"])
    with pytest.raises(actions.ActionRefused):
        imaging_actions.record_gate_decision(nurse, participant, schedule.PROCEED, date(2026, 6, 1))
    imaging_actions.record_gate_decision(
        investigator, participant, schedule.PROCEED, date(2026, 6, 1)
    )
    participant.refresh_from_db()
    assert participant.gate_decision == schedule.PROCEED
    assert participant.forms.filter(event="IAH").exists()
    event = participant.events.latest("pgh_id")
    assert event.edc_context["command"] == "record_gate_decision"
    followup_actions.end_study(
        nurse, participant, schedule.WITHDRAWN, date(2026, 9, 1), reason="withdrew consent"
    )
    participant.refresh_from_db()
    assert participant.status == schedule.WITHDRAWN and participant.dates["EOS"] == date(2026, 9, 1)
    assert participant.events.latest("pgh_id").edc_context["reason"] == "withdrew consent"


# --- The layout that keeps the door single --------------------------------------------------


def _python_files(*folders: str) -> list[Path]:
    return [
        p
        for folder in folders
        for p in (ROOT / folder).rglob("*.py")
        if "migrations" not in p.parts
    ]


def test_no_form_writes():
    for path in _python_files(*DOMAIN_APPS, "trial"):
        if path.name != "forms.py":
            continue
        tree = ast.parse(path.read_text())
        defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        assert not defined & {"save", "_save_m2m", "save_m2m"}, path


def test_no_domain_app_imports_another():
    for app in DOMAIN_APPS:
        others = set(DOMAIN_APPS) - {app}
        for path in _python_files(app):
            text = path.read_text()
            assert "importlib" not in text, path
            tree = ast.parse(text)
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                for name in names:
                    assert name.split(".")[0] not in others, (path, name)


def test_no_private_pghistory_attribute_and_no_domain_tags_in_trial_templates():
    for path in _python_files(*DOMAIN_APPS, "trial"):
        assert not re.search(r"pghistory\.runtime|runtime\._tracker", path.read_text()), path
    for path in (ROOT / "templates" / "trial").rglob("*.html"):
        loads = " ".join(re.findall(r"{%\s*load ([^%]+)%}", path.read_text()))
        assert not any(f"{app}_tags" in loads for app in DOMAIN_APPS), path


def test_every_domain_app_has_its_actions_module():
    for app in DOMAIN_APPS:
        assert (ROOT / app / "actions.py").exists(), app


def test_a_changed_added_or_removed_lesion_breaks_the_casebook_signature(
    nurse, investigator, screened
):
    from tests.conftest import PASSWORD
    from trial import signatures

    h.save(nurse, screened, "SCR", "CONSENT", h.consent_data())
    _imaging(nurse, screened, [("liver", "32"), ("liver", "25")])

    def sign():
        return actions.sign(
            investigator, PASSWORD, screened, kind=signatures.CASEBOOK, meaning="I approve"
        )

    changed = sign()
    _imaging(nurse, screened, [("liver", "32"), ("liver", "24")], reason="transcription error")
    assert changed.breaks.get().changes == {
        "SCR/IMAGING/1.target_lesions.2.diameter_mm": ["25.0", "24.0"]
    }
    added = sign()
    _imaging(
        nurse,
        screened,
        [("liver", "32"), ("liver", "24"), ("lung", "15")],
        reason="source document updated",
    )
    assert (
        added.breaks.get().changes.items()
        >= {
            "SCR/IMAGING/1.target_lesions.3.diameter_mm": [None, "15.0"],
            "SCR/IMAGING/1.measurable_target_lesions": [2, 3],
        }.items()
    )
    removed = sign()
    _imaging(nurse, screened, [("liver", "32")], reason="transcription error")
    removal = removed.breaks.get().changes
    assert removal["SCR/IMAGING/1.target_lesions.2.diameter_mm"] == ["24.0", None]
    assert removal["SCR/IMAGING/1.target_lesions.3.diameter_mm"] == ["15.0", None]
