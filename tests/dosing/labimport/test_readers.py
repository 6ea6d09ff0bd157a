"""Reading the files: a FHIR Bundle or Observation, a lab's CSV. A file with any problem is
refused whole, every problem listed with its entry or line and its field or column."""

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from dosing.labimport import csv as csv_reader
from dosing.labimport import fhir
from dosing.labimport.observations import LOINC_SYSTEM, PARTICIPANT_SYSTEM
from tests.dosing.labimport.conftest import HOSPITAL_SYSTEM, data


def problems(reading) -> list[str]:
    assert not reading.observations or reading.problems, "refused with nothing listed"
    return [str(problem) for problem in reading.problems]


# --- FHIR --------------------------------------------------------------------------------------


def test_a_bundle_gives_every_observation_as_the_file_says_it():
    reading = fhir.read(data("bundle_two_participants.json"))
    assert reading.problems == [] and len(reading.observations) == 14
    first = reading.observations[0]
    assert (first.position, first.subject_system, first.subject) == (
        1,
        PARTICIPANT_SYSTEM,
        "BDX-001",
    )
    assert (first.code_system, first.code) == (LOINC_SYSTEM, "718-7")
    assert first.value == Decimal("13.1") and str(first.value) == "13.1"  # read as decimal
    assert (first.unit, first.low, first.high) == ("g/dL", Decimal(12), Decimal(16))
    paris = timezone(timedelta(hours=1))
    assert first.sampled_at == datetime(2025, 12, 26, 7, 45, tzinfo=paris)
    assert first.sample_date == date(2025, 12, 26)
    assert first.resource_id == "o1" and first.status == "final"
    by_hospital = reading.observations[11]
    assert (by_hospital.subject_system, by_hospital.subject) == (HOSPITAL_SYSTEM, "IPP-778812")
    assert (by_hospital.value, by_hospital.unit) == (Decimal(132), "g/L")


def test_a_lone_observation_is_read_as_one():
    reading = fhir.read(data("single_observation.json"))
    assert reading.problems == []
    assert [(o.position, o.value) for o in reading.observations] == [(1, Decimal("12.4"))]


def test_unreadable_json_is_refused_with_where_it_breaks():
    assert problems(fhir.read(data("unreadable.json"))) == [
        "line 3, column 1: The file is not readable JSON."
    ]
    assert problems(fhir.read(b"\xff\xfe{")) == ["The file is not UTF-8 text."]


def test_a_resource_other_than_an_observation_is_refused_by_its_entry():
    assert problems(fhir.read(data("not_observation.json"))) == [
        "entry 1 (pat): Patient is not an Observation; a lab file holds Observations only."
    ]
    found = problems(fhir.read(json.dumps({"resourceType": "Patient"}).encode()))
    assert found == ["Expected a FHIR Bundle of Observations or one Observation, found Patient."]


def test_a_missing_subject_is_refused_by_its_entry():
    [message] = problems(fhir.read(data("missing_subject.json")))
    assert message.startswith("entry 2 (o2): subject: the participant is missing")


def test_invalid_fields_are_named_with_their_entry_all_at_once():
    assert problems(fhir.read(data("invalid_fields.json"))) == [
        "entry 1 (o1): valueQuantity.value: Decimal value string does not match spec regex.",
        "entry 2 (o2): effectiveDateTime: DateTime value string does not match spec regex.",
    ]


def observation(**changes):
    base = json.loads(data("single_observation.json"))
    base.update(changes)
    return json.dumps({k: v for k, v in base.items() if v is not None}).encode()


def test_an_observation_needs_a_full_sample_date_a_numeric_value_and_a_test():
    assert problems(fhir.read(observation(effectiveDateTime="2025-12"))) == [
        "Observation: effectiveDateTime: 2025-12 is not a full date."
    ]
    assert problems(fhir.read(observation(effectiveDateTime=None))) == [
        "Observation: effectiveDateTime: the sample date is missing."
    ]
    assert problems(fhir.read(observation(valueQuantity=None, valueString="positive"))) == [
        "Observation: valueQuantity: the observation has no numeric value."
    ]
    no_code = {"coding": [{"system": LOINC_SYSTEM, "display": "Hemoglobin"}]}
    assert problems(fhir.read(observation(code=no_code))) == [
        "Observation: code: the observation names no test."
    ]
    missing_status = problems(fhir.read(observation(status=None)))
    assert missing_status == ["Observation: status: Value for the field 'status' is required."]


def test_a_date_without_time_and_a_bound_are_read_as_such():
    reading = fhir.read(
        observation(
            effectiveDateTime="2025-12-26",
            valueQuantity={"value": 3, "comparator": "<", "unit": "umol/L", "code": "umol/L"},
        )
    )
    [found] = reading.observations
    assert (found.sample_date, found.sampled_at) == (date(2025, 12, 26), None)
    assert (found.comparator, found.value, found.unit) == ("<", Decimal(3), "umol/L")


def test_a_test_named_by_text_only_is_read_as_a_name():
    [found] = fhir.read(observation(code={"text": "Hémoglobine"})).observations
    assert (found.code_system, found.code) == ("", "Hémoglobine")


def test_a_bundle_without_entries_is_refused():
    empty = {"resourceType": "Bundle", "type": "collection", "entry": []}
    assert problems(fhir.read(json.dumps(empty).encode())) == ["Bundle: The bundle has no entry."]


# --- CSV ---------------------------------------------------------------------------------------


def test_a_french_lab_csv_is_read_with_decimal_commas_and_day_first_dates():
    reading = csv_reader.read(data("panel_bdx.csv"))
    assert reading.problems == [] and len(reading.observations) == 13
    first = reading.observations[0]
    assert (first.position, first.subject, first.code) == (2, "BDX-001", "Hémoglobine")
    assert (first.value, first.unit, first.low, first.high) == (
        Decimal("13.1"),
        "g/dL",
        Decimal(12),
        Decimal(16),
    )
    assert first.sampled_at == datetime(2025, 12, 26, 7, 45)  # naive: the site's time zone
    inr = reading.observations[10]
    assert (inr.code, inr.value, inr.unit, inr.low) == ("INR", Decimal("1.05"), "", None)
    iso = reading.observations[11]
    assert (iso.subject, iso.sampled_at) == ("BDX-002", datetime(2025, 12, 29, 8, 10))


def test_the_columns_are_the_sites_and_the_separator_is_found_from_the_header():
    columns = csv_reader.Columns(
        participant="IPP",
        sampled_at="Date prélèvement",
        code="Analyse",
        value="Résultat",
        unit="Unité",
        low="",
        high="",
    )
    text = "Résultat,Unité,IPP,Analyse,Date prélèvement\n250 000,/mm3,IPP-1,PLT,2025-12-26\n"
    reading = csv_reader.read(text.encode("cp1252"), columns)  # Windows-1252, as labs write
    [found] = reading.observations
    assert (found.subject, found.code, found.value) == ("IPP-1", "PLT", Decimal(250000))
    assert (found.sample_date, found.sampled_at) == (date(2025, 12, 26), None)
    tabbed = csv_reader.read(
        b"participant\tsampled_at\ttest\tvalue\tunit\nBDX-001\t2025-12-26T07:45+01:00\tHb\t<5\tg/dL\n"
    )
    [bound] = tabbed.observations
    assert (bound.comparator, bound.value) == ("<", Decimal(5))
    assert bound.sampled_at.utcoffset() == timedelta(hours=1)


def test_a_missing_column_is_refused_naming_it():
    assert problems(csv_reader.read(data("missing_column.csv"))) == [
        "header: the column “unit” is missing (found: “participant”, “sampled_at”, “test”, "
        "“value”, “low”, “high”)."
    ]


def test_bad_numbers_are_refused_by_line_and_column_all_at_once():
    assert problems(csv_reader.read(data("bad_number.csv"))) == [
        "line 2, “value”: “13,1,2” is not a number.",
        "line 3, “value”: “environ 200” is not a number.",
        "line 4, “high”: “quarante” is not a number.",
    ]


def test_bad_dates_are_refused_by_line_and_column():
    assert problems(csv_reader.read(data("bad_date.csv"))) == [
        "line 2, “sampled_at”: “32/12/2025 07:45” is not a date (2026-01-05 08:30 or "
        "05/01/2026 08:30).",
        "line 3, “sampled_at”: “hier” is not a date (2026-01-05 08:30 or 05/01/2026 08:30).",
    ]


def test_empty_files_short_lines_and_missing_cells_are_refused():
    assert problems(csv_reader.read(b"")) == ["The file is empty."]
    header = b"participant;sampled_at;test;value;unit\n"
    assert problems(csv_reader.read(header)) == ["The file has a header but no result line."]
    assert problems(csv_reader.read(header + b"BDX-001;2025-12-26;Hb\n")) == [
        "line 2: 3 columns where the header has 5."
    ]
    assert problems(csv_reader.read(header + b";2025-12-26;;13;g/dL\n")) == [
        "line 2, “participant”: the participant is missing.",
        "line 2, “test”: the test is missing.",
    ]


def test_numbers_as_labs_print_them():
    assert csv_reader.parse_number("13,1") == ("", Decimal("13.1"))
    assert csv_reader.parse_number("250\u202f000") == ("", Decimal(250000))
    assert csv_reader.parse_number("≤ 3") == ("<=", Decimal(3))
    assert csv_reader.parse_number("1,234.5") == ("", None)
    assert csv_reader.parse_number("1e5") == ("", None)
    assert csv_reader.parse_number("") == ("", None)


def test_dates_as_labs_print_them():
    assert csv_reader.parse_datetime("05/01/2026") == date(2026, 1, 5)
    assert csv_reader.parse_datetime("5.1.2026 8h05") == datetime(2026, 1, 5, 8, 5)
    assert csv_reader.parse_datetime("2026-01-05 08:30:15") == datetime(2026, 1, 5, 8, 30, 15)
    assert csv_reader.parse_datetime("2026-02-30") is None
    assert csv_reader.parse_datetime("01/13/2026") is None  # day first: there is no month 13
