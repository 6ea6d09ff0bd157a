"""The accessibility statement (RGAA 4.1, which French public hospitals must publish): one page,
open without a login, in the reader's language, linked from every page's footer."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# When the statement was last checked against the application (the axe-core walk of every
# page for every role, tests/browser/test_axe_browser.py): update it with the statement.
STATEMENT_DATE = date(2026, 12, 6)
RGAA_VERSION = "4.1"
# The recourse the RGAA's model statement names: the Défenseur des droits.
DEFENSEUR_FORM = "https://formulaire.defenseurdesdroits.fr/"
DEFENSEUR_DELEGATES = "https://www.defenseurdesdroits.fr/saisir/delegues"


def statement(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "trial/accessibility.html",
        {
            "statement_date": STATEMENT_DATE,
            "rgaa_version": RGAA_VERSION,
            "contact": settings.ACCESSIBILITY_CONTACT,
            "defenseur_form": DEFENSEUR_FORM,
            "defenseur_delegates": DEFENSEUR_DELEGATES,
        },
    )
