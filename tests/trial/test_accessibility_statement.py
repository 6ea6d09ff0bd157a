"""The accessibility statement (RGAA 4.1 model): in English and in French, open without a
login, linked from every page's footer."""

from __future__ import annotations

from django.conf import settings
from django.test import Client
from django.urls import reverse


def statement(language: str) -> str:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("accessibility"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_statement_in_english_without_a_login(db):
    html = statement("en")
    assert '<html lang="en">' in html
    for part in ("partially compliant", "RGAA version 4.1", "Known non-conformities"):
        assert part in html
    assert f"mailto:{settings.ACCESSIBILITY_CONTACT}" in html
    assert "Défenseur des droits" in html and "Libre réponse 71120" in html


def test_the_statement_in_french(db):
    html = statement("fr")
    assert '<html lang="fr">' in html
    for part in (
        "Déclaration d'accessibilité",
        "partiellement conforme",
        "Non-conformités connues",
        "Voies de recours",
        "Retour d'information et contact",
    ):
        assert part in html, part


def test_every_page_links_to_it_in_its_footer(nurse_client):
    link = f'href="{reverse("accessibility")}"'
    for url in ("/", "/profile/", reverse("accessibility")):
        html = nurse_client.get(url).content.decode()
        footer = html[html.index("<footer") :]
        assert link in footer, url
    login_page = Client().get(reverse("login")).content.decode()
    assert link in login_page[login_page.index("<footer") :]
