"""What a page rendered in French must not show (issue 25): raw codes, ISO dates and
timestamps, English month names, decimal points, values without their unit.

Pure functions over HTML and text (no Django): `texts(html)` reads what a user reads, each
`*_in(text)` detector returns the leaks of one kind found in one text, and `leaks(html)` runs
them all over a page. Text inside an element marked `lang="en"` (the CTCAE terms and grades,
English by design) is left out of every check; so is the content of <code>, which the pages
use only for identifiers a user types or quotes as they are (a participant code pattern, a
CSV column header, a SHA-256), never for data."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser

# The attributes a user reads (or hears, through a screen reader).
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)


@dataclass(frozen=True)
class Text:
    text: str
    english: bool = False  # inside lang="en"
    code: bool = False  # inside <code>, <kbd> or <samp>
    attribute: str | None = None
    tag: str = ""


@dataclass(frozen=True)
class Leak:
    kind: str
    found: str
    context: str

    def __str__(self) -> str:
        return f"[{self.kind}] {self.found!r} in {self.context[:140]!r}"


class _Reader(HTMLParser):
    """The text nodes (not <script>, <style>, <template>) and the read attributes, each with
    whether it is inside a lang="en" element or a <code>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[Text] = []
        self.lang: str | None = None
        self._stack: list[tuple[str, str | None]] = []  # (tag, lang it sets)

    def _english(self) -> bool:
        for _tag, lang in reversed(self._stack):
            if lang is not None:
                return lang.lower().startswith("en")
        return False

    def _code(self) -> bool:
        return any(tag in ("code", "kbd", "samp") for tag, _ in self._stack)

    def _raw(self) -> bool:
        return any(tag in ("script", "style", "template") for tag, _ in self._stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        if tag not in VOID:
            # The page's own language is `lang`; "English by design" is an element's mark.
            self._stack.append((tag, None if tag == "html" else attributes.get("lang")))
        if self._raw():
            return
        english = self._english()
        for name in READ_ATTRIBUTES:
            value = attributes.get(name)
            if value and value.strip():
                self.texts.append(Text(" ".join(value.split()), english, False, name, tag))
        if tag in VOID:
            self._pop_if(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self._pop_if(tag)

    def _pop_if(self, tag: str) -> None:
        if self._stack and self._stack[-1][0] == tag and tag not in VOID:
            self._stack.pop()

    def handle_endtag(self, tag):
        # Elements closed implicitly (<li>, <p>, <td>, <option>) are closed with their parent.
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                return

    def handle_data(self, data):
        if not self._raw() and data.strip():
            self.texts.append(Text(" ".join(data.split()), self._english(), self._code()))


def texts(html: str) -> tuple[list[Text], str | None]:
    """What a user reads of the page, and its <html lang>."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.texts, reader.lang


def french_texts(html: str) -> list[str]:
    """The texts the French checks read: neither English by design nor an identifier."""
    return [t.text for t in texts(html)[0] if not t.english and not t.code]


# --- raw codes -------------------------------------------------------------------------

_SNAKE = re.compile(r"(?<![\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-])")
_UPPER_SNAKE = re.compile(r"(?<![\w./-])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?![\w/-])")
_REPR = re.compile(
    r"(?<![\w-])(?:True|False|None)(?![\w-])|Decimal\('|datetime\.\w+\(|<\w+(?:\.\w+)*: |"
    r"\{'\w+': |\[\]|\{\}"
)


def raw_codes_in(text: str, codes: Iterable[str] = ()) -> list[str]:
    """snake_case and UPPER_SNAKE tokens (`weight_kg`, `not_started`), Python reprs
    (True/False/None, Decimal('…'), {'…': …}), and the given enum codes as whole words."""
    found = _SNAKE.findall(text) + _UPPER_SNAKE.findall(text) + _REPR.findall(text)
    for code in codes:
        if re.search(r"(?<![\w-])" + re.escape(code) + r"(?![\w-])", text):
            found.append(code)
    return found


# --- dates -------------------------------------------------------------------------------

_ISO = re.compile(
    r"(?<![\w-])\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"(?![\w-])"
)
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Sept",
    "Oct",
    "Nov",
    "Dec",
]
_ENGLISH_MONTH = re.compile(r"(?<![\w-])(" + "|".join(_MONTHS) + r")\.?(?![\w-])")
# French abbreviations are janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.;
# "Jui" (juin or juillet?) is a wrong cut of both.
_BAD_FRENCH_MONTH = re.compile(r"(?<![\w-])[Jj]ui\.?(?![\w-])")
_TWELVE_HOUR = re.compile(r"\b\d{1,2}(?::\d{2})?\s?(?:[AaPp]\.?[Mm]\.?)(?![\w])")


_ISO_MONTH = re.compile(r"(?<![\w-])\d{4}-(?:0[1-9]|1[0-2])(?![\w-])")


def iso_dates_in(text: str) -> list[str]:
    """ISO dates and timestamps (2026-12-04, 2026-12-04T10:00, 2026-12-04 10:00:00+00:00)
    and ISO months (2026-12)."""
    return _ISO.findall(text) + _ISO_MONTH.findall(text)


def english_months_in(text: str) -> list[str]:
    """English month names and abbreviations (Jul, Sept.), "Jui", and 12-hour times."""
    return (
        _ENGLISH_MONTH.findall(text) + _BAD_FRENCH_MONTH.findall(text) + _TWELVE_HOUR.findall(text)
    )


# --- numbers -----------------------------------------------------------------------------

# Names whose version numbers keep their point in every language (RECIST 1.1, ODM 1.3.2).
VERSIONED = (
    "axe-core",
    "RECIST",
    "CTCAE",
    "ODM",
    "SDTMIG",
    "SDTM",
    "Define-XML",
    "Dataset-JSON",
    "PDF/A",
    "FHIR",
    "HL7",
    "WCAG",
    "RGAA",
    "ICH",
    "v",
    "version",
    "Version",
)
_DECIMAL_POINT = re.compile(r"(?<![\w.,])(\d+\.\d+)(?![\w]|\.\d)")
_VERSION_BEFORE = re.compile(r"(?:" + "|".join(map(re.escape, VERSIONED)) + r")\s?$")


def decimal_points_in(text: str) -> list[str]:
    """Numbers written with a decimal point ("0.8", "4.2 h"): French writes "0,8", "4,2 h".
    Version numbers of named standards (RECIST 1.1) and dotted versions (1.3.2) are not
    numbers; neither is an IP address."""
    found = []
    for match in _DECIMAL_POINT.finditer(text):
        if _VERSION_BEFORE.search(text[: match.start()]):
            continue
        found.append(match.group(1))
    return found


_NUMBER = r"[-−]?\d+(?:[,.]\d+)?"


def unitless_values_in(text: str, units: dict[str, str]) -> list[str]:
    """Values shown without a unit where the label names a field that has one (best
    effort: `units` maps a label as the page shows it to its unit). Finds "Poids 70,4" and
    "Poids : 70,4 / 74,0" where no unit (any word or symbol) follows the number; a label
    that carries its unit in brackets ("Poids (kg) 70,4") has it."""
    found = []
    for label in units:
        pattern = re.compile(
            r"(?<![\w-])"
            + re.escape(label)
            + r"\s*[:=]?\s*("
            + _NUMBER
            + r"(?:\s*/\s*"
            + _NUMBER
            + r")?)(?=\s*(?:$|[;,.)]\s|[;,)]$|\.$))"
        )
        found += [f"{label} {m.group(1)}" for m in pattern.finditer(text)]
    return found


# --- English by design, unmarked --------------------------------------------------------


def unmarked_english_in(text: str, phrases: Iterable[str]) -> list[str]:
    """The phrases English by design (CTCAE terms and grades) found in a text that is not
    inside a lang="en" element: a screen reader would read them with French sounds."""
    return [
        p
        for p in phrases
        if p in text and re.search(r"(?<![\w-])" + re.escape(p) + r"(?![\w-])", text)
    ]


def without(text: str, verbatim: Iterable[str]) -> str:
    """The text with the given quoted texts taken out (what users typed, shown as typed)."""
    for quoted in verbatim:
        if quoted in text:
            text = re.sub(r"(?<![\w.,])" + re.escape(quoted) + r"(?![\w]|[.,]\d)", " ", text)
    return text


# --- a whole page ------------------------------------------------------------------------


def leaks(
    html: str,
    *,
    codes: Iterable[str] = (),
    units: dict[str, str] | None = None,
    marked_english: Iterable[str] = (),
    verbatim: Iterable[str] = (),
) -> list[Leak]:
    """Every leak of a page rendered in French, by kind. `codes`: enum codes to find as
    words; `units`: label -> unit of the fields that have one; `marked_english`: phrases that
    must be inside lang="en"; `verbatim`: texts users typed, left out (quoted as typed)."""
    codes, marked_english = tuple(codes), tuple(marked_english)
    verbatim = tuple(sorted(set(verbatim), key=len, reverse=True))
    found: list[Leak] = []
    for node in texts(html)[0]:
        # <time title> holds the instant in UTC for the curious, on hover, by design.
        if node.english or node.code or (node.tag == "time" and node.attribute == "title"):
            continue
        text = without(node.text, verbatim)
        checks = {
            "CTCAE text without lang=en": unmarked_english_in(text, marked_english),
            "ISO date": iso_dates_in(text),
            "English month": english_months_in(text),
            "decimal point": decimal_points_in(text),
            "value without unit": unitless_values_in(text, units or {}),
        }
        # Attributes hold ids and names by design only in the unread ones (value, name,
        # data-*), which are not read here; the read ones are text like any other.
        checks["raw code"] = raw_codes_in(text, codes)
        for kind, hits in checks.items():
            found += [Leak(kind, hit, text) for hit in hits]
    return found
