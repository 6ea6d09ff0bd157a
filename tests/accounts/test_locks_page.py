"""The administrator sees the accounts locked now and may lift a lock early: the lifting is
appended to the authentication log (who, whose, why, from where), which stays append-only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD
from trial import actions, selectors
from trial.models import AuthEvent, AuthEventKind

LOCKED = "This account is locked after 5 failed attempts"


def lock(username: str) -> None:
    for _ in range(5):
        actions.record_failure(AuthEventKind.LOGIN_FAILED, username)


def test_the_page_lists_current_locks_only(client, administrator, nurse, investigator):
    lock("alice")
    lock("root")  # no such account: shown too, someone is guessing
    # Locked 20 minutes ago: over.
    AuthEvent.objects.create(
        kind=AuthEventKind.LOCKED, username="ivan", at=timezone.now() - timedelta(minutes=20)
    )
    client.force_login(administrator)
    response = client.get(reverse("account_locks"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-username="alice"' in html and 'data-username="root"' in html
    assert 'data-username="ivan"' not in html
    assert "Locked accounts" in client.get(reverse("participant_list")).content.decode()


def test_the_list_is_one_query(administrator, nurse, django_assert_num_queries):
    for name in ("alice", "bob", "carol"):
        lock(name)
    with django_assert_num_queries(1):
        locks = selectors.current_locks()
    assert [lock.username for lock in locks] == ["alice", "bob", "carol"]


def test_an_administrator_lifts_a_lock_with_a_reason_and_it_is_logged(client, administrator, nurse):
    lock("alice")
    client.force_login(administrator)
    response = client.post(
        reverse("account_locks"), {"username": "alice", "reason": "Called her back on the ward"}
    )
    assert response.status_code == 302
    assert selectors.locked_until("alice") is None
    lift = AuthEvent.objects.get(kind=AuthEventKind.UNLOCKED)
    assert (lift.username, lift.user, lift.actor) == ("alice", nurse, administrator)
    assert lift.detail == "Called her back on the ward"
    assert lift.client_address == "127.0.0.1"
    # She logs in at once, and her count of failures starts again from zero.
    other = client.__class__()
    ok = other.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert ok.status_code == 302
    # The lifting shows on the lock page and in the system audit.
    assert "Called her back on the ward" in client.get(reverse("account_locks")).content.decode()


def test_the_count_starts_again_after_a_lift(administrator, nurse):
    lock("alice")
    actions.lift_lock(administrator, "alice", reason="identity checked")
    for _ in range(4):
        actions.record_failure(AuthEventKind.LOGIN_FAILED, "alice")
    assert selectors.locked_until("alice") is None
    actions.record_failure(AuthEventKind.LOGIN_FAILED, "alice")
    assert selectors.locked_until("alice") is not None


def test_a_reason_is_required_and_an_unlocked_account_has_nothing_to_lift(administrator, nurse):
    lock("alice")
    with pytest.raises(actions.ReasonRequired):
        actions.lift_lock(administrator, "alice", reason="  ")
    assert selectors.locked_until("alice") is not None
    assert actions.lift_lock(administrator, "nobody", reason="why not") is None
    assert not AuthEvent.objects.filter(kind=AuthEventKind.UNLOCKED).exists()


@pytest.mark.parametrize("who", ["nurse", "investigator", "monitor", "data_manager"])
def test_only_administrators_see_the_page_or_lift(request, client, who, administrator):
    user = request.getfixturevalue(who)
    lock("adam")
    client.force_login(user)
    assert client.get(reverse("account_locks")).status_code == 404
    client.post(reverse("account_locks"), {"username": "adam", "reason": "me"})
    assert selectors.locked_until("adam") is not None
    with pytest.raises(actions.ActionRefused):
        actions.lift_lock(user, "adam", reason="me")


def test_the_lift_is_append_only(administrator, nurse):
    lock("alice")
    lift = actions.lift_lock(administrator, "alice", reason="checked")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuthEvent.objects.filter(pk=lift.pk).update(detail="nothing to see")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuthEvent.objects.filter(pk=lift.pk).delete()


def test_the_login_page_says_locked_then_lets_in_after_the_lift(client, administrator, nurse):
    lock("alice")
    page = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert LOCKED in page.content.decode()
    actions.lift_lock(administrator, "alice", reason="checked")
    assert (
        client.post(reverse("login"), {"username": "alice", "password": PASSWORD}).status_code
        == 302
    )
