"""A French user reads French (issue 15): the demo's pages, rendered in French, show no
English msgid of the catalogue and none of the interface words French never uses.

French is chosen through the language cookie (settings.LANGUAGE_COOKIE_NAME, read by
LocaleMiddleware), and through UserPreference.language once that field exists."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import translation

from tests.i18n.catalogue import BASE_DIR, HOW_TO_BUILD, PO
from tests.i18n.english import Detector, English, visible_text
from tests.i18n.po import read
from trial import pdf
from trial.models import FormState, FormStatus, Participant, Query, Signature, UserPreference

# Links followed from a participant's page; never a download, a job, a JSON search.
FOLLOWED = ("/p/", "/eligibility/", "/imaging/", "/followup/", "/dosing/p/")
NOT_FOLLOWED = re.compile(r"/(download|retry|delete|lock|unlock|session)/|/pdf/|/ctcae/")
PAGE_BUDGET = 160


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


def _key(path: str) -> tuple:
    """One page per kind: a CRF page per form, one history, one query..."""
    try:
        match = resolve(path)
    except Resolver404:
        return (path, None, None)
    return (match.url_name, match.kwargs.get("form"), match.kwargs.get("kind"))


def _links(html: str) -> list[str]:
    return [urlsplit(h).path for h in re.findall(r'<a\b[^>]*\bhref="(/[^"#?]*)', html)]


def signed_in_english(found: Iterable[English]) -> list[English]:
    """What is left once the signatures' stated meanings are taken out: a meaning is stored as
    its signer read it, and the tests' demo staff read English (tests/conftest.py), so a
    French page quotes it in English, as signed."""
    meanings = set(Signature.objects.values_list("meaning", flat=True))
    return [e for e in found if not any(m and m in e.context for m in meanings)]


def crawl(client: Client, seeds: Iterable[str], pages: dict[str, str], seen: set) -> list[str]:
    """GET the seeds (each must answer 200), then, two links deep, the links that FOLLOWED
    names, one page per kind. Adds the HTML pages to `pages`; returns the problems."""
    problems = []
    queue: list[tuple[str, int]] = []
    for url in seeds:
        response = client.get(url)
        if response.status_code != 200:
            problems.append(f"{url}: {response.status_code}")
            continue
        pages[url] = response.content.decode()
        seen.add(_key(url))
        queue += [(link, 1) for link in _links(pages[url])]
    while queue and len(pages) < PAGE_BUDGET:
        url, depth = queue.pop(0)
        if not url.startswith(FOLLOWED) or NOT_FOLLOWED.search(url) or _key(url) in seen:
            continue
        seen.add(_key(url))
        response = client.get(url)
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            pages[url] = response.content.decode()
            if depth < 2:
                queue += [(link, depth + 1) for link in _links(pages[url])]
    return problems


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


def french_pages() -> tuple[dict[str, str], list[str]]:
    users = {u.username: u for u in User.objects.all()}
    pages: dict[str, str] = {}
    seen: set = set()
    problems: list[str] = []
    participants = [f"/p/{code}/" for code in demo_participants()]
    queries = [
        f"/p/{q.participant.code}/queries/{q.pk}/"
        for q in Query.objects.filter(participant__site__code="BDX").select_related("participant")[
            :1
        ]
    ]
    walks = [
        (
            "investigator",
            ["/", "/todo/", "/profile/", "/imaging/study/", "/followup/spider/"]
            + ["/followup/waterfall/", "/accounts/password/", *queries, *participants],
        ),
        ("nurse", ["/", "/participants/new/", participants[0]]),
        ("monitor", ["/", "/sdv/", "/review/", "/exports/", participants[0]]),
        ("datamanager", ["/audit/", "/reminders/log/"]),
        ("admin", ["/accounts/locks/"]),
    ]
    for username, seeds in walks:
        problems += crawl(client_in("fr", users[username]), seeds, pages, seen)
    anonymous = client_in("fr")
    pages["/accounts/login/"] = anonymous.get("/accounts/login/").content.decode()
    missing = client_in("fr", users["investigator"]).get("/p/BDX-999/")
    assert missing.status_code == 404
    pages["/p/BDX-999/ (404)"] = missing.content.decode()
    return pages, problems


def test_french_pages_show_no_english(demo, detector):
    pages, problems = french_pages()
    assert not problems, f"Pages that did not answer 200: {problems}"
    kinds = {_key(urlsplit(url).path)[0] for url in pages}
    expected = {"participant_list", "participant_detail", "crf_edit", "crf_history"}
    expected |= {"signature_sign"}
    expected |= {"participant_recist", "query_detail", "sdv_site", "audit_review", "exports"}
    expected |= {"profile", "reminder_log", "system_audit", "login", "todo"}
    assert expected <= kinds, f"pages not reached: {expected - kinds}"
    # Every kind of CRF page (the gate and the dosimetry among them).
    rows = FormStatus.objects.filter(participant__site__code="BDX")
    forms = set(rows.values_list("form", flat=True))
    reached = {_key(urlsplit(url).path)[1] for url in pages}
    assert forms <= reached, f"CRF pages not reached: {sorted(forms - reached)}"

    wrong_lang = []
    english: dict[str, English] = {}
    for url, html in pages.items():
        _nodes, lang = visible_text(html)
        if lang is not None and lang != "fr":
            wrong_lang.append(f"{url}: lang={lang!r}")
        for found in detector.english(url, html):
            english.setdefault(found.text, found)  # each text once, on the first page
    found = sorted(signed_in_english(english.values()), key=lambda e: (e.text, e.url))
    report = "\n".join(f"  {e}" for e in found[:120])
    more = f"\n  ... and {len(found) - 120} more" if len(found) > 120 else ""
    assert not found, (
        f"{len(found)} English text(s) on {len(pages)} pages rendered in French:\n"
        f"{report}{more}\n(Translate them in locale/fr/LC_MESSAGES/django.po, or mark the "
        "string for translation; CTCAE terms are left out of this check.)"
    )
    assert not wrong_lang, f"Pages without lang=fr: {wrong_lang}"


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
