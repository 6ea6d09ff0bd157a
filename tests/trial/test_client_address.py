"""Issue 9: the audit trail's client address; X-Forwarded-For only from the trusted proxies."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from trial import env
from trial.middleware import client_address

PROXIES = ["10.0.0.5", "172.16.0.0/12"]


def address(remote: str, forwarded: str | None = None) -> str:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().post("/", **extra))


@override_settings(TRUSTED_PROXIES=[], PRODUCTION=True)
def test_with_no_trusted_proxy_the_header_is_ignored_even_in_production():
    assert address("203.0.113.9", "1.2.3.4") == "203.0.113.9"


@override_settings(TRUSTED_PROXIES=PROXIES)
def test_a_client_cannot_write_its_own_address():
    # Straight to gunicorn, not through the proxy: the header is the client's invention.
    assert address("203.0.113.9", "10.9.9.9") == "203.0.113.9"


@override_settings(TRUSTED_PROXIES=PROXIES)
def test_from_a_trusted_proxy_the_right_most_untrusted_entry_is_the_client():
    assert address("10.0.0.5", "198.51.100.7") == "198.51.100.7"
    # The client prepended a fake entry; the proxy appended the address it saw.
    assert address("10.0.0.5", "1.1.1.1, 198.51.100.7") == "198.51.100.7"
    # Two proxies of ours (one in a trusted network) in the chain.
    assert address("10.0.0.5", "1.1.1.1, 198.51.100.7, 172.20.1.2") == "198.51.100.7"
    assert address("172.31.255.1", "2001:db8::1") == "2001:db8::1"


@override_settings(TRUSTED_PROXIES=PROXIES)
def test_a_trusted_proxy_without_a_usable_header_gives_the_connection():
    assert address("10.0.0.5") == "10.0.0.5"
    assert address("10.0.0.5", "") == "10.0.0.5"
    assert address("10.0.0.5", "not-an-address") == "10.0.0.5"
    assert address("10.0.0.5", "172.16.0.1") == "10.0.0.5"


def test_the_setting_reads_comma_separated_addresses_and_networks(monkeypatch):
    monkeypatch.setenv("EDC_TRUSTED_PROXIES", "10.0.0.5, 172.16.0.0/12,2001:db8::/32")
    assert env.networks("EDC_TRUSTED_PROXIES") == ["10.0.0.5", "172.16.0.0/12", "2001:db8::/32"]
    monkeypatch.setenv("EDC_TRUSTED_PROXIES", "10.0.0.5, proxy.local")
    with pytest.raises(env.MissingVariable, match="proxy.local"):
        env.networks("EDC_TRUSTED_PROXIES")
    monkeypatch.delenv("EDC_TRUSTED_PROXIES")
    assert env.networks("EDC_TRUSTED_PROXIES") == []


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=["10.0.0.5"])
def test_the_audit_trail_records_the_client_behind_the_proxy(nurse_client, participant):
    from pghistory.core import event_models

    from trial.models import FormStatus

    event_model = event_models(tracks_model=FormStatus)[0]
    response = nurse_client.post(
        f"/p/{participant.code}/log/CM/new/",
        {"version": "0", "save_draft": "1", "crf-name": "Paracetamol"},
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7",
    )
    assert response.status_code == 302
    event = event_model.objects.filter(pgh_obj__participant=participant).latest("pgh_id")
    assert event.edc_context["client_address"] == "198.51.100.7"
