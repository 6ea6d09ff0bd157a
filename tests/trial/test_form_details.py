"""Issue 21, the small things a nurse meets every day: a confirmation that stays ticked until
the value it confirms changes, text boxes that show their limit and refuse beyond it without
losing a character, and the site's icon."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from eligibility.models import Demographics

pytestmark = pytest.mark.django_db


def _demographics(**changes) -> dict:
    values = {
        "crf-birth_date": "1962-05-15",
        "crf-sex": "F",
        "crf-height_cm": "165",
        "crf-weight_kg": "38",  # unusual (usually 40-150): to confirm
    }
    return {"version": "0", "save_complete": "", **values, **changes}


def _digest(html: str) -> str | None:
    found = re.search(r'name="crf-confirmed_warnings" value="([^"]*)"', html)
    return found.group(1) if found else None


def _ticked(html: str) -> bool:
    box = re.search(r'<input[^>]*name="crf-confirm_unusual"[^>]*>', html)
    return bool(box) and "checked" in box.group(0)


def test_a_confirmation_stays_ticked_until_the_value_it_confirms_changes(
    client, nurse, participant
):
    client.force_login(nurse)
    url = reverse("crf_edit", args=[participant.code, "SCR", "DEMOG", 1])

    # 38 kg asks for a confirmation.
    first = client.post(url, _demographics()).content.decode()
    assert "is unusual" in first and not _ticked(first)
    digest = _digest(first)
    assert digest

    # Ticked, but the save is refused for another field (a height of 300 cm): still ticked.
    confirmed = {"crf-confirm_unusual": "on", "crf-confirmed_warnings": digest}
    second = client.post(url, _demographics(**{"crf-height_cm": "300"}, **confirmed))
    html = second.content.decode()
    assert second.status_code == 200 and "Enter a value between 100 and 230 cm" in html
    assert _ticked(html) and _digest(html) == digest
    assert "Tick the confirmation box" not in html

    # The height corrected, the box still ticked as the page left it: saved.
    third = client.post(url, _demographics(**confirmed))
    assert third.status_code == 302
    assert Demographics.objects.get(form_status__participant=participant).weight_kg == 38


def test_a_confirmation_is_asked_again_when_the_confirmed_value_changes(client, nurse, participant):
    client.force_login(nurse)
    url = reverse("crf_edit", args=[participant.code, "SCR", "DEMOG", 1])
    digest = _digest(client.post(url, _demographics()).content.decode())
    # Another unusual weight: the tick confirmed 38 kg, not 36 kg.
    changed = client.post(
        url,
        _demographics(
            **{"crf-weight_kg": "36", "crf-confirm_unusual": "on", "crf-confirmed_warnings": digest}
        ),
    )
    html = changed.content.decode()
    assert changed.status_code == 200 and not _ticked(html)
    assert "36 kg is unusual" in html and "Tick the confirmation box" in html
    assert _digest(html) != digest
    assert not Demographics.objects.filter(form_status__participant=participant).exists()


def test_a_text_box_shows_its_limit_and_refuses_a_longer_text_keeping_it(
    client, nurse, participant
):
    client.force_login(nurse)
    url = reverse("crf_add_repeat", args=[participant.code, "CM"])
    page = client.get(url).content.decode()
    box = re.search(r'<input[^>]*name="crf-indication"[^>]*>', page).group(0)
    # No maxlength: the browser would cut a pasted text without a word.
    assert " maxlength=" not in box and 'data-maxlength="200"' in box
    long_text = ("Nausées et vomissements " * 10).strip()  # 239 characters
    response = client.post(
        url,
        {
            "version": "0",
            "save_complete": "",
            "crf-name": "Ondansetron",
            "crf-indication": long_text,
            "crf-dose": "8 mg",
            "crf-route": "oral",
            "crf-start_date": date(2026, 3, 10).isoformat(),
            "crf-ongoing": "on",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "at most 200 characters (it has 239)" in html
    assert long_text in html  # kept on the page, to shorten
    assert not participant.forms.filter(form="CM").exists()


def test_the_site_has_an_icon_before_and_after_login(client, nurse):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon["Content-Type"] == "image/svg+xml"
    assert icon.content.startswith(b"<svg")
    client.force_login(nurse)
    page = client.get(reverse("participant_list")).content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page
    assert client.get("/static/favicon.svg").status_code == 200
