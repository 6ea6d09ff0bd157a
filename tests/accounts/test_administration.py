"""The administrator's pages in the product (issue: a complete trail, finding 7 and item 2):
accounts, sites and dated role assignments, each change with its reason and in the
administration trail; the roles-over-time report (CSV, PDF) that the archive carries; the
administrator enters no clinical data."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD
from trial import actions, registry, roles, roles_report
from trial.exports.common import Scope
from trial.models import RoleAssignment, Site, SiteEvent, UserEvent

NEW_PASSWORD = "violet-harbour-2026"
ADMIN_PAGES = [
    ("admin_users", {}),
    ("admin_user_new", {}),
    ("admin_sites", {}),
    ("admin_roles", {}),
    ("admin_trail", {}),
]


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


def new_account(admin_client, **extra) -> object:
    body = {
        "username": "bruno",
        "first_name": "Bruno",
        "last_name": "Garnier",
        "email": "bruno@example.org",
        "password": NEW_PASSWORD,
        "reason": "new research nurse at BDX",
        **extra,
    }
    return admin_client.post(reverse("admin_user_new"), body)


def assign(admin_client, user, site, **extra):
    body = {
        "action": "assign",
        "assign-role": roles.NURSE,
        "assign-site": site.pk,
        "assign-starts_on": timezone.localdate().isoformat(),
        "assign-ends_on": "",
        "assign-reason": "joined the unit",
        **{f"assign-{k}": v for k, v in extra.items()},
    }
    return admin_client.post(reverse("admin_user", args=[user.pk]), body)


def test_only_the_administrator_reaches_the_administration(
    client, nurse, data_manager, administrator
):
    for user in (nurse, data_manager):
        client.force_login(user)
        for name, kwargs in ADMIN_PAGES:
            assert client.get(reverse(name, kwargs=kwargs)).status_code == 404
        assert client.get(reverse("admin_user", args=[nurse.pk])).status_code == 404
    client.force_login(administrator)
    for name, kwargs in ADMIN_PAGES:
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 200


def test_an_account_is_created_assigned_and_can_log_in(admin_client, bdx):
    response = new_account(admin_client)
    bruno = User.objects.get(username="bruno")
    assert response.status_code == 302 and response.url == reverse("admin_user", args=[bruno.pk])
    # No role yet: no login.
    refused = Client().post(reverse("login"), {"username": "bruno", "password": NEW_PASSWORD})
    assert "This account has no role at present" in refused.content.decode()
    assert assign(admin_client, bruno, bdx).status_code == 302
    assert set(bruno.groups.values_list("name", flat=True)) == {roles.NURSE}
    assert list(bruno.memberships.values_list("site__code", flat=True)) == ["BDX"]
    assert Client().login(username="bruno", password=NEW_PASSWORD)
    created = UserEvent.objects.filter(pgh_obj_id=bruno.pk, pgh_label="insert").get()
    assert created.edc_context["reason"] == "new research nurse at BDX"
    trail = admin_client.get(reverse("admin_trail")).content.decode()
    assert "joined the unit" in trail and "new research nurse at BDX" in trail


def test_a_change_without_a_reason_is_refused_and_keeps_what_was_typed(admin_client, bdx):
    page = new_account(admin_client, reason="").content.decode()
    assert "Give the reason for this change." in page
    assert 'value="Garnier"' in page
    assert not User.objects.filter(username="bruno").exists()


def test_an_administrator_holds_no_clinical_role(admin_client, administrator, bdx):
    actions.assign_role(
        administrator,
        administrator,
        role=roles.ADMINISTRATOR,
        site=bdx,
        starts_on=timezone.localdate() - timedelta(days=10),
        ends_on=None,
        reason="administrator of the trial",
    )
    page = assign(admin_client, administrator, bdx, role=roles.INVESTIGATOR).content.decode()
    assert "cannot be administrator and hold a clinical role" in page
    assert not RoleAssignment.objects.filter(user=administrator, role=roles.INVESTIGATOR)


def test_dates_in_the_wrong_order_are_refused_beside_the_field(admin_client, nurse, bdx):
    today = timezone.localdate()
    page = assign(
        admin_client, nurse, bdx, ends_on=(today - timedelta(days=1)).isoformat()
    ).content.decode()
    assert "The end date is before the start date." in page
    assert not RoleAssignment.objects.exists()


def test_reset_password_and_second_factor_end_the_sessions(admin_client, nurse):
    TOTPDevice.objects.create(user=nurse, name="phone", confirmed=True)
    session = Client()
    assert session.login(username="alice", password=PASSWORD)
    url = reverse("admin_user", args=[nurse.pk])
    admin_client.post(
        url,
        {"action": "second_factor", "second_factor-reason": "phone lost (identity checked)"},
    )
    assert not TOTPDevice.objects.filter(user=nurse).exists()
    assert session.get(reverse("participant_list")).status_code == 302
    admin_client.post(
        url,
        {
            "action": "password",
            "password-password": NEW_PASSWORD,
            "password-reason": "forgotten password",
        },
    )
    assert Client().login(username="alice", password=NEW_PASSWORD)
    trail = admin_client.get(reverse("admin_trail")).content.decode()
    assert "phone lost (identity checked)" in trail and "forgotten password" in trail


def test_sites_are_created_and_changed_with_a_reason(admin_client):
    admin_client.post(
        reverse("admin_sites"),
        {
            "code": "nts",
            "name": "CHU de Nantes",
            "time_zone": "Europe/Paris",
            "language": "fr",
            "reason": "third site opened",
        },
    )
    site = Site.objects.get(code="NTS")
    admin_client.post(
        reverse("admin_site", args=[site.pk]),
        {
            "code": "NTS",
            "name": "CHU de Nantes (Hôtel-Dieu)",
            "time_zone": "Europe/Paris",
            "language": "fr",
            "reason": "name corrected",
        },
    )
    reasons = [
        e.edc_context["reason"]
        for e in SiteEvent.objects.filter(pgh_obj_id=site.pk).order_by("pgh_id")
    ]
    assert reasons == ["third site opened", "name corrected"]


def test_an_assignment_starting_later_takes_effect_on_its_day(administrator, nurse, bdx, tls):
    today = timezone.localdate()
    actions.assign_role(
        administrator,
        nurse,
        role=roles.NURSE,
        site=bdx,
        starts_on=today - timedelta(days=5),
        ends_on=today + timedelta(days=1),
        reason="cover until the transfer",
    )
    actions.assign_role(
        administrator,
        nurse,
        role=roles.NURSE,
        site=tls,
        starts_on=today + timedelta(days=2),
        ends_on=None,
        reason="transferred to TLS",
    )
    assert list(nurse.memberships.values_list("site__code", flat=True)) == ["BDX"]
    assert actions.apply_role_dates(today + timedelta(days=2)) == 1
    assert list(nurse.memberships.values_list("site__code", flat=True)) == ["TLS"]
    assert actions.apply_role_dates(today + timedelta(days=2)) == 0


def test_the_roles_over_time_report_per_site_as_csv_and_pdf(
    admin_client, administrator, nurse, bdx, tls
):
    today = timezone.localdate()
    first = actions.assign_role(
        administrator,
        nurse,
        role=roles.NURSE,
        site=bdx,
        starts_on=today - timedelta(days=100),
        ends_on=None,
        reason="joined the unit",
    )
    actions.end_assignment(
        administrator, first, ends_on=today - timedelta(days=10), reason="moved to TLS"
    )
    actions.assign_role(
        administrator,
        nurse,
        role=roles.NURSE,
        site=tls,
        starts_on=today - timedelta(days=9),
        ends_on=None,
        reason="transferred",
    )
    response = admin_client.get(reverse("admin_roles"), {"site": bdx.pk, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert response["Content-Type"] == "text/csv"
    assert [(r["site"], r["username"], r["role"], r["from"], r["to"]) for r in rows] == [
        (
            "BDX",
            "alice",
            roles.NURSE,
            (today - timedelta(days=100)).isoformat(),
            (today - timedelta(days=10)).isoformat(),
        )
    ]
    assert rows[0]["assigned_by"] == "adam" and rows[0]["assignment_reason"] == "joined the unit"
    assert (rows[0]["end_set_by"], rows[0]["end_reason"]) == ("adam", "moved to TLS")
    everywhere = roles_report.held()
    assert [r.site for r in everywhere] == ["BDX", "TLS"]
    pdf = admin_client.get(reverse("admin_roles"), {"format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # The archive's fact is this report, for the export's scope.
    name, content = registry.ROLES_REPORT.provider(Scope(site=tls))
    assert name == "roles-over-time.csv"
    assert [r["site"] for r in csv.DictReader(io.StringIO(content.decode()))] == ["TLS"]


def test_the_administrator_enters_no_clinical_data(admin_client, participant):
    assert (
        admin_client.get(reverse("participant_detail", args=[participant.code])).status_code == 404
    )
    response = admin_client.post(
        reverse("participant_register"),
        {"site": participant.site_id, "screening_date": "2026-03-02"},
    )
    assert response.status_code in (403, 404)
