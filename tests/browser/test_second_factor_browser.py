"""An investigator, with the second factor required, sets up an authenticator app at first
login (the QR code shows, under the strict CSP), then a later login asks for a code."""

from __future__ import annotations

from base64 import b32decode

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def current_code(device: TOTPDevice, ahead: int = 0) -> str:
    if device.pk:
        device.refresh_from_db()
    return (
        f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + ahead):06d}"
    )


def test_set_up_at_first_login_then_a_code_at_the_next(page, live_server, investigator, settings):
    settings.EDC_REQUIRE_2FA = True
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "ivan")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/accounts/2fa/setup/**")
    expect(page.get_by_test_id("otp-qr").locator("svg")).to_be_visible()
    secret = page.get_by_test_id("otp-secret").inner_text()
    page.fill("input[name=token]", current_code(TOTPDevice(key=b32decode(secret).hex())))
    page.click("[data-testid=otp-form] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_test_id("whoami")).to_contain_text("Ivan")
    device = TOTPDevice.objects.get(user=investigator, confirmed=True)

    page.click("text=Log out")
    page.fill("input[name=username]", "ivan")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/accounts/2fa/**")
    # The code just used is spent: the next one of the app (the sync window allows it).
    page.fill("input[name=token]", current_code(device, ahead=1))
    page.click("[data-testid=otp-form] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
