"""A session that ends in the middle of a form loses nothing: the page stays with what was
typed, the save asks for the password in a dialog, nothing is stored before, and then the
form is saved as typed (issue 30, WCAG 2.2.1)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from eligibility.models import Demographics
from tests.conftest import PASSWORD
from trial import actions
from trial.models import AuthEvent, AuthEventKind, FormStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TYPED = {
    "crf-birth_date": "1962-05-15",
    "crf-height_cm": "165",
    "crf-weight_kg": "70.5",
}


def type_demographics(page) -> None:
    # A date box takes ISO in every language (and the reader's own style besides).
    for name, value in TYPED.items():
        page.locator(f"[name={name}]").fill(value)
    page.select_option("[name=crf-sex]", "F")


def test_a_session_ending_mid_form_asks_the_password_then_saves_what_was_typed(
    login, live_server, nurse, bdx, settings, output_path
):
    out = Path(output_path)
    out.mkdir(parents=True, exist_ok=True)
    participant = actions.register_participant(nurse, bdx, date(2026, 3, 2))
    row = participant.forms.get(form="DEMOG")
    page = login(nurse)
    settings.SESSION_IDLE_TIMEOUT = 6
    settings.SESSION_IDLE_WARNING = 4
    page.goto(f"{live_server.url}/p/{participant.code}/SCR/DEMOG/1/")
    type_demographics(page)

    # Warned first, then the session ends: the page stays, with everything typed.
    expect(page.get_by_test_id("session-warning")).to_be_visible(timeout=6000)
    ended = page.get_by_test_id("session-ended")
    expect(ended).to_be_visible(timeout=10000)
    assert AuthEvent.objects.filter(kind=AuthEventKind.SESSION_EXPIRED, user=nurse).exists()
    assert page.url.endswith(f"/p/{participant.code}/SCR/DEMOG/1/")
    expect(page.locator("[name=crf-weight_kg]")).to_have_value("70.5")
    page.screenshot(path=str(out / "session-ended.png"))

    # The save asks for the password; nothing reached the server.
    page.click("button[name=save_complete]")
    dialog = page.get_by_test_id("reauth-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#reauth-password")).to_be_focused()
    expect(page.locator("#reauth-username")).to_have_value(nurse.username)
    page.screenshot(path=str(out / "reauth-dialog.png"))
    # The live panel ("computed as you type") asked the server on the way: it did not get
    # the login page swapped into it.
    expect(page.locator("main input[name=username]")).to_have_count(0)
    row.refresh_from_db()
    assert row.version == 0 and not Demographics.objects.filter(form_status=row).exists()

    # A wrong password: said in the dialog, still nothing stored, still everything typed.
    page.fill("#reauth-password", "not the password")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("reauth-error")).to_be_visible()
    expect(dialog).to_be_visible()
    row.refresh_from_db()
    assert row.version == 0
    expect(page.locator("[name=crf-height_cm]")).to_have_value("165")

    # The right one: logged in again, and the form is saved as typed.
    settings.SESSION_IDLE_TIMEOUT = 600
    page.fill("#reauth-password", PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("participant-code")).to_have_text(participant.code)
    saved = Demographics.objects.get(form_status=row)
    assert (saved.birth_date, saved.sex) == (date(1962, 5, 15), "F")
    assert (saved.height_cm, saved.weight_kg) == (Decimal("165"), Decimal("70.5"))
    assert FormStatus.objects.get(pk=row.pk).version == 1
    logins = AuthEvent.objects.filter(kind=AuthEventKind.LOGIN, user=nurse).count()
    assert logins == 2  # the login page's, and the dialog's
    # The notice meant for the login page is not shown on the next page.
    expect(page.locator("body")).not_to_contain_text("Your session ended after")


def test_the_reauthentication_takes_only_the_right_password(client, nurse):
    response = client.post("/accounts/session/reauth/", {"username": nurse.username})
    assert response.status_code == 400 and response.json()["error"]
    response = client.post(
        "/accounts/session/reauth/", {"username": nurse.username, "password": "wrong"}
    )
    assert response.status_code == 400 and "_auth_user_id" not in client.session
    assert AuthEvent.objects.filter(kind=AuthEventKind.LOGIN_FAILED).count() == 1
    response = client.post(
        "/accounts/session/reauth/", {"username": nurse.username, "password": PASSWORD}
    )
    assert response.status_code == 200 and response.json()["csrf"]
    assert client.session["_auth_user_id"] == str(nurse.pk)


def test_a_live_panel_of_a_page_without_session_is_told_not_swapped(client):
    response = client.get("/todo/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == "/accounts/login/"
    assert client.get("/todo/").status_code == 302
