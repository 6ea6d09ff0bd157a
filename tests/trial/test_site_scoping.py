"""A nurse of one site never reaches another site's participant, by list or typed URL."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import make_user
from trial import roles, selectors


@pytest.fixture
def both(participant, tls_participant):
    return participant, tls_participant


def test_tls_nurse_lists_only_tls_participants(client, tls_nurse, both):
    client.force_login(tls_nurse)
    page = client.get(reverse("participant_list")).content.decode()
    assert "TLS-001" in page
    assert "BDX-001" not in page


def test_typed_url_to_another_sites_participant_is_a_styled_404(client, tls_nurse, both):
    client.force_login(tls_nurse)
    for url in (
        reverse("participant_detail", args=["BDX-001"]),
        reverse("crf_edit", args=["BDX-001", "SCR", "DEMOG", 1]),
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert "Page not found" in response.content.decode()  # the site's page, not a trace


def test_posting_to_another_sites_form_is_a_404_and_writes_nothing(client, tls_nurse, both):
    client.force_login(tls_nurse)
    url = reverse("crf_edit", args=["BDX-001", "SCR", "DEMOG", 1])
    response = client.post(url, {"version": "0", "crf-sex": "F"})
    assert response.status_code == 404
    assert both[0].forms.get(form="DEMOG").version == 0


def test_data_manager_sees_every_site_and_administrator_none(data_manager, administrator, both):
    assert set(selectors.participants_for(data_manager).values_list("code", flat=True)) == {
        "BDX-001",
        "TLS-001",
    }
    assert not selectors.participants_for(administrator).exists()


def test_monitor_sees_assigned_sites_only(bdx, both):
    monitor = make_user("mo", roles.MONITOR, bdx)
    assert list(selectors.participants_for(monitor).values_list("code", flat=True)) == ["BDX-001"]


def test_unknown_participant_code_is_a_404_page(nurse_client):
    response = nurse_client.get("/p/NOPE-999/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_pages_need_a_login(client, participant):
    response = client.get(reverse("participant_detail", args=[participant.code]))
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
