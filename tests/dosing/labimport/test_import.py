"""Importing a file into the queue: FHIR and CSV of several participants queue every value; a
file with any problem queues nothing and lists every problem; the same file twice queues
nothing new; a dry run writes nothing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dosing.labimport import actions, flags, queue
from dosing.labimport.models import ImportedLabValue, LabImportFile, ValueState
from tests.dosing.labimport.conftest import HOSPITAL_SYSTEM, data, import_data
from trial.actions import ActionRefused
from trial.history import event_model_for


def nothing_written():
    return not LabImportFile.objects.exists() and not ImportedLabValue.objects.exists()


def test_a_fhir_bundle_of_two_participants_is_queued_whole(nurse, c1, second, bdx):
    outcome = import_data(nurse, "bundle_two_participants.json", site=bdx)
    assert not outcome.refused and outcome.queued == 14
    assert [p.code for p in outcome.participants] == ["BDX-001", "BDX-002"]
    imported = LabImportFile.objects.get()
    assert (imported.name, imported.kind, imported.observation_count) == (
        "bundle_two_participants.json",
        "fhir",
        14,
    )
    assert bytes(imported.content) == data("bundle_two_participants.json")
    assert imported.imported_by == nurse and imported.site == bdx
    assert c1.imported_lab_values.count() == 11
    # BDX-002 is named by the hospital's patient number, linked on its queue page.
    hb = second.imported_lab_values.get(code="718-7")
    assert (hb.value, hb.unit, hb.low, hb.high) == (Decimal(132), "g/L", 120, 160)
    assert (hb.file, hb.position, hb.resource_id) == (imported, 12, "o12")
    assert hb.state == ValueState.PENDING
    # Every value's panel is its sample date's window: C2 for both.
    entries = {entry.value.code: entry for entry in outcome.entries}
    assert {entry.row.event for entry in outcome.entries} == {"C2"}
    assert entries["718-7"].flags == [] and entries["777-3"].flags == []


def test_the_import_is_audited_with_the_file_as_its_reason(nurse, c1, bdx):
    outcome = import_data(nurse, "single_observation.json", site=bdx)
    value = ImportedLabValue.objects.get()
    event = event_model_for(ImportedLabValue).objects.get(pgh_obj_id=value.pk)
    meta = event.edc_context
    assert meta["reason"] == f"imported from single_observation.json (sha256 {outcome.sha256})"
    assert meta["user"] == nurse.pk
    assert event_model_for(LabImportFile).objects.filter(pgh_obj_id=outcome.file.pk).exists()


def test_a_lab_csv_of_two_participants_is_queued_whole(nurse, c1, second, bdx):
    outcome = import_data(nurse, "panel_bdx.csv", site=bdx)
    assert outcome.queued == 13 and outcome.kind == "csv"
    value = c1.imported_lab_values.get(code="Hémoglobine")
    assert value.sampled_at == timezone.make_aware(
        timezone.datetime(2025, 12, 26, 7, 45), timezone.get_fixed_timezone(60)
    )
    assert second.imported_lab_values.count() == 2


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("unreadable.json", ["line 3, column 1: The file is not readable JSON."]),
        (
            "not_observation.json",
            ["entry 1 (pat): Patient is not an Observation; a lab file holds Observations only."],
        ),
        ("missing_subject.json", ["entry 2 (o2): subject: the participant is missing"]),
        ("unknown_participant.json", ["entry 1: no participant “BDX-999” in your sites"]),
        ("invalid_fields.json", ["entry 1 (o1): valueQuantity.value", "entry 2 (o2): effective"]),
        ("missing_column.csv", ["header: the column “unit” is missing"]),
        ("bad_number.csv", ["line 2, “value”", "line 3, “value”", "line 4, “high”"]),
        ("bad_date.csv", ["line 2, “sampled_at”", "line 3, “sampled_at”"]),
    ],
)
def test_a_bad_file_is_refused_whole_with_every_problem(nurse, c1, bdx, name, expected):
    outcome = import_data(nurse, name, site=bdx)
    assert outcome.refused and outcome.queued == 0
    found = [str(problem) for problem in outcome.problems]
    assert len(found) == len(expected)
    for message, start in zip(found, expected, strict=True):
        assert message.startswith(start), (message, start)
    assert nothing_written()


def test_a_participant_of_another_site_is_unknown_to_a_nurse(tls_nurse, c1, tls):
    outcome = import_data(tls_nurse, "single_observation.json", site=tls)
    assert [str(p) for p in outcome.problems] == [
        "entry 1: no participant “BDX-001” in your sites (a participant code, or a hospital "
        "identifier linked to a participant)."
    ]
    with pytest.raises(ActionRefused, match="not one of yours"):
        import_data(tls_nurse, "single_observation.json", site=c1.site)
    assert nothing_written()


def test_a_sample_in_the_future_is_refused(nurse, c1, bdx):
    tomorrow = timezone.localdate() + timedelta(days=2)
    text = f"participant;sampled_at;test;value;unit\nBDX-001;{tomorrow.isoformat()};Hb;13;g/dL\n"
    outcome = actions.import_file(nurse, "future.csv", text.encode(), site=bdx)
    assert [str(p) for p in outcome.problems] == [
        f"line 2: the sample date {tomorrow.isoformat()} is in the future."
    ]
    assert nothing_written()


def test_an_unknown_loinc_code_or_unit_is_queued_flagged_and_cannot_be_approved(nurse, c1, bdx):
    outcome = import_data(nurse, "unknown_loinc.json", site=bdx)
    flagged = {entry.value.code: entry.flags for entry in outcome.entries}
    assert flagged == {"2951-2": [flags.UNKNOWN_CODE], "718-7": []}
    outcome = import_data(nurse, "unknown_unit.json", site=bdx)
    flagged = {entry.value.code: entry.flags for entry in outcome.entries}
    # Haemoglobin in mmol/L, and an INR of 92 % (a prothrombin time): % and INR kept apart.
    assert flagged == {"718-7": [flags.UNKNOWN_UNIT], "6301-6": [flags.UNKNOWN_UNIT]}
    sodium = ImportedLabValue.objects.get(code="2951-2")
    with pytest.raises(ActionRefused, match="cannot be approved: unknown test code"):
        actions.approve(nurse, c1, [sodium.pk])
    assert ImportedLabValue.objects.filter(state=ValueState.PENDING).count() == 4


def test_the_same_file_twice_queues_nothing_new_and_says_so(nurse, c1, bdx):
    first = import_data(nurse, "single_observation.json", site=bdx)
    again = actions.import_file(nurse, "renamed.json", data("single_observation.json"), site=bdx)
    assert again.already == first.file and again.queued == 0 and not again.refused
    assert ImportedLabValue.objects.count() == 1 and LabImportFile.objects.count() == 1


def test_a_dry_run_reads_checks_and_writes_nothing(nurse, c1, second, bdx):
    outcome = import_data(nurse, "bundle_two_participants.json", site=bdx, dry_run=True)
    assert len(outcome.entries) == 14 and outcome.queued == 0 and outcome.file is None
    assert nothing_written()
    assert not event_model_for(ImportedLabValue).objects.exists()


def test_the_same_result_from_another_file_is_flagged_duplicate(nurse, c1, second, bdx):
    import_data(nurse, "bundle_two_participants.json", site=bdx)
    # The lab's CSV names the tests its own way; the same results are still recognised.
    outcome = import_data(nurse, "panel_bdx.csv", site=bdx)
    duplicates = [e.label for e in outcome.entries if flags.DUPLICATE in e.flags]
    assert "Haemoglobin" in duplicates and "Platelets" in duplicates
    assert "Creatinine" not in duplicates  # 0.95 mg/dL there, 84 µmol/L here


def test_a_monitor_and_an_administrator_cannot_import(monitor, administrator, c1, bdx):
    for user in (monitor, administrator):
        with pytest.raises(ActionRefused, match="import lab results"):
            import_data(user, "single_observation.json", site=bdx)


def test_the_system_imports_for_every_site_and_a_data_manager_too(data_manager, c1, second):
    outcome = import_data(None, "bundle_two_participants.json")
    assert outcome.queued == 14 and outcome.file.imported_by is None
    again = import_data(data_manager, "panel_bdx.csv")
    assert again.queued == 13


def test_a_hospital_identifier_names_the_participant_in_a_sites_csv(
    nurse, data_manager, c1, second, bdx
):
    actions.save_csv_columns(
        data_manager,
        bdx,
        {
            "participant": "IPP",
            "sampled_at": "Prélevé le",
            "code": "Analyse",
            "value": "Résultat",
            "unit": "Unité",
            "low": "",
            "high": "",
            "delimiter": ";",
            "identifier_system": HOSPITAL_SYSTEM,
        },
    )
    text = "IPP;Prélevé le;Analyse;Résultat;Unité\nIPP-778812;29/12/2025 08:10;Hb;13,2;g/dL\n"
    outcome = actions.import_file(nurse, "export.csv", text.encode(), site=bdx)
    assert [e.value.participant for e in outcome.entries] == [second]
    unknown = text.replace("IPP-778812", "IPP-000001").encode()
    refused = actions.import_file(nurse, "other.csv", unknown, site=bdx)
    assert [str(p) for p in refused.problems][0].startswith("line 2: no participant “IPP-000001”")


def test_a_hospital_identifier_is_one_participants(nurse, c1, second):
    with pytest.raises(ActionRefused, match="already names a participant"):
        actions.add_identifier(nurse, c1, HOSPITAL_SYSTEM, "IPP-778812")
    with pytest.raises(ActionRefused, match="by their code"):
        actions.add_identifier(nurse, c1, "urn:edc:participant", "X")
    link = second.hospital_identifiers.get()
    with pytest.raises(ActionRefused, match="reason"):
        actions.remove_identifier(nurse, second, link.pk, reason=" ")
    actions.remove_identifier(nurse, second, link.pk, reason="wrong patient number")
    assert not second.hospital_identifiers.exists()


def test_a_value_sampled_in_no_window_waits_for_a_panel_chosen_by_hand(nurse, c1, bdx):
    text = "participant;sampled_at;test;value;unit\nBDX-001;2025-09-01;Hb;13,4;g/dL\n"
    outcome = actions.import_file(nurse, "old.csv", text.encode(), site=bdx)
    [entry] = outcome.entries
    assert entry.row is None and entry.flags == [flags.NO_WINDOW]
    with pytest.raises(ActionRefused, match="choose the panel"):
        actions.approve(nurse, c1, [entry.value.pk])
    elig = c1.forms.get(event="ELIG", form="LAB")
    actions.choose_panel(nurse, c1, [entry.value.pk], elig)
    [group] = queue.participant_queue(c1).groups
    assert group.row == elig and group.entries[0].chosen and group.entries[0].flags == []
    assert date(2025, 9, 1) == group.entries[0].value.sample_date
