"""Passwords: Argon2id hashing, and a policy (12 characters, not common, not like the name)."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from tests.conftest import PASSWORD
from tests.trial.test_settings_and_deploy import PRODUCTION_VARS, run_python


def test_production_settings_hash_with_argon2id_first():
    code = (
        "import django; django.setup(); from django.contrib.auth.hashers import get_hasher, "
        "make_password; print(get_hasher().algorithm, make_password('x' * 20).split('$')[1])"
    )
    result = run_python(code, PRODUCTION_VARS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["argon2", "argon2id"]


@pytest.mark.req("E6.4.3.3")
def test_stored_passwords_are_argon2id_and_verify(nurse):
    nurse.refresh_from_db()
    assert nurse.password.startswith("argon2$argon2id$")
    assert authenticate(username="alice", password=PASSWORD) == nurse


def test_an_older_pbkdf2_hash_is_upgraded_at_login(db):
    from django.contrib.auth.hashers import make_password

    user = User.objects.create(
        username="olga", password=make_password(PASSWORD, hasher="pbkdf2_sha256")
    )
    assert authenticate(username="olga", password=PASSWORD) == user
    user.refresh_from_db()
    assert user.password.startswith("argon2$")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Short-pw-11", "at least 12 characters"),
        ("password1234", "too common"),
        ("123456789012345", "entirely numeric"),
        ("alice.dubois.2026", "too similar to the username"),
    ],
)
@pytest.mark.req("P11.300")
def test_the_policy_refuses(password, reason, db):
    user = User(username="alice.dubois", first_name="Alice", last_name="Dubois")
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    assert reason in " ".join(refused.value.messages)


def test_the_policy_accepts_a_long_unrelated_passphrase(db):
    user = User(username="alice.dubois", first_name="Alice", last_name="Dubois")
    validate_password("ward-7 tulip gravel lantern", user)


def test_a_user_changes_the_password_under_the_policy(nurse_client, nurse):
    from django.urls import reverse

    url = reverse("password_change")
    assert "Change my password" in nurse_client.get(reverse("profile")).content.decode()
    short = nurse_client.post(
        url, {"old_password": PASSWORD, "new_password1": "Tulip-77", "new_password2": "Tulip-77"}
    )
    assert "at least 12 characters" in short.content.decode()
    new = "ward-7 tulip gravel lantern"
    done = nurse_client.post(
        url, {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert done.status_code == 302
    nurse.refresh_from_db()
    assert nurse.check_password(new) and nurse.password.startswith("argon2$argon2id$")
