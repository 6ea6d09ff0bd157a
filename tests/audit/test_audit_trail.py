"""Every change leaves an event carrying who, when (UTC), why, from where and through what."""

from __future__ import annotations

from datetime import UTC, date, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.utils import timezone
from pghistory.core import event_models

from eligibility.models import Demographics
from tests.audit.conftest import DEMOG, crf_url
from trial import actions, roles
from trial.audit import audit_context, audit_origin
from trial.models import FormStatus, Membership, UserEvent, UserGroupsEvent

DemographicsEvent = event_models(tracks_model=Demographics)[0]
FormStatusEvent = event_models(tracks_model=FormStatus)[0]


@pytest.mark.req("P11.10e", "E6.4.2.2", "E6.4.2.4")
def test_a_correction_through_the_page_records_user_reason_page_and_address(nurse_client, demog):
    page = crf_url(demog)
    response = nurse_client.post(
        page,
        {
            "version": "1",
            **{f"crf-{k}": v for k, v in DEMOG.items()},
            "crf-weight_kg": "63",
            "change-reason": "source document updated",
        },
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 302
    first, correction = DemographicsEvent.objects.filter(form_status_id=demog.pk).order_by("pgh_id")
    assert (first.pgh_label, str(first.weight_kg)) == ("insert", "61.5")
    assert (correction.pgh_label, str(correction.weight_kg)) == ("update", "63.0")
    meta = correction.edc_context
    assert meta["username"] == "alice"
    assert meta["reason"] == "source document updated"
    assert meta["url"] == page
    assert meta["client_address"] == "10.1.2.3"
    assert meta["command"] == "save_crf"
    # The time stamp is the database's, in UTC.
    assert abs(correction.pgh_created_at - timezone.now()) < timedelta(minutes=1)
    assert correction.pgh_created_at.utcoffset() == UTC.utcoffset(None)
    # The status row's event of the same save carries the same context.
    status = FormStatusEvent.objects.filter(pgh_obj_id=demog.pk, version=2).get()
    assert status.pgh_context_id == correction.pgh_context_id


def test_the_first_entry_has_no_reason_and_the_reason_does_not_leak_to_later_events(
    participant, nurse, demog
):
    # Two actions in one request (the middleware names the origin): each keeps its own
    # context and reason.
    from tests.audit.conftest import save_demographics

    with audit_origin(url="/batch"):
        save_demographics(nurse, demog, reason="transcription error", weight_kg="64")
        with audit_context(nurse, command="other"):
            participant.gate_decision = "x"
            participant.save(update_fields=["gate_decision"])
    update = DemographicsEvent.objects.filter(form_status_id=demog.pk).latest("pgh_id")
    assert update.edc_context["reason"] == "transcription error"
    insert = DemographicsEvent.objects.filter(form_status_id=demog.pk).earliest("pgh_id")
    assert "reason" not in insert.edc_context
    other = participant.events.latest("pgh_id").edc_context
    assert other["url"] == "/batch" and other["command"] == "other"
    assert "reason" not in other


def test_a_management_command_names_itself(db):
    # No participant: the other apps' demo hooks are theirs to test.
    call_command("seed_demo", participants=0, verbosity=0)
    user_event = UserEvent.objects.filter(username="nurse", pgh_label="insert").get()
    assert user_event.edc_context["command"] == "seed_demo"
    role = UserGroupsEvent.objects.filter(user_id=user_event.pgh_obj_id).get()
    assert role.edc_context["command"] == "seed_demo"


def test_an_action_run_by_a_command_keeps_both_names(nurse, bdx):
    with audit_origin(command="import_participants"):
        participant = actions.register_participant(nurse, bdx, date(2026, 3, 2))
    registered = participant.events.get(pgh_label="insert").edc_context
    assert registered["command"] == "import_participants > register_participant"
    assert registered["username"] == "alice"


@pytest.mark.req("A11.12", "E6.4.2.2")
def test_user_role_and_site_changes_are_audited(bdx, tls, administrator):
    with audit_context(administrator, reason="new starter", url="/admin/"):
        user = User.objects.create_user("newbie", password="x" * 12, first_name="New")
        user.groups.add(Group.objects.get(name=roles.NURSE))
        Membership.objects.create(user=user, site=bdx)
    with audit_context(administrator, reason="moved to Toulouse"):
        user.groups.remove(Group.objects.get(name=roles.NURSE))
        user.memberships.update(site=tls)
        user.set_password("y" * 12)
        user.save()
    created = UserEvent.objects.get(pgh_obj_id=user.pk, pgh_label="insert")
    assert created.username == "newbie"
    assert created.edc_context["reason"] == "new starter"
    assert not hasattr(created, "password")  # the hash never enters the audit trail
    assert UserEvent.objects.filter(pgh_obj_id=user.pk, pgh_label="password_change").exists()
    labels = list(
        UserGroupsEvent.objects.filter(user_id=user.pk)
        .order_by("pgh_id")
        .values_list("pgh_label", "group__name", "edc_context__reason")
    )
    assert labels == [
        ("role.add", roles.NURSE, "new starter"),
        ("role.remove", roles.NURSE, "moved to Toulouse"),
    ]
    membership_events = event_models(tracks_model=Membership)[0].objects.filter(user_id=user.pk)
    assert list(membership_events.order_by("pgh_id").values_list("pgh_label", "site__code")) == [
        ("insert", "BDX"),
        ("update", "TLS"),
    ]


def test_a_login_does_not_flood_the_account_history(client, nurse):
    from tests.conftest import PASSWORD

    before = UserEvent.objects.filter(pgh_obj_id=nurse.pk).count()
    assert client.login(username="alice", password=PASSWORD)
    assert UserEvent.objects.filter(pgh_obj_id=nurse.pk).count() == before


def test_two_actions_of_one_request_record_their_own_reasons(
    nurse, data_manager, demog, nurse_client
):
    from tests.audit.conftest import save_demographics
    from trial.models import FormStatusEvent

    with audit_origin(url="/p/BDX-001/SCR/DEMOG/1/", client_address="192.0.2.7"):
        save_demographics(nurse, demog, reason="transcription error", weight_kg="64")
        actions.lock_form(data_manager, demog, reason="database freeze")
    saved = DemographicsEvent.objects.filter(form_status_id=demog.pk).latest("pgh_id")
    locked = FormStatusEvent.objects.filter(pgh_obj_id=demog.pk).latest("pgh_id")
    assert saved.pgh_context_id != locked.pgh_context_id
    first, second = saved.edc_context, locked.edc_context
    assert (first["reason"], first["username"]) == ("transcription error", "alice")
    assert (second["reason"], second["username"]) == ("database freeze", "dana")
    for context in (first, second):
        assert context["client_address"] == "192.0.2.7"


def test_an_action_called_by_another_joins_its_context_without_relabelling_it(nurse, participant):
    outer = audit_context(nurse, reason="first reason", command="outer")
    inner = audit_context(nurse, reason="second reason", command="inner", kind="extra")
    with outer, inner:
        participant.gate_decision = "y"
        participant.save(update_fields=["gate_decision"])
    metadata = participant.events.latest("pgh_id").edc_context
    assert metadata["reason"] == "first reason" and metadata["command"] == "outer"
    assert metadata["kind"] == "extra"
