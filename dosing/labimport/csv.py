"""Reading a lab's CSV export, whose columns each site names (SiteCsvColumns).

One result per line: participant (code or hospital identifier), sample date and time, test code
or name, value, unit, and optionally the lab's reference range. Semicolon, comma or tab
separated (found from the header unless the site says); UTF-8, or Windows-1252 as French lab
software often writes. Dates are ISO 8601 or day first (05/01/2026 08:30), numbers take a
decimal comma. Every line is checked, so a refusal lists every problem at once.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from dosing.labimport.mapping import fold
from dosing.labimport.observations import Observation, Problem, Reading

# More lines than a lab sends in one export: a larger file is refused, not read into memory.
MAX_LINES = 20_000
DELIMITERS = (";", ",", "\t")


@dataclass(frozen=True)
class Columns:
    """The header of each column, as the site's lab writes it."""

    participant: str = "participant"
    sampled_at: str = "sampled_at"
    code: str = "test"
    value: str = "value"
    unit: str = "unit"
    low: str = "low"  # optional columns: the reference range
    high: str = "high"
    delimiter: str = ""  # "" finds it from the header

    def required(self) -> dict[str, str]:
        return {
            "participant": self.participant,
            "sampled_at": self.sampled_at,
            "code": self.code,
            "value": self.value,
            "unit": self.unit,
        }


def read(content: bytes, columns: Columns | None = None) -> Reading:
    """The observations of a CSV file, or the problems that refuse it."""
    columns = columns or Columns()
    reading = Reading("csv")
    text = _decode(content)
    if text is None:
        reading.problems.append(Problem("", _("The file is neither UTF-8 nor Windows-1252 text.")))
        return reading
    lines = text.splitlines()
    header_line = next((line for line in lines if line.strip()), "")
    if not header_line:
        reading.problems.append(Problem("", _("The file is empty.")))
        return reading
    delimiter = columns.delimiter or max(DELIMITERS, key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(row for row in reader if any(cell.strip() for cell in row))
    except csv.Error as error:
        reading.problems.append(Problem(_("line %(line)s") % {"line": 1}, str(error)))
        return reading
    positions = {fold(name): index for index, name in enumerate(header)}
    index: dict[str, int] = {}
    for key, name in columns.required().items():
        if fold(name) in positions:
            index[key] = positions[fold(name)]
        else:
            reading.problems.append(
                Problem(
                    _("header"),
                    _("the column %(name)s is missing (found: %(found)s).")
                    % {"name": f"“{name}”", "found": ", ".join(f"“{h}”" for h in header)},
                )
            )
    for key, name in (("low", columns.low), ("high", columns.high)):
        if name and fold(name) in positions:
            index[key] = positions[fold(name)]
    if reading.problems:
        return reading
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(reading.observations) + len(reading.problems) >= MAX_LINES:
                reading.problems.append(
                    Problem("", _("More than %(max)s lines: split the file.") % {"max": MAX_LINES})
                )
                break
            _read_line(reading, reader.line_num, row, index, header)
    except csv.Error as error:
        reading.problems.append(Problem(_("line %(line)s") % {"line": reader.line_num}, str(error)))
    if not reading.observations and not reading.problems:
        reading.problems.append(Problem("", _("The file has a header but no result line.")))
    return reading


def _decode(content: bytes) -> str | None:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _read_line(
    reading: Reading, line: int, row: list[str], index: dict[str, int], header: list[str]
) -> None:
    where = _("line %(line)s") % {"line": line}
    before = len(reading.problems)

    def cell(key: str) -> str:
        position = index.get(key)
        return row[position].strip() if position is not None and position < len(row) else ""

    def problem(key: str, message: str) -> None:
        column = header[index[key]]
        reading.problems.append(Problem(f"{where}, “{column}”", message))

    if len(row) < len(header):
        reading.problems.append(
            Problem(
                where,
                _("%(found)s columns where the header has %(expected)s.")
                % {"found": len(row), "expected": len(header)},
            )
        )
        return
    subject, code = cell("participant"), cell("code")
    if not subject:
        problem("participant", _("the participant is missing."))
    if not code:
        problem("code", _("the test is missing."))
    sampled = parse_datetime(cell("sampled_at"))
    if sampled is None:
        problem(
            "sampled_at",
            _("%(value)s is not a date (2026-01-05 08:30 or 05/01/2026 08:30).")
            % {"value": f"“{cell('sampled_at')}”"},
        )
    comparator, value = parse_number(cell("value"))
    if value is None:
        problem("value", _("%(value)s is not a number.") % {"value": f"“{cell('value')}”"})
    limits = {}
    for key in ("low", "high"):
        text = cell(key)
        bound_comparator, bound = parse_number(text) if text else ("", None)
        if text and (bound is None or bound_comparator):
            problem(key, _("%(value)s is not a number.") % {"value": f"“{text}”"})
        limits[key] = bound
    if len(reading.problems) > before:
        return
    # Every problem above returned: the date and the value are present.
    assert sampled is not None and value is not None
    reading.observations.append(
        Observation(
            position=line,
            subject_system="",
            subject=subject,
            code_system="",
            code=code,
            display="",
            sample_date=sampled.date() if isinstance(sampled, datetime) else sampled,
            sampled_at=sampled if isinstance(sampled, datetime) else None,
            value=value,
            unit=cell("unit"),
            comparator=comparator,
            low=limits["low"],
            high=limits["high"],
            range_unit=cell("unit"),
            status="",
        )
    )


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
_DAY_FIRST = re.compile(
    r"^(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})"
    r"(?:[ T](?P<H>\d{1,2})[:h](?P<M>\d{2})(?::(?P<S>\d{2}))?)?$"
)


def parse_datetime(text: str) -> date | datetime | None:
    """A date, or a date and time (naive: in the site's time zone, unless it has an offset)."""
    text = text.strip()
    try:
        if _ISO.match(text):
            if len(text) == 10:
                return date.fromisoformat(text)
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        found = _DAY_FIRST.match(text)
        if found:
            parts = {k: int(v) for k, v in found.groupdict().items() if v is not None}
            day = date(parts["y"], parts["m"], parts["d"])
            if "H" not in parts:
                return day
            return datetime(day.year, day.month, day.day, parts["H"], parts["M"], parts.get("S", 0))
    except ValueError:
        return None
    return None


_NUMBER = re.compile(r"^(?P<comparator><=|>=|≤|≥|<|>)?(?P<number>[+-]?\d+(?:[.,]\d+)?)$")
_COMPARATORS = {"≤": "<=", "≥": ">="}
# Thousands separators labs print: spaces, no-break and thin spaces.
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]")


def parse_number(text: str) -> tuple[str, Decimal | None]:
    """A lab number: a decimal point or comma, spaces between thousands, and an optional
    comparator ("<5" is a bound, not a result). ("", None) when it is not one."""
    found = _NUMBER.match(_SPACES.sub("", text))
    if not found:
        return "", None
    try:
        number = Decimal(found["number"].replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return "", None
    comparator = found["comparator"] or ""
    return _COMPARATORS.get(comparator, comparator), number
