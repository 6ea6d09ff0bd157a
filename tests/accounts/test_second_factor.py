"""The second factor (TOTP, django-otp): optional for anyone, required for investigators and
data managers when EDC_REQUIRE_2FA is on; every step in the authentication log; wrong codes
count towards the lockout like wrong passwords."""

from __future__ import annotations

from base64 import b32encode

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD
from trial import selectors
from trial.account_views import SETUP_KEY
from trial.accounts import SECOND_FACTOR_PENDING
from trial.models import AuthEvent, AuthEventKind


@pytest.fixture(autouse=True)
def no_throttle(settings):
    # django-otp's own delay after a wrong code; the lockout is what these tests look at.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def code(device: TOTPDevice, shift: int = 0) -> str:
    if device.pk:
        device.refresh_from_db()
    return (
        f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + shift):06d}"
    )


def offered(client: Client) -> TOTPDevice:
    """The app being set up: the key the set-up page offered (kept in the session)."""
    return TOTPDevice(key=client.session[SETUP_KEY])


def wrong(device: TOTPDevice) -> str:
    right = {code(device, s) for s in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in right)


def login(client: Client, username: str, password: str = PASSWORD, next_url: str = ""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def kinds(username: str) -> list[str]:
    return list(
        AuthEvent.objects.filter(username=username).order_by("pk").values_list("kind", flat=True)
    )


@pytest.fixture
def ivan_app(investigator) -> TOTPDevice:
    return TOTPDevice.objects.create(user=investigator, name="phone", confirmed=True)


def test_off_by_default_and_no_app_means_one_step(client, investigator, settings):
    assert settings.EDC_REQUIRE_2FA is False
    assert login(client, "ivan").url == reverse("participant_list")
    assert client.get(reverse("participant_list")).status_code == 200
    assert kinds("ivan") == [AuthEventKind.LOGIN]


@pytest.mark.req("E6.4.3.3")
def test_required_for_investigators_and_data_managers_who_set_it_up_first(
    client, investigator, settings
):
    settings.EDC_REQUIRE_2FA = True
    response = login(client, "ivan", next_url="/audit/")
    assert response.status_code == 302
    # Every page leads to the set-up page until the app is set up.
    page = client.get(reverse("participant_list"))
    assert page.status_code == 302 and page.url.startswith(reverse("otp_setup"))
    setup = client.get(reverse("otp_setup"))
    html = setup.content.decode()
    assert "<svg" in html and 'data-testid="otp-secret"' in html
    # Looking at the page wrote nothing: the key waits in the session for a right code.
    assert not TOTPDevice.objects.exists()
    device = offered(client)
    assert b32encode(device.bin_key).decode() in html
    assert "issuer=EDC%20NCT04837885" in TOTPDevice(user=investigator, key=device.key).config_url
    refused = client.post(reverse("otp_setup"), {"token": wrong(device)})
    assert "This code is not right" in refused.content.decode()
    done = client.post(reverse("otp_setup"), {"token": code(device), "next": "/profile/"})
    assert done.url == "/profile/"
    assert TOTPDevice.objects.get(user=investigator).confirmed
    assert client.get(reverse("participant_list")).status_code == 200
    assert kinds("ivan") == [
        AuthEventKind.PASSWORD_OK,
        AuthEventKind.OTP_FAILED,
        AuthEventKind.OTP_ENROLLED,
        AuthEventKind.LOGIN,
    ]


@pytest.mark.parametrize(("who", "required"), [("data_manager", True), ("nurse", False)])
def test_the_setting_names_the_roles(request, client, settings, who, required):
    settings.EDC_REQUIRE_2FA = True
    user = request.getfixturevalue(who)
    login(client, user.username)
    response = client.get(reverse("participant_list"))
    assert (response.status_code == 302) is required


def test_a_user_with_an_app_gives_a_code_at_each_login(client, investigator, ivan_app):
    response = login(client, "ivan", next_url="/profile/")
    page = client.get(response.url)
    assert page.status_code == 302 and page.url.startswith(reverse("otp_verify"))
    assert client.get("/profile/").url.startswith(reverse("otp_verify"))
    # Pending, the set-up page cannot replace the app it has to prove.
    assert client.get(reverse("otp_setup")).url == reverse("otp_verify")
    before = client.session.session_key
    done = client.post(reverse("otp_verify"), {"token": code(ivan_app), "next": "/profile/"})
    assert done.url == "/profile/"
    assert client.session.session_key != before
    assert SECOND_FACTOR_PENDING not in client.session
    assert client.get("/profile/").status_code == 200
    assert kinds("ivan") == [AuthEventKind.PASSWORD_OK, AuthEventKind.LOGIN]
    assert AuthEvent.objects.get(kind=AuthEventKind.LOGIN).detail == "TOTP"


def test_a_code_is_not_accepted_twice(client, investigator, ivan_app):
    login(client, "ivan")
    token = code(ivan_app)
    client.post(reverse("otp_verify"), {"token": token})
    other = Client()
    login(other, "ivan")
    replay = other.post(reverse("otp_verify"), {"token": token})
    assert replay.status_code == 200 and "not right" in replay.content.decode()


def test_wrong_codes_count_with_wrong_passwords_and_lock(client, investigator, ivan_app):
    login(client, "ivan", password="wrong")
    login(client, "ivan", password="wrong")
    login(client, "ivan")  # the password is right, the code is still to come: no reset
    for _ in range(2):
        page = client.post(reverse("otp_verify"), {"token": wrong(ivan_app)})
        assert "not right" in page.content.decode()
    locked = client.post(reverse("otp_verify"), {"token": wrong(ivan_app)}, follow=True)
    assert "This account is locked after 5 failed attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert selectors.locked_until("ivan") is not None
    assert kinds("ivan")[:8] == [
        AuthEventKind.LOGIN_FAILED,
        AuthEventKind.LOGIN_FAILED,
        AuthEventKind.PASSWORD_OK,
        AuthEventKind.OTP_FAILED,
        AuthEventKind.OTP_FAILED,
        AuthEventKind.OTP_FAILED,
        AuthEventKind.LOCKED,
        AuthEventKind.LOGOUT,
    ]


def test_htmx_requests_of_a_pending_login_are_redirected(client, investigator, ivan_app):
    login(client, "ivan")
    response = client.get(reverse("todo"), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(reverse("otp_verify"))


def test_anyone_may_set_up_an_app_from_the_profile(nurse_client, nurse):
    profile = nurse_client.get(reverse("profile")).content.decode()
    assert "Set up an authenticator app" in profile
    nurse_client.get(reverse("otp_setup"))
    device = offered(nurse_client)
    assert nurse_client.post(reverse("otp_setup"), {"token": code(device)}).url == "/profile/"
    assert "Your authenticator app is set up" in nurse_client.get("/profile/").content.decode()
    assert kinds("alice")[-1] == AuthEventKind.OTP_ENROLLED
    # From now on her logins take a code.
    other = Client()
    login(other, "alice")
    assert other.get("/").url.startswith(reverse("otp_verify"))


def test_setting_up_and_removing_an_app_is_in_the_trail_without_its_key(
    nurse_client, nurse, administrator
):
    from django.apps import apps

    from trial.audit import audit_context

    events = apps.get_model("trial", "TOTPDeviceEvent")
    nurse_client.get(reverse("otp_setup"))
    nurse_client.post(reverse("otp_setup"), {"token": code(offered(nurse_client))})
    device = TOTPDevice.objects.get(user=nurse)
    with audit_context(administrator, reason="lost phone"):
        device.delete()
    trail = list(events.objects.order_by("pgh_id").values("pgh_label", "user_id", "confirmed"))
    assert trail == [
        {"pgh_label": "totp.add", "user_id": nurse.pk, "confirmed": True},
        {"pgh_label": "totp.remove", "user_id": nurse.pk, "confirmed": True},
    ]
    assert "key" not in {f.name for f in events._meta.fields}
