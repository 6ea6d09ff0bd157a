"""The NCI CTCAE v5.0 term list (dosing/data/ctcae_v5.json) for the adverse-event form.

Terms are coded: they are stored and exported in English. A French display of a term (and of its
system organ class) comes from dosing/data/ctcae_v5_fr.json, keyed by MedDRA code: our own
translation, to be reviewed by the sponsor's pharmacovigilance (the official French MedDRA is
licensed). A term it lacks is shown in English.

Standard library only, loaded once per process on first use.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "ctcae_v5.json"
FRENCH_FILE = Path(__file__).resolve().parent / "data" / "ctcae_v5_fr.json"

# The source writes "-" for a grade that does not exist for a term (e.g. no grade 5).
_NOT_AVAILABLE = {"", "-"}
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Term:
    code: int
    term: str
    soc: str
    grades: dict[int, str]
    definition: str


def _text(value: str | None) -> str:
    text = (value or "").strip()
    return "" if text in _NOT_AVAILABLE else text


def _parse(row: dict) -> Term:
    grades = {grade: _text(row.get(f"Grade {grade}")) for grade in range(1, 6)}
    return Term(
        code=int(row["id"]),
        term=row["CTCAE Term"].strip(),
        soc=row["MedDRA SOC"].strip(),
        grades={grade: text for grade, text in grades.items() if text},
        definition=_text(row.get("Definition")),
    )


@cache
def _load() -> tuple[Term, ...]:
    with DATA_FILE.open(encoding="utf-8") as handle:
        rows = json.load(handle)["medra_code"]
    return tuple(_parse(row) for row in rows)


@cache
def _by_name() -> dict[str, Term]:
    return {term.term.casefold(): term for term in _load()}


def terms() -> list[Term]:
    """Every CTCAE v5 term, in the order of the source (grouped by SOC)."""
    return list(_load())


def get(term: str) -> Term:
    """The term with this exact name (case-insensitive); KeyError if CTCAE v5 has none."""
    try:
        return _by_name()[term.strip().casefold()]
    except KeyError:
        raise KeyError(f"Unknown CTCAE v5 term: {term!r}") from None


def _fold(text: str) -> str:
    """Case- and accent-insensitive form: "Anémie" and "anemie" match."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("œ", "oe")


def _rank_name(name: str, phrase: str, words: list[str]) -> int | None:
    """0 prefix of the whole name, 1 every word starts a word of the name, 2 substring, None."""
    if not all(word in name for word in words):
        return None
    if name.startswith(phrase):
        return 0
    starts = _WORD.findall(name)
    if all(any(start.startswith(word) for start in starts) for word in words):
        return 1
    return 2


def _rank(term: Term, phrase: str, words: list[str]) -> int | None:
    return _rank_name(term.term.casefold(), phrase, words)


def search(query: str, limit: int = 20, *, french: bool = False) -> list[Term]:
    """Terms containing every word of the query, best matches first, alphabetical within a rank.

    french: also match the French display names (accents optional), for a French user; the
    terms returned are the same coded (English) terms.
    """
    words = _WORD.findall(query.casefold())
    if not words or limit <= 0:
        return []
    phrase = " ".join(query.casefold().split())
    if french:
        folded_words = [_fold(word) for word in words]
        folded_phrase = _fold(phrase)
    ranked = []
    for term in _load():
        rank = _rank(term, phrase, words)
        if french:
            name = french_name(term.code)
            if name:
                rank_fr = _rank_name(_fold(name), folded_phrase, folded_words)
                if rank_fr is not None and (rank is None or rank_fr < rank):
                    rank = rank_fr
        if rank is not None:
            ranked.append((rank, term.term.casefold(), term))
    ranked.sort(key=lambda item: item[:2])
    return [term for _, _, term in ranked[:limit]]


def coded(text: str | None) -> tuple[int | None, str]:
    """The MedDRA code and system organ class of a term as typed (None and "" when the text
    is no CTCAE v5 term): stored beside the term by the adverse-event form's action."""
    try:
        term = get(text) if text else None
    except KeyError:
        term = None
    return (term.code, term.soc) if term else (None, "")


# --- French display ------------------------------------------------------------------------------


@cache
def _french() -> tuple[dict[int, str], dict[str, str]]:
    with FRENCH_FILE.open(encoding="utf-8") as handle:
        data = json.load(handle)
    names = {int(code): entry["fr"].strip() for code, entry in data["terms"].items()}
    socs = {soc: name.strip() for soc, name in data["soc"].items()}
    return names, socs


@cache
def _by_french_name() -> dict[str, Term]:
    names = _french()[0]
    return {_fold(names[term.code]): term for term in _load() if term.code in names}


def french_name(code: int | None) -> str | None:
    """The French display name of the CTCAE v5 term with this MedDRA code; None when we have no
    translation (or no such code)."""
    if code is None:
        return None
    return _french()[0].get(code) or None


def french_soc(soc: str | None) -> str | None:
    """The French name of a MedDRA system organ class, None when unknown."""
    return _french()[1].get((soc or "").strip()) or None


def from_french(name: str | None) -> Term | None:
    """The term whose French display name is `name` (case and accents ignored), else None."""
    return _by_french_name().get(_fold(name.strip())) if name else None


def display(term: str | None, *, french: bool) -> str:
    """A stored (English) term as a user sees it: "French (English)" for a French user when a
    translation exists and differs (Fatigue is Fatigue in both), else the English term as
    stored."""
    text = (term or "").strip()
    if not french or not text:
        return term or ""
    try:
        name = french_name(get(text).code)
    except KeyError:
        return term or ""
    return f"{name} ({text})" if name and name.casefold() != text.casefold() else text
