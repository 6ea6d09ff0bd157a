"""History you can read: every value of every field, who, when (site time, UTC on hover), why;
and the system audit view of logins and account changes for data managers."""

from __future__ import annotations

import re
from datetime import UTC

from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from eligibility.models import Demographics
from tests.audit.conftest import crf_url, save_demographics
from tests.conftest import PASSWORD
from trial import actions, roles
from trial.audit import audit_context
from trial.history import event_model_for, form_history
from trial.models import AuthEvent, AuthEventKind, Site


def rows_of(html: str, field: str) -> list[str]:
    return re.findall(rf'<tr data-field="{field}".*?</tr>', html, flags=re.S)


def test_history_lists_every_value_with_who_when_and_why(nurse_client, demog, investigator):
    save_demographics(investigator, demog, reason="transcription error", weight_kg="64")
    save_demographics(investigator, demog, reason="source document updated", weight_kg="65")
    page = nurse_client.get(crf_url(demog))
    assert f'href="{crf_url(demog, "crf_history")}"' in page.content.decode()

    html = nurse_client.get(crf_url(demog, "crf_history")).content.decode()
    weights = rows_of(html, "weight_kg")
    assert len(weights) == 3  # old values are never hidden
    first, second, third = weights
    assert "61.5" in first and "Alice Nurse (alice)" in first and "first entry" in first
    assert "64.0" in second and "Ivan Investigator (ivan)" in second
    assert "Transcription error" in second
    assert "65.0" in third and "Source document updated" in third and 'data-current="true"' in third
    # A field never changed shows its one value, entered by the nurse.
    (height,) = rows_of(html, "height_cm")
    assert "163.0" in height and "Alice Nurse" in height
    # The status table tells the saves and versions too.
    assert "Data saved (version 3)" in html


def test_times_are_in_the_sites_time_zone_with_utc_on_hover(nurse_client, demog, bdx):
    Site.objects.filter(pk=bdx.pk).update(time_zone="America/New_York")
    html = nurse_client.get(crf_url(demog, "crf_history")).content.decode()
    event = event_model_for(Demographics).objects.filter(form_status_id=demog.pk).get()
    utc = event.pgh_created_at.astimezone(UTC)
    local = timezone.localtime(event.pgh_created_at, timezone=_zone("America/New_York"))
    title = utc.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert f'title="{title}"' in html
    shown = re.search(rf'title="{title}">([^<]+)</time>', html).group(1)
    assert shown == local.strftime("%Y-%m-%d %H:%M ") + local.tzname()  # English: ISO
    assert local.hour != utc.hour


def _zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def test_form_history_marks_only_the_last_value_current(demog, nurse):
    save_demographics(nurse, demog, reason="transcription error", sex="M")
    fields = {f.name: f for f in form_history(demog, Demographics)}
    sexes = [(e.value, e.current) for e in fields["sex"].entries]
    assert sexes == [("Female", False), ("Male", True)]


def test_history_is_out_of_reach_of_other_sites(client, demog, tls_nurse):
    client.force_login(tls_nurse)
    assert client.get(crf_url(demog, "crf_history")).status_code == 404


def test_history_page_runs_a_fixed_number_of_queries(nurse_client, demog, nurse):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert nurse_client.get(crf_url(demog, "crf_history")).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for weight in ("62", "63", "64", "65"):
        save_demographics(nurse, demog, reason="transcription error", weight_kg=weight)
    assert count() == few


# --- System audit ----------------------------------------------------------------------------


def test_logins_failures_logouts_and_role_changes_appear_for_data_managers(
    client, nurse, data_manager, administrator
):
    client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    client.post(reverse("logout"))
    with audit_context(administrator, reason="extra duty"):
        nurse.groups.add(Group.objects.get(name=roles.MONITOR))
    kinds = list(AuthEvent.objects.order_by("pk").values_list("kind", "username"))
    assert kinds == [
        (AuthEventKind.LOGIN_FAILED, "alice"),
        (AuthEventKind.LOGIN, "alice"),
        (AuthEventKind.LOGOUT, "alice"),
    ]

    client.force_login(data_manager)
    page = client.get(reverse("system_audit"))
    html = page.content.decode()
    assert page.status_code == 200
    for label in ("Failed login", "Logged in", "Logged out"):
        assert label in html
    assert "Role granted" in html and roles.MONITOR in html and "extra duty" in html
    assert "Adam Test (adam)" in html  # who granted it
    assert "Account created" in html


def test_the_system_audit_view_is_for_data_managers_only(client, nurse, monitor, administrator):
    for user in (nurse, monitor, administrator):
        client.force_login(user)
        assert client.get(reverse("system_audit")).status_code == 404


def test_the_system_audit_view_filters_by_user_name(client, data_manager):
    actions.log_auth_event(AuthEventKind.LOGIN_FAILED, "mallory")
    actions.log_auth_event(AuthEventKind.LOGIN_FAILED, "trudy")
    client.force_login(data_manager)
    html = client.get(reverse("system_audit"), {"q": "mall"}).content.decode()
    assert "mallory" in html and "trudy" not in html
