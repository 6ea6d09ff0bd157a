"""The French catalogue is complete and its compiled form is the one committed (issue 15).

Both need GNU gettext (xgettext, msgfmt); .ci/run installs Debian's `gettext` when absent."""

from __future__ import annotations

import gettext
import shutil
import subprocess

from django.core.management import call_command
from django.test import override_settings

from tests.i18n.catalogue import (
    BASE_DIR,
    HOW_TO_BUILD,
    MO,
    PO,
    messages_ignore,
    require_gettext,
)
from tests.i18n.po import Entry, read


def _listed(entries: list[Entry], limit: int = 60) -> str:
    lines = [f"  {e}" for e in entries[:limit]]
    if len(entries) > limit:
        lines.append(f"  ... and {len(entries) - limit} more")
    return "\n".join(lines)


def test_makemessages_finds_every_string_translated(tmp_path, monkeypatch):
    """makemessages, run into a copy of locale/, finds no msgid missing from the committed
    django.po, none untranslated and none fuzzy."""
    require_gettext()
    assert PO.exists(), f"{PO.relative_to(BASE_DIR)} is missing. {HOW_TO_BUILD}"
    committed = read(PO)
    shutil.copytree(PO.parent.parent, tmp_path / "fr")
    monkeypatch.chdir(BASE_DIR)
    with override_settings(LOCALE_PATHS=[tmp_path]):
        call_command(
            "makemessages",
            locale=["fr"],
            no_obsolete=True,
            ignore_patterns=messages_ignore(),
            verbosity=0,
        )
    extracted = read(tmp_path / "fr" / "LC_MESSAGES" / "django.po")
    assert len(extracted) > 100, "makemessages extracted (almost) nothing: wrong directory?"

    known = {e.key for e in committed}
    missing = [e for e in extracted if e.key not in known]
    untranslated = [e for e in extracted if e.key in known and not e.translated and not e.fuzzy]
    fuzzy = [e for e in extracted if e.key in known and e.fuzzy]
    problems = []
    if missing:
        problems.append(f"{len(missing)} msgid(s) missing from django.po:\n{_listed(missing)}")
    if untranslated:
        problems.append(f"{len(untranslated)} untranslated:\n{_listed(untranslated)}")
    if fuzzy:
        problems.append(f"{len(fuzzy)} fuzzy (check, then drop the flag):\n{_listed(fuzzy)}")
    assert not problems, "\n".join(problems) + f"\n{HOW_TO_BUILD}"


def test_every_plural_has_both_french_forms():
    assert PO.exists(), f"{PO.relative_to(BASE_DIR)} is missing. {HOW_TO_BUILD}"
    wrong = [e for e in read(PO) if e.msgid_plural and e.translated and set(e.msgstr) != {0, 1}]
    assert not wrong, f"msgstr[0] and msgstr[1] expected (nplurals=2):\n{_listed(wrong)}"


def test_the_committed_mo_is_compiled_from_the_committed_po(tmp_path):
    """django.mo is committed (no gettext at run time): it must say what django.po says."""
    require_gettext()
    assert PO.exists() and MO.exists(), f"django.po and django.mo must be committed. {HOW_TO_BUILD}"
    fresh = tmp_path / "django.mo"
    # What compilemessages runs.
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(PO)], check=True)
    with MO.open("rb") as committed_file, fresh.open("rb") as fresh_file:
        committed = gettext.GNUTranslations(committed_file)._catalog
        compiled = gettext.GNUTranslations(fresh_file)._catalog
    stale = sorted(
        (str(key) for key in committed.keys() ^ compiled.keys()),
    ) + sorted(
        str(key) for key in committed.keys() & compiled.keys() if committed[key] != compiled[key]
    )
    assert not stale, (
        f"locale/fr/LC_MESSAGES/django.mo is out of date with django.po ({len(stale)} "
        f"message(s) differ, e.g. {stale[:5]}): run `make messages` or "
        f"`.venv/bin/python manage.py compilemessages -l fr --ignore=.venv` and commit it."
    )
