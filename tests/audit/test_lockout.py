"""Five consecutive failures, at the login page or when signing, lock the account 15 minutes."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.audit.conftest import TEST_KIND
from tests.conftest import PASSWORD
from trial import actions, selectors
from trial.models import AuthEvent, AuthEventKind

LOCKED = "This account is locked after 5 failed attempts"


def login(client, password: str, username: str = "alice"):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.req("P11.10d", "P11.300")
def test_five_failed_logins_lock_the_account_with_a_clear_message(client, nurse):
    for _ in range(4):
        response = login(client, "wrong")
        assert "Please enter a correct username and password" in response.content.decode()
    response = login(client, "wrong")
    assert LOCKED in response.content.decode()
    # Even the right password is refused while locked, and the attempt is logged.
    response = login(client, PASSWORD)
    assert response.status_code == 200 and LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session
    kinds = list(AuthEvent.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == [AuthEventKind.LOGIN_FAILED] * 5 + [
        AuthEventKind.LOCKED,
        AuthEventKind.LOGIN_REFUSED,
    ]


def test_the_lock_ends_after_15_minutes(client, nurse):
    for _ in range(5):
        login(client, "wrong")
    later = timezone.now() + timedelta(minutes=15, seconds=1)
    with mock.patch("trial.selectors.timezone.now", return_value=later):
        assert selectors.locked_until("alice") is None
        response = login(client, PASSWORD)
    assert response.status_code == 302


def test_a_success_resets_the_count(client, nurse):
    for _ in range(4):
        login(client, "wrong")
    assert login(client, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        login(client, "wrong")
    assert selectors.locked_until("alice") is None
    assert login(client, PASSWORD).status_code == 302


@pytest.mark.req("P11.300")
def test_failed_signatures_count_with_failed_logins(
    client, investigator, participant, demog, test_kind
):
    for _ in range(3):
        login(client, "wrong", username="ivan")
    with pytest.raises(actions.WrongPassword):
        actions.sign(investigator, "wrong", participant, kind=TEST_KIND, meaning="I confirm")
    with pytest.raises(actions.WrongPassword, match="locked"):
        actions.sign(investigator, "wrong", participant, kind=TEST_KIND, meaning="I confirm")
    # Locked: neither signing (even with the right password) nor logging in.
    with pytest.raises(actions.AccountLocked):
        actions.sign(investigator, PASSWORD, participant, kind=TEST_KIND, meaning="I confirm")
    assert LOCKED in login(client, PASSWORD, username="ivan").content.decode()


def test_five_failed_signatures_lock_the_login_too(client, investigator, participant, test_kind):
    for _ in range(5):
        with pytest.raises(actions.WrongPassword):
            actions.sign(investigator, "", participant, kind=TEST_KIND, meaning="I confirm")
    assert selectors.locked_until("ivan") is not None
    assert LOCKED in login(client, PASSWORD, username="ivan").content.decode()


def test_an_unknown_user_name_is_logged_and_locked_like_any_other(client, db):
    for _ in range(5):
        login(client, "guess", username="root")
    assert AuthEvent.objects.filter(username="root", kind=AuthEventKind.LOCKED).exists()
    assert LOCKED in login(client, "guess", username="root").content.decode()


def test_the_backend_refuses_a_locked_account_on_any_login_path(nurse, db):
    from django.contrib.auth import authenticate

    for _ in range(5):
        actions.record_failure(AuthEventKind.LOGIN_FAILED, "alice")
    assert authenticate(username="alice", password=PASSWORD) is None
