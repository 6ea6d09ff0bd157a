"""Every piece of literal text in a template goes through {% translate %} or
{% blocktranslate %}: a French page has no English left in it (issue 15)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from tests.i18n.template_text import english_words, untranslated_text

BASE_DIR = Path(settings.BASE_DIR)
SKIP_DIRS = {".venv", "var", "node_modules", "staticfiles", "static", "tests", "bench"}


def project_templates() -> list[Path]:
    """templates/ and every app's <app>/templates/ (not the installed packages')."""
    found = set((BASE_DIR / "templates").rglob("*.html"))
    for directory in BASE_DIR.glob("*/templates"):
        if directory.parent.name not in SKIP_DIRS:
            found.update(p for p in directory.rglob("*") if p.suffix in (".html", ".txt"))
    found.update((BASE_DIR / "templates").rglob("*.txt"))
    return sorted(found)


def test_the_templates_are_found():
    names = {str(p.relative_to(BASE_DIR)) for p in project_templates()}
    assert {"templates/base.html", "templates/500.html", "templates/pdf/casebook.html"} <= names
    assert any(name.startswith("trial/templates/") for name in names)


def test_every_literal_text_of_every_template_is_translated():
    found = [
        f"{u.path.relative_to(BASE_DIR)}:{u.line}"
        + ("" if u.where == "text" else f" [{u.where}]")
        + f": {u.text!r}"
        for path in project_templates()
        for u in untranslated_text(path)
    ]
    assert not found, (
        f"{len(found)} literal text(s) outside {{% translate %}}/{{% blocktranslate %}} (wrap "
        "them, or add a unit/code to ALLOWED_WORDS in tests/i18n/template_text.py):\n"
        + "\n".join(found)
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<p>Save</p>", [(1, "Save")]),
        ('<p>{% translate "Save" %}</p>', []),
        ("{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}", []),
        ("{% blocktranslate count n=k %}one{% plural %}many{% endblocktranslate %}", []),
        ("<p>\n\n  Participant {{ code }}</p>", [(3, "Participant")]),
        ("{# Save #}{% comment %}\nSave\n{% endcomment %}<b>7.4 GBq</b>", []),
        ('<a title="Edit the form" href="x">{% translate "Edit" %}</a>', [(1, "Edit the form")]),
        ('<i aria-label="{% translate \'Close\' %}"></i><i class="bi bi-x"></i>', []),
        ('<input placeholder="BDX-001"><input placeholder="weight_kg">', []),
        ("<style>h1 { font: 9pt sans-serif }</style><script src='x.js'></script>", []),
        ("<td>&mdash;</td><td>&times;</td><td>SUV</td><td>(mg/dL)</td>", []),
        ('<html lang="{{ LANG }}"><meta content="EDC Web">', []),
        ("<p>{% if x %}Locked{% endif %}</p>", [(1, "Locked")]),
    ],
)
def test_the_check_itself(source, expected):
    found = [(u.line, u.text) for u in untranslated_text(Path("t.html"), source)]
    assert found == expected


def test_the_words_that_need_no_translation():
    assert english_words("7,4 GBq · SUVmax (IAH) — RECIST 1.1") == []
    assert english_words("Not started") == ["Not", "started"]
