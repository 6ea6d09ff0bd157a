"""The NCI CTCAE v5.0 term list (dosing/data/ctcae_v5.json) for the adverse-event form.

Standard library only, loaded once per process on first use.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "ctcae_v5.json"

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


def _rank(term: Term, phrase: str, words: list[str]) -> int | None:
    """0 prefix of the whole term, 1 every word starts a word of the term, 2 substring, None."""
    name = term.term.casefold()
    if not all(word in name for word in words):
        return None
    if name.startswith(phrase):
        return 0
    starts = _WORD.findall(name)
    if all(any(start.startswith(word) for start in starts) for word in words):
        return 1
    return 2


def search(query: str, limit: int = 20) -> list[Term]:
    """Terms containing every word of the query, best matches first, alphabetical within a rank."""
    words = _WORD.findall(query.casefold())
    if not words or limit <= 0:
        return []
    phrase = " ".join(query.casefold().split())
    ranked = []
    for term in _load():
        rank = _rank(term, phrase, words)
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
