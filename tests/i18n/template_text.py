"""Find the literal text of a Django template that no `{% translate %}` covers.

The template tags, variables and comments are blanked out (same length, newlines kept, so
line numbers stay right), the `{% translate %}` tags and `{% blocktranslate %}` blocks with
them; what the HTML parser then reports as text (or as a `title`, `placeholder`,
`aria-label`, `alt` attribute) and still carries words is untranslated literal text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

# Words that stay as they are in every language: units, symbols, codes, drug and product
# names. T, N, G, Q number target and non-target lesions (RECIST T1, N2), CTCAE grades (G3)
# and queries (Q12). A word with a digit or an underscore in it is a code too (BDX-001,
# weight_kg).
_ALLOWED = """
    GBq MBq kBq Bq MBq·h Gy Gy/GBq mGy mSv SUV SUVmax SUVmean IAH IV PRRT IAH-PRRT LUTATHERA Lu
    DOTATATE RECIST CTCAE ODM CDISC CSV PDF JSON XML HTML SVG QR EDC NCT
    kg g mg µg mL L dL µmol mmol mol cm mm m h min s mg/dL µmol/L g/L g/dL mL/min G/L
    BDX TLS OTP
    T N G Q
"""
ALLOWED_WORDS = frozenset(_ALLOWED.split())

TEXT_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")

_COMMENT_BLOCK = re.compile(r"{%\s*comment\b.*?%}.*?{%\s*endcomment\s*%}", re.S)
_VERBATIM_OPEN = re.compile(r"{%\s*verbatim\b")
_BLOCK_TRANSLATE = re.compile(
    r"{%\s*blocktrans(?:late)?\b.*?%}.*?{%\s*endblocktrans(?:late)?\s*%}", re.S
)
_TAG_OR_VARIABLE = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.S)
_WORD = re.compile(r"\S+")
_LETTER = re.compile(r"[^\W\d_]")
_PUNCTUATION = "()[]{}:;,.!?«»\"'·—–-/|#*+=<>…"


@dataclass(frozen=True)
class Untranslated:
    path: Path
    line: int
    text: str
    where: str = "text"

    def __str__(self) -> str:
        where = "" if self.where == "text" else f" [{self.where}]"
        return f"{self.path}:{self.line}{where}: {self.text!r}"


def _blank(match: re.Match) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))


def blank_template_syntax(source: str) -> str:
    """The template with every piece of template syntax turned into spaces."""
    source = _COMMENT_BLOCK.sub(_blank, source)
    source = _BLOCK_TRANSLATE.sub(_blank, source)
    return _TAG_OR_VARIABLE.sub(_blank, source)


def english_words(text: str) -> list[str]:
    """The words of `text` that would need a translation (not a unit, code or symbol)."""
    words = []
    for raw in _WORD.findall(text):
        word = raw.strip(_PUNCTUATION)
        if not _LETTER.search(word):
            continue
        if word in ALLOWED_WORDS or re.search(r"[\d_]", word):
            continue
        words.append(word)
    return words


class _TextFinder(HTMLParser):
    def __init__(self, path: Path) -> None:
        super().__init__(convert_charrefs=True)
        self.path = path
        self.found: list[Untranslated] = []
        self._raw = 0  # inside <script> or <style>

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._raw += 1
        for name, value in attrs:
            if name in TEXT_ATTRIBUTES and value and english_words(value):
                self.found.append(Untranslated(self.path, self.getpos()[0], value.strip(), name))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self._raw -= 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._raw:
            self._raw -= 1

    def handle_data(self, data):
        if self._raw or not english_words(data):
            return
        leading = data[: len(data) - len(data.lstrip())]
        line = self.getpos()[0] + leading.count("\n")
        self.found.append(Untranslated(self.path, line, " ".join(data.split())))


def untranslated_text(path: Path, source: str | None = None) -> list[Untranslated]:
    source = path.read_text(encoding="utf-8") if source is None else source
    if _VERBATIM_OPEN.search(source):
        raise ValueError(f"{path}: {{% verbatim %}} is not supported by the check")
    finder = _TextFinder(path)
    finder.feed(blank_template_syntax(source))
    finder.close()
    return finder.found
