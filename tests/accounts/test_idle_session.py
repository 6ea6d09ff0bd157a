"""A session ends after 30 minutes without the user's activity, logged; the page warns before."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from trial.middleware import LAST_ACTIVITY
from trial.models import AuthEvent, AuthEventKind

BACKGROUND = {"HTTP_X_EDC_BACKGROUND": "1"}


def idle_for(client, seconds: float) -> None:
    session = client.session
    session[LAST_ACTIVITY] = time.time() - seconds
    session.save()


def test_thirty_minutes_by_default_and_a_warning_two_minutes_before():
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60
    assert settings.SESSION_IDLE_WARNING == 2 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_activity_keeps_the_session(nurse_client):
    assert nurse_client.get(reverse("participant_list")).status_code == 200
    idle_for(nurse_client, 29 * 60)
    assert nurse_client.get(reverse("participant_list")).status_code == 200
    assert time.time() - nurse_client.session[LAST_ACTIVITY] < 5


@pytest.mark.req("P11.10d")
def test_after_thirty_idle_minutes_the_next_request_goes_to_the_login_page(nurse_client, nurse):
    nurse_client.get(reverse("participant_list"))
    idle_for(nurse_client, 30 * 60 + 1)
    response = nurse_client.get(reverse("participant_list"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert "_auth_user_id" not in nurse_client.session
    assert "Your session ended after 30 minutes without activity" in response.content.decode()
    event = AuthEvent.objects.exclude(kind=AuthEventKind.LOGIN).get()
    assert (event.kind, event.user, event.url) == (AuthEventKind.SESSION_EXPIRED, nurse, "/")
    # Logged as the session's end, not as a logout of the user's.
    assert not AuthEvent.objects.filter(kind=AuthEventKind.LOGOUT).exists()


def test_an_htmx_request_of_an_expired_session_redirects_the_page(nurse_client):
    nurse_client.get(reverse("participant_list"))
    idle_for(nurse_client, 31 * 60)
    response = nurse_client.get(reverse("todo"), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == reverse("login")


def test_background_polls_are_not_activity(nurse_client):
    nurse_client.get(reverse("participant_list"))
    idle_for(nurse_client, 29 * 60)
    status = nurse_client.get(reverse("session_status"), **BACKGROUND).json()
    assert 50 < status["remaining"] <= 60
    idle_for(nurse_client, 30 * 60 + 1)
    assert nurse_client.get(reverse("session_status"), **BACKGROUND).json() == {"remaining": 0}
    assert "_auth_user_id" not in nurse_client.session


def test_stay_logged_in_is_a_post_with_the_csrf_token(nurse):
    client = Client(enforce_csrf_checks=True)
    client.force_login(nurse)
    page = client.get(reverse("participant_list"))
    token = page.context["csrf_token"]
    idle_for(client, 29 * 60)
    assert client.post(reverse("session_status")).status_code == 403
    response = client.post(reverse("session_status"), HTTP_X_CSRFTOKEN=str(token))
    assert response.status_code == 200
    assert response.json()["remaining"] > 29 * 60


def test_the_page_carries_the_timer_and_the_warning(nurse_client):
    html = nurse_client.get(reverse("participant_list")).content.decode()
    assert 'data-idle-timeout="1800"' in html and 'data-idle-warning="120"' in html
    assert 'data-testid="session-warning"' in html and "Stay logged in" in html
    anonymous = Client().get(reverse("login")).content.decode()
    assert "data-idle-timeout" not in anonymous
