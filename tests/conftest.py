"""Story fixtures: a BDX nurse and investigator who work on BDX participants, a TLS nurse who
must see nothing of BDX, and the other roles. Real PostgreSQL, real objects, no factories."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Group, User

from trial import actions, roles
from trial.models import Membership, Site

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True, scope="session")
def quick_password_hashing():
    """Argon2 at a test cost (tests/hashers.py); production's cost is tested in a subprocess."""
    from django.test.utils import override_settings

    hashers = [
        "tests.hashers.QuickArgon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    with override_settings(PASSWORD_HASHERS=hashers):
        yield


@pytest.fixture
def bdx(db) -> Site:
    return Site.objects.create(code="BDX", name="CHU de Bordeaux")


@pytest.fixture
def tls(db) -> Site:
    return Site.objects.create(code="TLS", name="CHU de Toulouse")


def make_user(username: str, role: str, *sites: Site, first: str = "", last: str = "") -> User:
    user = User.objects.create_user(
        username, password=PASSWORD, first_name=first or username.title(), last_name=last or "Test"
    )
    user.groups.add(Group.objects.get(name=role))
    for site in sites:
        Membership.objects.create(user=user, site=site)
    return user


@pytest.fixture
def nurse(bdx) -> User:
    return make_user("alice", roles.NURSE, bdx, first="Alice", last="Nurse")


@pytest.fixture
def investigator(bdx) -> User:
    return make_user("ivan", roles.INVESTIGATOR, bdx, first="Ivan", last="Investigator")


@pytest.fixture
def monitor(bdx) -> User:
    return make_user("mona", roles.MONITOR, bdx)


@pytest.fixture
def data_manager(bdx) -> User:
    return make_user("dana", roles.DATA_MANAGER, bdx)


@pytest.fixture
def administrator(bdx) -> User:
    return make_user("adam", roles.ADMINISTRATOR, bdx)


@pytest.fixture
def tls_nurse(tls) -> User:
    return make_user("charlie", roles.NURSE, tls)


@pytest.fixture
def participant(nurse, bdx):
    return actions.register_participant(nurse, bdx, date(2026, 3, 2))


@pytest.fixture
def tls_participant(tls_nurse, tls):
    return actions.register_participant(tls_nurse, tls, date(2026, 3, 9))


@pytest.fixture
def nurse_client(client, nurse):
    client.force_login(nurse)
    return client


@pytest.fixture(autouse=True)
def no_csp_violation(request):
    """Every browser test fails if the page broke the Content-Security-Policy (settings.py):
    Chromium reports each refused inline script, style or eval on the console."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    violations: list[str] = []

    def watch(message) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", watch)
    yield
    assert not violations, "\n".join(violations)
