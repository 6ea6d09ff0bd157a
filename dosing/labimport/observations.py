"""What a lab file says, once read: plain observations, and the problems that refuse a file.

Both readers (FHIR and CSV) return a `Reading`. A file with any problem is refused whole, every
problem listed; only a file without problems is queued. Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

# The identifier system that names a participant by its code (FHIR subject.identifier).
PARTICIPANT_SYSTEM = "urn:edc:participant"
LOINC_SYSTEM = "http://loinc.org"

# FHIR Observation statuses whose value is a result (the others are flagged).
FINAL_STATUSES = frozenset({"final", "amended", "corrected"})


@dataclass(frozen=True)
class Observation:
    """One lab value as the file gives it, nothing converted yet."""

    position: int  # the CSV line or the bundle entry (1 for a lone Observation)
    subject_system: str  # PARTICIPANT_SYSTEM, a hospital's identifier system, or "" (CSV)
    subject: str  # the participant code or the hospital identifier
    code_system: str  # LOINC_SYSTEM, or "" when a CSV names the test
    code: str
    display: str
    sample_date: date
    sampled_at: datetime | None  # None when the file gives only the date
    value: Decimal
    unit: str
    comparator: str = ""  # "<", "<=", ">=", ">": the value is a bound, not a result
    low: Decimal | None = None  # the lab's reference range, in range_unit
    high: Decimal | None = None
    range_unit: str = ""
    status: str = "final"
    resource_id: str = ""


@dataclass(frozen=True)
class Problem:
    """Why a file is refused: where (a line, an entry, a column) and what, in plain words."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass
class Reading:
    kind: str  # "fhir" or "csv"
    observations: list[Observation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.problems)
