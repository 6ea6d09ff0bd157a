"""Sessions end with the right to use them (issue: a complete trail, finding 2): a locked,
deactivated or role-less account is logged out on its next request, not at its next login,
and the check costs a page no query."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD
from trial import actions
from trial.models import AuthEvent, AuthEventKind, Participant


def logged_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def register_post(client: Client, site) -> int:
    before = Participant.objects.count()
    response = client.post(
        reverse("participant_register"), {"site": site.pk, "screening_date": "2026-03-02"}
    )
    assert response.status_code == 302
    return Participant.objects.count() - before


def test_a_locked_account_is_logged_out_at_its_next_request(nurse, bdx):
    client = logged_in("alice")
    assert client.get(reverse("participant_list")).status_code == 200
    # Someone else guesses the password five times: the account locks.
    for _attempt in range(5):
        assert not Client().login(username="alice", password="wrong password!")
    response = client.get(reverse("participant_list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    # The session is gone: a write of the nurse's is refused (was: saved after the lock).
    assert register_post(client, bdx) == 0
    assert AuthEvent.objects.filter(username="alice", kind=AuthEventKind.SESSION_ENDED).exists()


def test_a_deactivated_account_is_logged_out_at_its_next_request(administrator, nurse, bdx):
    client = logged_in("alice")
    actions.set_active(administrator, nurse, False, reason="left the hospital")
    response = client.get(reverse("participant_list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert register_post(client, bdx) == 0
    assert not Client().login(username="alice", password=PASSWORD)


def test_an_account_whose_roles_end_is_logged_out_and_cannot_log_in(administrator, nurse, bdx):
    today = timezone.localdate()
    assignment = actions.assign_role(
        administrator,
        nurse,
        role="Research nurse",
        site=bdx,
        starts_on=today - timedelta(days=30),
        ends_on=None,
        reason="joined the unit",
    )
    client = logged_in("alice")
    assert client.get(reverse("participant_list")).status_code == 200
    actions.end_assignment(
        administrator, assignment, ends_on=today - timedelta(days=1), reason="left the unit"
    )
    nurse.refresh_from_db()
    assert not nurse.groups.exists() and not nurse.memberships.exists()
    response = client.get(reverse("participant_list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    page = Client().post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert "This account has no role at present" in page.content.decode()


def test_an_unchanged_account_keeps_its_session(administrator, nurse, bdx):
    client = logged_in("alice")
    # A change of another account's access ends only that account's sessions.
    actions.set_active(administrator, administrator, True, reason="checked")
    assert client.get(reverse("participant_list")).status_code == 200
    assert register_post(client, bdx) == 1


def count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_check_costs_a_page_no_query(settings, nurse, participant):
    url = reverse("participant_detail", args=[participant.code])
    client = logged_in("alice")
    client.get(url)
    with_check = count(client, url)
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "trial.middleware.AccessStampMiddleware"
    ]
    without = count(client, url)
    assert with_check == without
    # And with a stamp row (after a change of access) the user is still read in one query.
    actions.end_sessions(nurse)
    client = logged_in("alice")
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "trial.middleware.AccessStampMiddleware"]
    client.get(url)
    assert count(client, url) == without


def test_a_lock_reaches_a_session_opened_before_it(nurse, bdx):
    # The same, through the lockout of failed signatures (record_failure), dated.
    client = logged_in("alice")
    for _attempt in range(5):
        actions.record_failure(AuthEventKind.SIGNATURE_FAILED, "alice", user=nurse)
    assert client.get(reverse("participant_list")).status_code == 302
