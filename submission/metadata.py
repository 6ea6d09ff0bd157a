"""What a dataset and its variables are, once: the Dataset-JSON columns, the XPT labels and
the Define-XML ItemGroupDef / ItemDef / CodeList / MethodDef are all written from these.

Pure Python, no Django import: a domain module declares its `Domain` as data, then maps the
trial's data into records (dicts keyed by variable name).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# A variable's kind says how its values are written in each format.
# kind: (Dataset-JSON dataType, Define-XML DataType, numeric in XPT)
KINDS: dict[str, tuple[str, str, bool]] = {
    "text": ("string", "text", False),
    "integer": ("integer", "integer", True),
    "float": ("double", "float", True),
    # ISO 8601 text in every format. Complete dates and date-times have their own types; a
    # column that may hold a truncated value ("2026", "2026-03-02" beside "...T10:30") is a
    # string in Dataset-JSON, whose types are complete ones only.
    "date": ("date", "date", False),
    "datetime": ("datetime", "datetime", False),
    "partialDate": ("string", "partialDate", False),
    "partialDatetime": ("string", "partialDatetime", False),
}

# SAS XPORT version 5 limits (the FDA's transport format).
XPT_NAME_MAX = 8
XPT_LABEL_MAX = 40
XPT_TEXT_MAX = 200


@dataclass(frozen=True)
class Codelist:
    """Controlled terminology a variable takes its values from.

    `terms` are the submission values used by this trial (with a decode where the value is a
    code). `nci` is the NCI code of the CDISC CT codelist when the list is (a subset of) one;
    a sponsor-defined list has none.
    """

    oid: str
    name: str
    terms: tuple[tuple[str, str], ...]  # (submission value, decode or "")
    nci: str = ""
    data_type: str = "text"
    # An external dictionary instead of terms (Define-XML ExternalCodeList): e.g. CTCAE 5.0.
    dictionary: str = ""
    version: str = ""

    @property
    def values(self) -> frozenset[str]:
        return frozenset(value for value, _decode in self.terms)


@dataclass(frozen=True)
class Origin:
    """Define-XML 2.1 def:Origin: Collected (with the CRF pages), Derived (with its method),
    Assigned (by the sponsor: constants, sequence numbers) or Protocol."""

    type: str
    source: str = ""
    # The forms (schedule codes) the value was entered on: named destinations of the CRF book.
    pages: tuple[str, ...] = ()
    # For a derived value: what the method computes, in words (its MethodDef).
    method: str = ""


def collected(*pages: str) -> Origin:
    return Origin("Collected", "Investigator", pages=pages)


def derived(method: str) -> Origin:
    return Origin("Derived", "Sponsor", method=method)


ASSIGNED = Origin("Assigned", "Sponsor")
PROTOCOL = Origin("Protocol", "Sponsor")


@dataclass(frozen=True)
class ValueSpec:
    """Value-level metadata: the variable's values where `where` equals `equals` (e.g.
    RSORRES where RSTESTCD is OVRLRESP) have their own origin (Define-XML ValueListDef)."""

    where: str
    equals: str
    origin: Origin
    label: str = ""


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    kind: str
    origin: Origin
    role: str = "Record Qualifier"
    # SDTMIG core: Req (never null), Exp (present, may be null), Perm.
    core: str = "Perm"
    codelist: Codelist | None = None
    comment: str = ""
    values: tuple[ValueSpec, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: unknown kind {self.kind!r}")
        if len(self.name) > XPT_NAME_MAX or not self.name.isupper():
            raise ValueError(f"{self.name}: SDTM names are upper case, {XPT_NAME_MAX} at most")
        if len(self.label) > XPT_LABEL_MAX:
            raise ValueError(f"{self.name}: label over {XPT_LABEL_MAX} characters")

    @property
    def json_type(self) -> str:
        return KINDS[self.kind][0]

    @property
    def define_type(self) -> str:
        return KINDS[self.kind][1]

    @property
    def numeric(self) -> bool:
        return KINDS[self.kind][2]


@dataclass(frozen=True)
class Domain:
    code: str
    label: str
    # Define-XML def:Class (SDTM observation class).
    klass: str
    structure: str
    variables: tuple[Variable, ...]
    # A sponsor-defined (custom) domain: built on the SDTM findings model, not in the IG, so
    # define.xml flags it def:IsNonStandard and names no standard for it.
    custom: bool = False
    comment: str = ""
    # The natural key of a record (Define-XML KeySequence), after STUDYID and USUBJID.
    keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = [v.name for v in self.variables]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.code}: a variable is declared twice")
        for key in self.key_names:
            if key not in names:
                raise ValueError(f"{self.code}: key {key} is not a variable")
        if len(self.label) > XPT_LABEL_MAX:
            raise ValueError(f"{self.code}: label over {XPT_LABEL_MAX} characters")

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variables]

    @property
    def file_stem(self) -> str:
        return self.code.lower()

    @property
    def key_names(self) -> tuple[str, ...]:
        return ("STUDYID", "USUBJID", *self.keys)

    def key_sequence(self, name: str) -> int | None:
        return self.key_names.index(name) + 1 if name in self.key_names else None


def item_oid(domain: str, name: str) -> str:
    return f"IT.{domain}.{name}"


def group_oid(domain: str) -> str:
    return f"IG.{domain}"


def number(value: Any) -> int | float | None:
    """A stored number as the datasets hold it: an int stays an int, a Decimal becomes the
    nearest double (what XPT and JSON numbers carry)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("a yes/no item is written Y or N, not as a number")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return float(value)


def yes_no(value: bool | None) -> str | None:
    """SDTM's NY codelist: Y, N, or null when unanswered."""
    if value is None:
        return None
    return "Y" if value else "N"


def text_length(records: list[dict[str, Any]], name: str) -> int:
    """The longest value of a text variable in bytes (UTF-8, as XPT stores it), at least 1."""
    return max([1, *(len(str(r[name]).encode()) for r in records if r.get(name) is not None)])


def number_shape(records: list[dict[str, Any]], name: str) -> tuple[int, int]:
    """(digits, digits after the point) of a numeric variable's longest value: Define-XML's
    Length and SignificantDigits."""
    length, decimals = 1, 0
    for record in records:
        value = record.get(name)
        if value is None:
            continue
        text = repr(value) if isinstance(value, float) else str(value)
        if "e" in text or "E" in text:
            text = format(Decimal(text), "f")
        whole, _point, fraction = text.lstrip("-").partition(".")
        fraction = fraction.rstrip("0") if isinstance(value, float) else fraction
        decimals = max(decimals, len(fraction))
        length = max(length, len(whole) + len(fraction))
    return length, decimals
