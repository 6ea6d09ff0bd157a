"""A French user reads French (issue 15): the demo's pages, rendered in French, show no
English msgid of the catalogue and none of the interface words French never uses.

French is chosen through the language cookie (settings.LANGUAGE_COOKIE_NAME, read by
LocaleMiddleware), and through UserPreference.language once that field exists."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import CharField, TextField
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from tests.i18n.catalogue import BASE_DIR, HOW_TO_BUILD, PO
from tests.i18n.english import Detector, English, ctcae_texts, visible_text
from tests.i18n.leaks import leaks, texts
from tests.i18n.po import read
from tests.i18n.template_text import ALLOWED_WORDS
from tests.i18n.walk import page_kind, walk
from trial import crf as crf_registry
from trial import pdf
from trial.models import (
    FormState,
    FormStatus,
    Participant,
    QueryMessage,
    Signature,
    UserPreference,
)


@pytest.fixture(scope="module")
def detector() -> Detector:
    assert PO.exists(), f"{PO.relative_to(BASE_DIR)} is missing. {HOW_TO_BUILD}"
    return Detector(read(PO))


def client_in(language: str, user: User | None = None) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if user is not None:
        if "language" in {f.name for f in UserPreference._meta.get_fields()}:
            UserPreference.objects.update_or_create(user=user, defaults={"language": language})
        client.force_login(user)
    return client


def signed_in_english(found: Iterable[English]) -> list[English]:
    """What is left once the signatures' stated meanings are taken out: a meaning is stored as
    its signer read it, and the tests' demo staff read English (tests/conftest.py), so a
    French page quotes it in English, as signed."""
    meanings = set(Signature.objects.values_list("meaning", flat=True))
    return [e for e in found if not any(m and m in e.context for m in meanings)]


def demo_participants() -> list[str]:
    """A BDX participant at each stage of the journey (the most advanced first)."""
    codes = []
    for status, _label in reversed(Participant._meta.get_field("status").choices):
        code = (
            Participant.objects.filter(site__code="BDX", status=status)
            .order_by("-pk")
            .values_list("code", flat=True)
            .first()
        )
        if code:
            codes.append(code)
    return codes


# The French roles of the demo (tests/conftest.py, trial/roles.py), each walked from its home.
ROLES = ("nurse", "investigator", "monitor", "datamanager", "admin")
PAGE_BUDGET = 200  # per role; the walk reads about 90 at most
TIME_BUDGET = 60.0  # seconds for the whole walk


@dataclass
class FrenchWalk:
    pages: dict[tuple[str, str], str]  # (role, url) -> HTML
    problems: list[str]
    seconds: float


def french_walk() -> FrenchWalk:
    """Each French role, logged in with French chosen, walks every page it reaches by GET
    from its home (and the menu on it) and from the demo's showcase participants, the most
    advanced first (their forms hold data); then the login page and a 404, anonymous."""
    started = time.monotonic()
    users = {u.username: u for u in User.objects.filter(username__in=ROLES)}
    showcase = [f"BDX-{n:03}" for n in range(9, 0, -1)]  # README: one stage each
    codes = list(dict.fromkeys(demo_participants() + showcase))
    participants = [f"/p/{code}/" for code in codes]
    pages: dict[tuple[str, str], str] = {}
    problems: list[str] = []
    for role in ROLES:
        client = client_in("fr", users[role])
        seeds = ["/"] if role == "admin" else ["/", *participants]
        found = walk(client, seeds, PAGE_BUDGET)
        pages |= {(role, url): html for url, html in found.pages.items()}
        problems += [f"{role}: {problem}" for problem in found.problems]
    anonymous = client_in("fr")
    pages[("anonymous", "/accounts/login/")] = anonymous.get("/accounts/login/").content.decode()
    missing = client_in("fr", users["investigator"]).get("/p/BDX-999/")
    assert missing.status_code == 404
    pages[("investigator", "/p/BDX-999/ (404)")] = missing.content.decode()
    return FrenchWalk(pages, problems, time.monotonic() - started)


def enum_codes() -> set[str]:
    """The stored codes of the models' choices that French never writes as words: lower
    case, three letters or more, not a word of the French catalogue (`approved`, `liver`,
    `not_recovered`). Upper-case codes (CR, PD, F) are the trial's abbreviations in French
    too; the snake_case ones are found by their shape anyway."""
    french = {w for e in read(PO) for s in e.msgstr.values() for w in re.findall(r"[\w'-]+", s)}
    codes = set()
    for model in apps.get_models():
        for model_field in model._meta.get_fields():
            for value, label in getattr(model_field, "choices", None) or []:
                if (
                    isinstance(value, str)
                    and re.fullmatch(r"[a-z][a-z_]{2,}", value)
                    and value != str(label)
                    and value not in french
                    and value not in ALLOWED_WORDS
                ):
                    codes.add(value)
    return codes


def unit_labels() -> dict[str, str]:
    """Best effort: the French label of every CRF item that has a unit -> its unit."""
    units = {}
    with translation.override("fr"):
        for spec in crf_registry.REGISTRY.values():
            for model_field in spec.item_fields:
                unit = spec.unit(model_field.name)
                # A scale (ECOG 0-5) or a ratio (INR) is shown bare.
                if unit and not re.fullmatch(r"[\d-]+|ratio", unit):
                    label = str(model_field.verbose_name)
                    units[label[:1].upper() + label[1:]] = unit
    return units


def typed_texts() -> set[str]:
    """What users typed (query messages, signed meanings, the domain forms' free-text items
    such as a consent form's version "2.1"): shown as typed, in the writer's language (the
    tests' demo staff write English), so no leak of the page. The trail's own codes (an
    item's name, a state) are not typed text and stay checked."""
    texts: set[str] = set(Signature.objects.values_list("meaning", flat=True))
    texts |= set(QueryMessage.objects.values_list("text", flat=True))
    for model in apps.get_models():
        if model._meta.app_label not in ("eligibility", "dosing", "imaging", "followup"):
            continue
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, CharField | TextField) and not model_field.choices:
                texts |= set(
                    model._default_manager.values_list(model_field.name, flat=True).distinct()
                )
    # CTCAE terms are typed by choosing them: they stay checked (marked lang="en").
    return {t for t in texts if t} - set(ctcae_texts())


def marked_english() -> tuple[str, ...]:
    """The CTCAE texts a French page shows as they are, which must be marked lang="en":
    every term, system organ class and grade text of more than one word (a one-word term
    such as "Fatigue" or "Anorexia" may be the French word too)."""
    return tuple(t for t in ctcae_texts() if len(t.split()) >= 2)


def leak_report(found: dict[str, dict[str, list[str]]], limit: int = 200) -> str:
    """The leaks grouped by page, then kind: one line per (page, kind) with its findings."""
    lines = []
    for page, kinds in sorted(found.items()):
        for kind, hits in sorted(kinds.items()):
            shown = "; ".join(hits[:4]) + (f"; ... (+{len(hits) - 4})" if len(hits) > 4 else "")
            lines.append(f"  {page} [{kind}] {shown}")
    more = f"\n  ... and {len(lines) - limit} more lines" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + more


@pytest.mark.req("I18N.1")
def test_each_french_role_walks_its_pages_and_finds_no_leak(demo, detector):
    """Issue 25: no English text, raw code, ISO date, English month, decimal point or CTCAE
    text unmarked lang="en" on any page a French role reaches by GET."""
    result = french_walk()
    assert not result.problems, "Links that do not answer 200:\n" + "\n".join(result.problems)
    assert result.seconds < TIME_BUDGET, f"the walk took {result.seconds:.0f} s"
    kinds = {(role, page_kind(urlsplit(url).path)[0]) for role, url in result.pages}
    expected = {
        ("nurse", "participant_list"),
        ("nurse", "todo"),
        ("nurse", "participant_register"),
        ("investigator", "signature_sign"),
        ("investigator", "crf_history"),
        ("monitor", "audit_review"),
        ("monitor", "sdv_site"),
        ("monitor", "query_detail"),
        ("monitor", "oversight:page"),
        ("datamanager", "system_audit"),
        ("datamanager", "reminder_log"),
        ("datamanager", "exports"),
        ("admin", "admin_users"),
        ("admin", "account_locks"),
        ("anonymous", "login"),
    }
    assert expected <= kinds, f"pages not reached: {sorted(expected - kinds)}"
    rows = FormStatus.objects.filter(participant__site__code="BDX")
    forms = set(rows.values_list("form", flat=True))
    reached = {page_kind(urlsplit(url).path)[1] for _role, url in result.pages}
    assert forms <= reached, f"CRF pages not reached: {sorted(forms - reached)}"

    codes, units = enum_codes(), unit_labels()
    english_by_design, typed = marked_english(), typed_texts()
    meanings = set(Signature.objects.values_list("meaning", flat=True))
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    seen: set[tuple[str, str]] = set()  # each finding once, on the first page
    for (role, url), html in result.pages.items():
        page = f"{role} {url}"
        if "<html" in html and texts(html)[1] != "fr":  # not an htmx fragment
            found[page]["lang"].append(f"<html lang={texts(html)[1]!r}>")
        hits = [(e.text, "English", e.context) for e in detector.english(url, html)]
        hits = [h for h in hits if not any(m and m in h[2] for m in meanings)]
        hits += [
            (leak.found, leak.kind, leak.context)
            for leak in leaks(
                html, codes=codes, units=units, marked_english=english_by_design, verbatim=typed
            )
        ]
        for text, kind, context in hits:
            if (kind, text) not in seen:
                seen.add((kind, text))
                found[page][kind].append(f"{text!r} in {context[:80]!r}")
    count = sum(len(hits) for kinds in found.values() for hits in kinds.values())
    assert not found, (
        f"{count} leak(s) on {len(found)} of {len(result.pages)} French pages "
        f"(walked in {result.seconds:.0f} s):\n{leak_report(found)}"
    )


def test_the_walk_checks_that_ctcae_text_is_marked_english(demo):
    """The AE form shows CTCAE text; it is inside lang="en", so the walk both skips it as
    English and finds it marked."""
    investigator = client_in("fr", User.objects.get(username="investigator"))
    ae = FormStatus.objects.filter(participant__site__code="BDX", form="AE").exclude(
        status=FormState.NOT_STARTED
    )[0]
    url = f"/p/{ae.participant.code}/{ae.event}/{ae.form}/{ae.repeat}/"
    html = investigator.get(url).content.decode()
    shown = [t for t in texts(html)[0] if any(c in t.text for c in marked_english())]
    assert shown, "no CTCAE text on the AE page"
    assert all(t.english for t in shown), [t for t in shown if not t.english][:3]


def test_the_check_finds_the_english_of_an_english_page(demo, detector):
    """The detector at work: the same pages in English are full of the catalogue's msgids."""
    investigator = User.objects.get(username="investigator")
    client = client_in("en", investigator)
    code = demo_participants()[0]
    found = [
        hit
        for url in ("/", f"/p/{code}/", "/profile/")
        for hit in detector.english(url, client.get(url).content.decode())
    ]
    assert len({e.text for e in found}) >= 5, found


def test_the_server_error_page_is_french(detector):
    """500.html is rendered without a request context (Django's handler, or ours)."""
    with translation.override("fr"):
        html = render_to_string("500.html")
    assert not detector.english("500.html", html)
    assert visible_text(html)[1] == "fr"


def test_the_pdfs_rendered_in_french_carry_french_labels(demo, detector):
    """The casebook of the most advanced participant, one of its forms and the blank CRF
    book, rendered in French (the PDF job renders in the language active when it runs)."""
    participant = Participant.objects.get(code=demo_participants()[0])
    row = participant.forms.exclude(status=FormState.NOT_STARTED).first()
    with translation.override("fr"):
        documents = {
            "casebook": pdf.casebook_html(participant)[0],
            "form": pdf.form_html(row),
            "blank": pdf.blank_html(),
        }
    for name, html in documents.items():
        assert visible_text(html)[1] == "fr", name
    assert "Cahier d'observation du participant" in documents["casebook"]
    assert "Annexe : piste d'audit" in documents["casebook"]
    assert "Formulaire de recueil" in documents["form"]
    assert "Cahier d'observation vierge" in documents["blank"]
    found = signed_in_english(
        e for name, html in documents.items() for e in detector.english(name, html)
    )
    english = {e.text: e for e in found}
    assert not english, f"{len(english)} English text(s) in the French PDFs:\n" + "\n".join(
        f"  {e}" for e in list(english.values())[:80]
    )
