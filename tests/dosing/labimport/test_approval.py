"""Approval: the values go into their panel through the lab form and the CRF's own save, with
the right units and grades, the panel's typed values kept, the file as the reason for change.
Flagged values need a confirmation; blocked ones, a stale panel or two values of one test are
refused with nothing written."""

from datetime import date
from decimal import Decimal

import pytest

from dosing import labs
from dosing.labimport import actions, flags, queue
from dosing.labimport.models import ImportedLabValue, ValueState
from dosing.models import LabPanel
from tests.dosing.conftest import save
from tests.dosing.labimport.conftest import import_data
from trial import actions as trial_actions
from trial import crf as crf_registry
from trial.actions import ActionRefused, ReasonRequired, StaleVersion
from trial.history import event_model_for
from trial.models import FormState, FormStatus

UNITS = {
    "neutrophils_unit": "G/L",
    "lymphocytes_unit": "G/L",
    "platelets_unit": "G/L",
    "creatinine_unit": "µmol/L",
    "bilirubin_unit": "µmol/L",
}


def typed(**values):
    """A draft of the lab form as the page posts it: the units are always there."""
    return {**UNITS, **values}


def pending_ids(participant, event="C2"):
    [group] = [g for g in queue.participant_queue(participant).groups if g.row.event == event]
    return [entry.value.pk for entry in group.entries], group


def test_a_fhir_panel_fills_the_lab_form_in_its_units_with_its_grades(nurse, c1, second, bdx):
    outcome = import_data(nurse, "bundle_two_participants.json", site=bdx)
    ids, group = pending_ids(c1)
    expected_grades = {e.resolved.item.key: e.grade.grade for e in group.entries if e.grade}
    [row] = actions.approve(nurse, c1, ids)
    panel = LabPanel.objects.get(form_status=row)
    assert panel.sample_date == date(2025, 12, 26)
    assert (panel.haemoglobin_g_dl, panel.haemoglobin_lln) == (Decimal("13.10"), Decimal("12.00"))
    assert (panel.neutrophils_entered, panel.neutrophils_unit) == (Decimal("2.900"), "G/L")
    assert (panel.neutrophils_mm3, panel.neutrophils_lln) == (Decimal(2900), Decimal(1800))
    assert (panel.platelets_mm3, panel.platelets_lln) == (Decimal(210000), Decimal(150000))
    # Creatinine kept as the lab reported it (mg/dL), stored in µmol/L for the rules.
    assert (panel.creatinine_entered, panel.creatinine_unit) == (Decimal("0.950"), "mg/dL")
    assert (panel.creatinine_umol_l, panel.creatinine_uln) == (Decimal("83.98"), Decimal("104.312"))
    assert (panel.alt_u_l, panel.alt_uln, panel.ast_u_l) == (28, 40, 25)
    assert (panel.bilirubin_umol_l, panel.bilirubin_uln) == (8, 17)
    assert panel.albumin_g_l == Decimal("41.0")  # 4.1 g/dL
    assert (panel.prothrombin_percent, panel.inr) == (Decimal("92.0"), Decimal("1.05"))
    row.refresh_from_db()
    assert (row.status, row.version) == (FormState.COMPLETE, 1)
    # The grades the queue showed are the panel's now.
    saved = labs.grades(
        labs.panel_values(panel),
        labs.panel_values(c1.forms.get(event="C1", form="LAB").dosing_labpanel),
    )
    assert {key: grade.grade for key, grade in saved.items()} == expected_grades
    assert all(
        v.state == ValueState.APPROVED and v.written_row == row
        for v in c1.imported_lab_values.all()
    )
    assert c1.imported_lab_values.first().decided_by == nurse
    # The save went through the CRF's door: its trail carries the file as the reason.
    reason = f"imported from bundle_two_participants.json (sha256 {outcome.sha256})"
    event = event_model_for(LabPanel).objects.get(form_status_id=row.pk)
    assert event.edc_context["reason"] == reason
    assert event.edc_context["user"] == nurse.pk
    decided = event_model_for(ImportedLabValue).objects.filter(state=ValueState.APPROVED)
    assert {e.edc_context["reason"] for e in decided} == {reason}


def test_every_stored_value_is_what_the_lab_form_derives_from_what_was_typed(
    nurse, c1, second, bdx
):
    import_data(nurse, "bundle_two_participants.json", site=bdx)
    for participant in (c1, second):
        ids, _ = pending_ids(participant)
        [row] = actions.approve(nurse, participant, ids)
        panel = LabPanel.objects.get(form_status=row)
        spec = crf_registry.get("LAB")
        typed = {name: getattr(panel, name) for name in spec.form_class._meta.fields}
        derived = crf_registry.derive(spec, typed)
        for field in spec.item_fields:
            assert getattr(panel, field.name) == derived.get(
                field.name, getattr(panel, field.name)
            ), field.name
    panel = LabPanel.objects.get(form_status__participant=second, form_status__event="C2")
    assert panel.haemoglobin_g_dl == Decimal("13.20")  # 132 g/L
    assert (panel.neutrophils_entered, panel.neutrophils_unit) == (Decimal(3400), "/mm3")  # /uL
    assert panel.lymphocytes_entered is None  # not in the file: left empty, a draft
    assert panel.form_status.status == FormState.IN_PROGRESS


def test_approval_merges_into_the_typed_panel_and_flags_a_tenfold_slip(nurse, c1, bdx):
    save(
        nurse,
        c1,
        "C2",
        "LAB",
        typed(
            sample_date=date(2025, 12, 26),
            haemoglobin_g_dl="12",
            platelets_entered="210",
            alt_u_l="30",
            alt_uln="40",
        ),
        complete=False,
    )
    outcome = import_data(nurse, "tenfold.csv", site=bdx)
    entries = {e.label: e for e in outcome.entries}
    # 21 G/L against 210 typed (and 250 at C1): a decimal point slipped.
    assert entries["Platelets"].flags == [flags.TENFOLD]
    assert entries["Platelets"].in_crf == Decimal("210.000")
    assert entries["Haemoglobin"].flags == []
    platelets = entries["Platelets"].value.pk
    with pytest.raises(actions.NeedsConfirmation, match="Platelets"):
        actions.approve(nurse, c1, [platelets])
    assert LabPanel.objects.get(form_status__event="C2").platelets_entered == 210
    actions.approve(nurse, c1, [platelets], confirmed=True)
    panel = LabPanel.objects.get(form_status__event="C2")
    assert (panel.platelets_entered, panel.platelets_mm3) == (21, 21000)
    # What was typed and not imported is kept.
    assert (panel.haemoglobin_g_dl, panel.alt_u_l, panel.alt_uln) == (12, 30, 40)
    assert panel.form_status.status == FormState.IN_PROGRESS  # still a draft
    assert panel.form_status.version == 2
    # The other value now differs from the typed 12 g/dL but not tenfold.
    [group] = queue.participant_queue(c1).groups
    assert group.entries[0].in_crf == Decimal("12.00") and group.entries[0].flags == []


def test_a_value_follows_the_unit_of_the_panels_typed_limit(nurse, c1, bdx):
    save(
        nurse,
        c1,
        "C2",
        "LAB",
        typed(neutrophils_unit="/mm3", neutrophils_lln_entered="1800"),
        complete=False,
    )
    text = "participant;sampled_at;test;value;unit\nBDX-001;26/12/2025;751-8;2,9;10*9/L\n"
    actions.import_file(nurse, "n.csv", text.encode(), site=bdx)
    [entry] = queue.participant_queue(c1).groups[0].entries
    assert (entry.resolved.entered, entry.resolved.entered_unit) == (Decimal(2900), "/mm3")
    actions.approve(nurse, c1, [entry.value.pk])
    panel = LabPanel.objects.get(form_status__event="C2")
    assert (panel.neutrophils_entered, panel.neutrophils_unit) == (2900, "/mm3")
    assert panel.neutrophils_lln == 1800  # still read in the unit it was typed in


def test_implausible_and_bounded_values_are_blocked(nurse, c1, bdx):
    text = (
        "participant;sampled_at;test;value;unit\n"
        "BDX-001;26/12/2025;Plaquettes;5000;G/L\n"
        "BDX-001;26/12/2025;Bilirubine;<3;µmol/L\n"
    )
    outcome = actions.import_file(nurse, "x.csv", text.encode(), site=bdx)
    # 5000 G/L: beyond the plausible, and tenfold from C1's 250 G/L too.
    assert [e.flags for e in outcome.entries] == [
        [flags.IMPLAUSIBLE, flags.TENFOLD],
        [flags.NOT_A_RESULT],
    ]
    for entry in outcome.entries:
        with pytest.raises(ActionRefused, match="cannot be approved"):
            actions.approve(nurse, c1, [entry.value.pk])
    assert not LabPanel.objects.filter(form_status__event="C2").exists()


def test_two_values_of_one_test_for_one_panel_are_decided_one_by_one(nurse, c1, bdx):
    text = (
        "participant;sampled_at;test;value;unit\n"
        "BDX-001;26/12/2025 07:45;Hb;13,1;g/dL\n"
        "BDX-001;26/12/2025 09:00;Hb;13,4;g/dL\n"
    )
    actions.import_file(nurse, "two.csv", text.encode(), site=bdx)
    ids, _ = pending_ids(c1)
    with pytest.raises(ActionRefused, match="one by one"):
        actions.approve(nurse, c1, ids)
    assert not LabPanel.objects.filter(form_status__event="C2").exists()
    actions.reject(nurse, c1, ids[:1], reason="the 09:00 sample is the one reported")
    actions.approve(nurse, c1, ids[1:])
    assert LabPanel.objects.get(form_status__event="C2").haemoglobin_g_dl == Decimal("13.40")


def test_a_panel_saved_since_the_queue_was_shown_is_refused(nurse, c1, bdx):
    import_data(nurse, "tenfold.csv", site=bdx)
    ids, group = pending_ids(c1)
    seen = {group.row.pk: group.row.version}
    save(nurse, c1, "C2", "LAB", typed(albumin_g_l="40"), complete=False)
    with pytest.raises(StaleVersion):
        actions.approve(nurse, c1, ids, confirmed=True, versions=seen)
    actions.approve(nurse, c1, ids, confirmed=True, versions={group.row.pk: 1})
    assert LabPanel.objects.get(form_status__event="C2").albumin_g_l == 40


def test_rejection_needs_a_reason_and_a_decided_value_is_decided_once(nurse, c1, bdx):
    import_data(nurse, "single_observation.json", site=bdx)
    value = ImportedLabValue.objects.get()
    with pytest.raises(ReasonRequired):
        actions.reject(nurse, c1, [value.pk], reason="  ")
    actions.reject(nurse, c1, [value.pk], reason="haemolysed sample")
    value.refresh_from_db()
    assert (value.state, value.rejection_reason, value.decided_by) == (
        ValueState.REJECTED,
        "haemolysed sample",
        nurse,
    )
    event = event_model_for(ImportedLabValue).objects.filter(pgh_obj_id=value.pk).last()
    assert event.edc_context["reason"] == "haemolysed sample"
    for decide in (
        lambda: actions.approve(nurse, c1, [value.pk]),
        lambda: actions.reject(nurse, c1, [value.pk], reason="again"),
    ):
        with pytest.raises(ActionRefused, match="decided"):
            decide()
    assert not LabPanel.objects.filter(form_status__event="C2").exists()


def test_only_the_site_staff_who_enter_data_decide(
    monitor, data_manager, tls_nurse, nurse, c1, bdx
):
    import_data(nurse, "single_observation.json", site=bdx)
    value = ImportedLabValue.objects.get()
    for user in (monitor, data_manager):
        with pytest.raises(ActionRefused, match="enter data"):
            actions.approve(user, c1, [value.pk])
        with pytest.raises(ActionRefused, match="enter data"):
            actions.reject(user, c1, [value.pk], reason="no")
    with pytest.raises(ActionRefused, match="not in your sites"):
        actions.approve(tls_nurse, c1, [value.pk])
    with pytest.raises(ActionRefused, match="not in this participant's queue"):
        actions.approve(nurse, c1, [value.pk, 10**9])
    assert ImportedLabValue.objects.get().is_pending


def test_a_locked_panel_refuses_the_approval(nurse, data_manager, c1, bdx):
    import_data(nurse, "single_observation.json", site=bdx)
    row = c1.forms.get(event="C2", form="LAB")
    trial_actions.lock_form(data_manager, row, reason="data verified")
    value = ImportedLabValue.objects.get()
    with pytest.raises(trial_actions.Locked):
        actions.approve(nurse, c1, [value.pk])
    assert ImportedLabValue.objects.get().is_pending


def test_the_lab_forms_own_checks_refuse_what_it_refuses(nurse, c1, bdx):
    # A panel chosen by hand for a value it cannot hold: eligibility labs after C4 only.
    save(nurse, c1, "C2", "CYCLE", {"dose_modification": "none"}, complete=False)
    import_data(nurse, "single_observation.json", site=bdx)
    value = ImportedLabValue.objects.get()
    trial_actions.change_journey(nurse, c1, dates={"C4": date(2025, 12, 28)})
    elig = FormStatus.objects.get(participant=c1, event="ELIG", form="LAB")
    actions.choose_panel(nurse, c1, [value.pk], elig)
    with pytest.raises(ActionRefused, match="Eligibility labs must be sampled after cycle 4"):
        actions.approve(nurse, c1, [value.pk])
    assert not LabPanel.objects.filter(form_status=elig).exists()
