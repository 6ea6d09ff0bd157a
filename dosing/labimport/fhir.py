"""Reading a FHIR R4 file: a Bundle of Observations, or a single Observation.

fhir.resources' R4B models (the R4 structure, maintained) validate each resource; every entry is
checked, so that a refusal lists every problem at once, each naming its entry and its field.
Beyond FHIR, an observation must name its participant by identifier, its sample time
(effectiveDateTime, a full date at least) and a numeric value (valueQuantity).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pydantic
from django.utils.translation import gettext as _
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation as FhirObservation

from dosing.labimport.observations import LOINC_SYSTEM, Observation, Problem, Reading


def read(content: bytes) -> Reading:
    """The observations of a FHIR JSON file, or the problems that refuse it."""
    reading = Reading("fhir")
    try:
        data = json.loads(content.decode("utf-8-sig"), parse_float=Decimal)
    except UnicodeDecodeError:
        reading.problems.append(Problem("", _("The file is not UTF-8 text.")))
        return reading
    except (json.JSONDecodeError, RecursionError) as error:
        where = (
            _("line %(line)s, column %(column)s") % {"line": error.lineno, "column": error.colno}
            if isinstance(error, json.JSONDecodeError)
            else ""
        )
        reading.problems.append(Problem(where, _("The file is not readable JSON.")))
        return reading
    kind = data.get("resourceType") if isinstance(data, dict) else None
    if kind == "Observation":
        _read_entry(reading, 1, "", data, lone=True)
    elif kind == "Bundle":
        _read_bundle(reading, data)
    else:
        reading.problems.append(
            Problem(
                "",
                _("Expected a FHIR Bundle of Observations or one Observation, found %(kind)s.")
                % {"kind": kind or _("no resourceType")},
            )
        )
    return reading


def _read_bundle(reading: Reading, data: dict) -> None:
    entries = data.get("entry") or []
    if not isinstance(entries, list):
        reading.problems.append(Problem("Bundle.entry", _("must be a list of entries.")))
        return
    try:
        Bundle.model_validate({**data, "entry": []})
    except pydantic.ValidationError as error:
        reading.problems += [
            Problem(f"Bundle.{_path(e['loc'])}", _message(e)) for e in _errors(error)
        ]
    if not entries:
        reading.problems.append(Problem("Bundle", _("The bundle has no entry.")))
    for number, entry in enumerate(entries, start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            reading.problems.append(Problem(_entry(number), _("The entry has no resource.")))
            continue
        full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else ""
        _read_entry(reading, number, full_url, resource)


def _entry(number: int, resource_id: str = "") -> str:
    if resource_id:
        return _("entry %(number)s (%(id)s)") % {"number": number, "id": resource_id}
    return _("entry %(number)s") % {"number": number}


def _read_entry(
    reading: Reading, number: int, full_url: str, resource: dict, *, lone: bool = False
) -> None:
    raw_id = resource.get("id")
    resource_id = raw_id if isinstance(raw_id, str) else ""
    where = _("Observation") if lone else _entry(number, resource_id or full_url)
    kind = resource.get("resourceType")
    if kind != "Observation":
        reading.problems.append(
            Problem(
                where,
                _("%(kind)s is not an Observation; a lab file holds Observations only.")
                % {"kind": kind or _("a resource without resourceType")},
            )
        )
        return
    try:
        observation = FhirObservation.model_validate(resource)
    except pydantic.ValidationError as error:
        reading.problems += [
            Problem(where, f"{_path(e['loc'])}: {_message(e)}") for e in _errors(error)
        ]
        return
    except (ValueError, TypeError, InvalidOperation) as error:  # outside pydantic's own checks
        reading.problems.append(Problem(where, str(error)))
        return
    found = _observation(where, number, resource_id, observation, reading.problems)
    if found is not None:
        reading.observations.append(found)


def _observation(
    where: str, number: int, resource_id: str, observation: Any, problems: list[Problem]
) -> Observation | None:
    before = len(problems)
    subject = observation.subject
    identifier = subject.identifier if subject is not None else None
    if identifier is None or not identifier.value or not identifier.system:
        problems.append(
            Problem(
                where,
                _(
                    "subject: the participant is missing; give subject.identifier with a system "
                    "and a value (urn:edc:participant and the participant code, or a hospital "
                    "identifier)."
                ),
            )
        )
    effective = observation.effectiveDateTime
    sample_date, sampled_at = None, None
    if effective is None:
        problems.append(Problem(where, _("effectiveDateTime: the sample date is missing.")))
    elif isinstance(effective, datetime):
        sampled_at, sample_date = effective, effective.date()
    elif isinstance(effective, date):
        sample_date = effective
    else:
        problems.append(
            Problem(
                where,
                _("effectiveDateTime: %(value)s is not a full date.") % {"value": effective},
            )
        )
    quantity = observation.valueQuantity
    if quantity is None or quantity.value is None:
        problems.append(Problem(where, _("valueQuantity: the observation has no numeric value.")))
    elif not quantity.value.is_finite():
        problems.append(Problem(where, _("valueQuantity.value: not a number.")))
    code_system, code, display = _code(observation)
    if not code:
        problems.append(Problem(where, _("code: the observation names no test.")))
    if len(problems) > before:
        return None
    # Every problem above returned: the identifier, the date and the quantity are present.
    assert identifier is not None and sample_date is not None
    low, high, range_unit = _reference_range(observation)
    return Observation(
        position=number,
        subject_system=identifier.system.strip(),
        subject=identifier.value.strip(),
        code_system=code_system,
        code=code,
        display=display,
        sample_date=sample_date,
        sampled_at=sampled_at,
        value=quantity.value,
        unit=(quantity.code or quantity.unit or "").strip(),
        comparator=quantity.comparator or "",
        low=low,
        high=high,
        range_unit=range_unit,
        status=observation.status or "",
        resource_id=resource_id,
    )


def _code(observation: Any) -> tuple[str, str, str]:
    """The LOINC coding if there is one, else the first coding, else the text (then read as a
    test name, as a CSV's)."""
    codings = (observation.code.coding if observation.code else None) or []
    text = (observation.code.text if observation.code else None) or ""
    for coding in codings:
        if coding.system == LOINC_SYSTEM and coding.code:
            return LOINC_SYSTEM, coding.code.strip(), coding.display or text
    for coding in codings:
        if coding.code:
            return (coding.system or "").strip(), coding.code.strip(), coding.display or text
    return "", text.strip(), text


def _reference_range(observation: Any) -> tuple[Decimal | None, Decimal | None, str]:
    ranges = observation.referenceRange or []
    if not ranges:
        return None, None, ""
    first = ranges[0]
    low = first.low.value if first.low is not None else None
    high = first.high.value if first.high is not None else None
    unit = ""
    for quantity in (first.low, first.high):
        if quantity is not None and (quantity.code or quantity.unit):
            unit = (quantity.code or quantity.unit).strip()
            break
    return low, high, unit


def _errors(error: pydantic.ValidationError) -> list[Any]:
    return list(error.errors(include_url=False))


def _path(loc: tuple) -> str:
    """pydantic's location as FHIR writes a path: referenceRange[0].low.value."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "Observation"


def _message(error: dict) -> str:
    message = str(error.get("msg", ""))
    return message.removeprefix("Value error, ")
