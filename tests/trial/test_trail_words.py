"""The audit trail's pages read as words, in French and in English (issue 25, part 3): where a
change came from by a label, never a function's name; account changes and signatures by their
labels; stored values the reader's way (dates, decimals, yes/no, units); no code left."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import formats, translation

from tests.i18n.english import visible_text
from tests.i18n.test_french_pages import client_in
from trial import crf as crf_registry
from trial import decisions, origins, signatures
from trial.models import ExportKind, FormStatus, Participant
from trial.origins import ORIGIN_PREFIXES, ORIGINS, origin_label

ROOT = Path(__file__).resolve().parents[2]
APPS = ("trial", "dosing", "imaging", "eligibility", "followup", "oversight", "submission")
# A line that names an origin: `command="save_crf"`, `command = "lock_form" if ... else
# "unlock_form"`, `audit_origin(command="seed_demo")`; f-strings are checked by their prefix.
_COMMAND_LINE = re.compile(r"\bcommand\s*=(?!=)")
# (Not an argument: `.get("command")` reads an origin, it records none.)
_LITERAL = re.compile(r'(?<![\w{(])(f?)"([^"{}]*)(?:\{[^"]*)?"')
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
PYTHON_REPR = re.compile(r"\b(True|False|None)\b")


def _recorded_origins() -> tuple[set[str], set[str]]:
    """Every origin the code records: the literal commands, and the prefixes of those built
    with a variable part ("export {kind}")."""
    literals, prefixes = set(), set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                if not _COMMAND_LINE.search(line) or line.lstrip().startswith("#"):
                    continue
                for fstring, text in _LITERAL.findall(line):
                    if fstring:
                        prefixes.add(text.strip())
                    elif text and re.fullmatch(r"[a-z_]+", text):
                        literals.add(text)
    return literals, prefixes


def test_every_origin_the_code_records_has_a_label():
    literals, prefixes = _recorded_origins()
    # The scan finds them (a scan that finds nothing proves nothing).
    assert {"save_crf", "register_participant", "seed_demo", "lock_form", "unlock_form"} <= literals
    assert {"export", "sign"} <= prefixes
    assert sorted(literals - set(ORIGINS)) == []
    assert sorted(prefixes - set(ORIGIN_PREFIXES)) == []
    # The decisions' own commands, and "sign <kind>" for each signed kind.
    assert (
        sorted({d.command for d in decisions.REGISTRY.values() if d.command} - set(ORIGINS)) == []
    )
    with translation.override("fr"):
        for kind, signable in signatures.REGISTRY.items():
            assert signable.label, kind
            assert origin_label(f"sign {kind}") == f"Signature : {signable.label}"
        for kind, label in ExportKind.choices:
            assert origin_label(f"export {kind}") == f"Export : {label}"


def test_origins_read_as_words_in_both_languages():
    with translation.override("fr"):
        assert origin_label("seed_demo > save_crf") == (
            "Données de démonstration — formulaire enregistré"
        )
        assert origin_label("register_participant") == "Inclusion d'un participant"
        # An origin no label names: a generic label, never the function's name.
        assert origin_label("some_new_function") == "Action du système"
        assert origin_label("") == ""
    with translation.override("en"):
        assert origin_label("seed_demo > save_crf") == "Demo data — form saved"
        assert origin_label("some_new_function") == str(origins.SYSTEM_ACTION)


def _text(html: str) -> list[str]:
    return visible_text(html)[0]


def _leaks(text: list[str]) -> list[str]:
    """Codes a reader should never see: snake_case names, Python reprs, function names."""
    found = []
    for segment in text:
        found += SNAKE.findall(segment) + PYTHON_REPR.findall(segment)
        found += [code for code in ORIGINS if "_" not in code and segment == code]
    return found


@pytest.mark.req("E6.4.2.2")
@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_system_audit_reads_account_changes_and_signatures_as_words(demo, language):
    datamanager = client_in(language, User.objects.get(username="datamanager"))
    response = datamanager.get("/audit/")
    assert response.status_code == 200
    text = _text(response.content.decode())
    joined = " | ".join(text)
    if language == "fr":
        # The demo's administrator account is given access to administration.
        assert "Accès à l'administration : non → oui" in joined
        assert "Validation de l'éligibilité — rôle : Investigateur" in joined
        assert "Données de démonstration" in joined
        assert "Démarrage de l'étude" in joined
    else:
        assert "Access to administration: no → yes" in joined
        assert "Eligibility sign-off — role: Investigator" in joined
        assert "Demo data" in joined
        assert "Study start-up" in joined
    assert "is_staff" not in joined and "seed_demo" not in joined
    assert " | eligibility | " not in f" | {joined} | "
    assert _leaks(text) == []


def _history(client, code: str, form: str):
    row = FormStatus.objects.get(participant__code=code, form=form, repeat=1)
    return client.get(f"/p/{code}/{row.event}/{form}/1/history/")


@pytest.mark.req("E6.4.2.2")
@pytest.mark.parametrize("language", ["fr", "en"])
def test_history_shows_stored_values_the_readers_way(demo, language):
    investigator = client_in(language, User.objects.get(username="investigator"))
    row = FormStatus.objects.get(participant__code="BDX-001", form="DEMOG", repeat=1)
    demography = crf_registry.get("DEMOG").model.objects.get(form_status=row)
    response = _history(investigator, "BDX-001", "DEMOG")
    assert response.status_code == 200
    text = _text(response.content.decode())
    with translation.override(language):
        birth = formats.date_format(demography.birth_date, "SHORT_DATE_FORMAT")
        weight = formats.number_format(Decimal(demography.weight_kg))
    assert any(birth in t for t in text), (birth, text[:80])
    if birth != demography.birth_date.isoformat():  # English writes dates ISO (trial/formats)
        assert demography.birth_date.isoformat() not in " ".join(text)
    assert f"{weight} kg" in " ".join(text)
    if language == "fr":
        assert "," in weight
    assert _leaks(text) == []


@pytest.mark.req("E6.4.2.3")
@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_audit_review_names_origins_records_and_values_in_words(demo, language):
    datamanager = client_in(language, User.objects.get(username="datamanager"))
    pages = [
        datamanager.get("/review/"),
        datamanager.get("/review/", {"last": "1"}),
        datamanager.get("/review/", {"participant": "BDX-008"}),
        datamanager.get("/review/", {"participant": "BDX-001", "form": "DEMOG"}),
    ]
    texts = []
    for response in pages:
        assert response.status_code == 200
        texts.append(_text(response.content.decode()))
    joined = " | ".join(" | ".join(t) for t in texts)
    screening = Participant.objects.get(code="BDX-008").screening_date
    with translation.override(language):
        shown_screening = formats.date_format(screening, "SHORT_DATE_FORMAT")
    assert shown_screening in joined
    if language == "fr":
        assert "Données de démonstration — inclusion d'un participant" in joined
        assert "Statut du formulaire" in joined
    else:
        assert "Demo data — participant registration" in joined
        assert "Form status" in joined
    for word in ("FormStatus", "register_participant", "seed_demo", "event_dates"):
        assert word not in joined, word
    for text in texts:
        assert _leaks(text) == []


def test_one_renderer_for_stored_values():
    """The same value, whether Python (History) or the ledger's text (the review)."""
    from trial.readable import shown_value

    birth = Participant._meta.get_field("screening_date")
    with translation.override("fr"):
        assert shown_value(birth, date(1951, 10, 26)) == shown_value(birth, "1951-10-26")
        assert shown_value(birth, "1951-10-26") == formats.date_format(
            date(1951, 10, 26), "SHORT_DATE_FORMAT"
        )
