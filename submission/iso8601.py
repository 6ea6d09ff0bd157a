"""SDTM dates (--DTC) and study days (--DY), as SDTMIG 3.4 section 4.4 writes them.

Pure Python, no Django import.

- A date is YYYY-MM-DD, a date-time YYYY-MM-DDThh:mm (with :ss when the seconds are not
  zero), in the site's local time as collected: the EDC stores times in UTC and converts
  them back to the site's zone here; SDTM carries no offset.
- A partial date stays partial: "2026" or "2026-03" is written as it is, never completed to
  a first of the month. The CRFs hold complete dates only, except what the SDTM itself
  truncates on purpose (the birth year, BRTHDTC).
- Study day: the day of the reference start date (RFSTDTC) is day 1, the day before is
  day -1; there is no day 0. A day is computed only when both dates are complete.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

# A right-truncated ISO 8601 date or date-time, as SDTM allows it.
_ISO = re.compile(
    r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])"
    r"(T([01]\d|2[0-3])(:[0-5]\d(:[0-5]\d)?)?)?)?)?$"
)
_COMPLETE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def is_iso(text: str) -> bool:
    """Whether `text` is an ISO 8601 date or date-time as SDTM writes it (maybe truncated)."""
    return bool(_ISO.match(text))


def dtc(value: date | datetime | str | None, zone: ZoneInfo | None = None) -> str | None:
    """A --DTC value: None stays None; an aware date-time is converted to `zone` (the site's)
    first; a string must already be ISO 8601 (a partial date is kept as it is)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            if zone is None:
                raise ValueError("an aware date-time needs the site's time zone")
            value = value.astimezone(zone)
        text = value.strftime("%Y-%m-%dT%H:%M")
        return text + f":{value.second:02d}" if value.second else text
    if isinstance(value, date):
        return value.isoformat()
    if not is_iso(value):
        raise ValueError(f"not an ISO 8601 date: {value!r}")
    return value


def birth_year(value: date | None) -> str | None:
    """BRTHDTC: the year only (no date of birth leaves the EDC beyond its year)."""
    return None if value is None else f"{value.year:04d}"


def complete_date(text: str | None) -> date | None:
    """The date part of a --DTC value when it has one (YYYY-MM-DD...), else None."""
    if not text or not _COMPLETE_DATE.match(text):
        return None
    return date.fromisoformat(text[:10])


def study_day(value: str | None, reference: str | None) -> int | None:
    """--DY of a --DTC value against RFSTDTC: day 1 is the reference day, no day 0."""
    when, start = complete_date(value), complete_date(reference)
    if when is None or start is None:
        return None
    days = (when - start).days
    return days + 1 if days >= 0 else days
