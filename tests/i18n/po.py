"""A small reader of gettext .po files (what the tests need of them, without polib)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    def __str__(self) -> str:
        where = " ".join(self.references[:3]) or f"line {self.line}"
        context = f" [{self.msgctxt}]" if self.msgctxt else ""
        return f"{self.msgid!r}{context} ({where})"


def _string(text: str) -> str:
    return ast.literal_eval(text.strip()) if text.strip() else ""


def parse(text: str) -> list[Entry]:
    """The entries of a .po file, the header (msgid "") and obsolete (#~) ones left out."""
    entries: list[Entry] = []
    entry = Entry()
    field_name: str | None = None
    index = 0

    def finish() -> None:
        nonlocal entry, field_name
        if field_name is not None and entry.msgid:
            entries.append(entry)
        entry, field_name = Entry(), None

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            if field_name is not None:
                finish()
            if line.startswith("#,"):
                entry.flags.update(f.strip() for f in line[2:].split(","))
            elif line.startswith("#:"):
                entry.references.extend(line[2:].split())
            continue
        if line.startswith('"'):
            value = _string(line)
            if field_name == "msgstr":
                entry.msgstr[index] += value
            elif field_name is not None:
                setattr(entry, field_name, (getattr(entry, field_name) or "") + value)
            continue
        keyword, _, rest = line.partition(" ")
        if keyword in ("msgctxt", "msgid") and field_name == "msgstr":
            finish()
        if not entry.line:
            entry.line = number
        if keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            entry.msgstr[index] = _string(rest)
            field_name = "msgstr"
        else:
            setattr(entry, keyword, _string(rest))
            field_name = keyword
    finish()
    return entries


def read(path: Path) -> list[Entry]:
    return parse(Path(path).read_text(encoding="utf-8"))
