"""What of a rendered page is English: the catalogue's msgids whose French differs, and a few
interface words that French never uses. CTCAE terms are English by design and left out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser

from tests.i18n.po import Entry
from tests.i18n.template_text import ALLOWED_WORDS

# Interface words a French page never shows (case-sensitive, whole words).
UI_WORDS = (
    "Save",
    "Cancel",
    "Delete",
    "History",
    "Participant list",
    "Not started",
    "In progress",
    "Add",
    "Edit",
    "Log out",
    "Log in",
    "Search",
    "Download",
    "Submit",
    "Sign",
    "Signed by",
    "Lock",
    "Unlock",
    "Locked",
    "Back",
    "Missing",
    "Required",
    "Overdue",
    "Reason for change",
    "Adverse event",
    "Screening",
    "Follow-up",
)
_UI_WORDS = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, UI_WORDS)) + r")(?![\w-])")
_PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sdif]|\{\w*\}|<[^>]*>|%%")
_LETTERS = re.compile(r"[^\W\d_]")
TEXT_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


@dataclass(frozen=True)
class English:
    url: str
    text: str
    context: str

    def __str__(self) -> str:
        return f"{self.url}: {self.text!r} in {self.context!r}"


class _VisibleText(HTMLParser):
    """The text nodes (not <script>, <style>) and the four attributes a user reads; and the
    <html lang> attribute."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []
        self.lang: str | None = None
        self._raw = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._raw += 1
        for name, value in attrs:
            if tag == "html" and name == "lang":
                self.lang = value
            if name in TEXT_ATTRIBUTES and value and value.strip():
                self.nodes.append(" ".join(value.split()))

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._raw:
            self._raw -= 1

    def handle_data(self, data):
        if not self._raw and data.strip():
            self.nodes.append(" ".join(data.split()))


def visible_text(html: str) -> tuple[list[str], str | None]:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser.nodes, parser.lang


def _is_words(segment: str) -> bool:
    words = [w for w in segment.split() if _LETTERS.search(w) and not re.search(r"[\d_]", w)]
    return len([w for w in words if w.strip("()[]:;,.!?") not in ALLOWED_WORDS]) >= 2


def english_segments(entries: list[Entry]) -> list[str]:
    """The English phrases (2+ words, placeholders and markup taken out) of every entry whose
    French differs from its English or is missing; a phrase the French also uses (SUVmax
    IAH, a code) is left out."""
    french = "\n".join(s for e in entries for s in e.msgstr.values())
    found: set[str] = set()
    for entry in entries:
        if entry.translated and all(s == entry.msgid for s in entry.msgstr.values()):
            continue  # the same in both languages
        for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
            for part in _PLACEHOLDER.split(msgid):
                segment = " ".join(part.split()).strip(" :;,.!?()[]«»\"'·—–-")
                if _is_words(segment) and segment not in french:
                    found.add(segment)
    return sorted(found, key=len, reverse=True)


@cache
def ctcae_texts() -> tuple[str, ...]:
    """The CTCAE v5 terms, their SOC, grade texts and definitions: coded, English by design."""
    from dosing import ctcae

    texts = set()
    for term in ctcae.terms():
        texts.update([term.term, term.soc, term.definition, *term.grades.values()])
    return tuple(sorted(filter(None, texts), key=len, reverse=True))


def _without_ctcae(node: str) -> str:
    for text in ctcae_texts():
        if text in node:
            node = node.replace(text, " ")
    return node


class Detector:
    def __init__(self, entries: list[Entry]) -> None:
        self.segments = english_segments(entries)
        self._patterns = {
            s: re.compile(r"(?<![\w-])" + re.escape(s).replace(r"\ ", r"\s+") + r"(?![\w-])")
            for s in self.segments
        }

    def _hits(self, node: str) -> list[str]:
        hits = [s for s in self.segments if s in node and self._patterns[s].search(node)]
        return hits + _UI_WORDS.findall(node)

    def english(self, url: str, html: str) -> list[English]:
        """The catalogue's English on the page, outside the elements marked lang="en" (the
        CTCAE texts, English by design)."""
        from tests.i18n.leaks import texts

        found = []
        for node in (t.text for t in texts(html)[0] if not t.english):
            if not self._hits(node):
                continue
            node_without = _without_ctcae(node)
            found += [English(url, hit, node[:160]) for hit in self._hits(node_without)]
        return found
