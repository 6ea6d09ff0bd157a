"""Locks: a data manager locks a form, an event or a casebook with a reason; locked data
refuses every change, through the page and through the action, until unlocked."""

from __future__ import annotations

import pytest
from django.urls import reverse
from pghistory.core import event_models

from eligibility.forms import DemographicsForm
from eligibility.models import Demographics
from tests.audit.conftest import DEMOG, crf_url, save_demographics
from trial import actions
from trial.models import FormStatus

FormStatusEvent = event_models(tracks_model=FormStatus)[0]


def correction(row: FormStatus) -> dict:
    data = {f"crf-{k}": v for k, v in DEMOG.items()}
    return {
        "version": str(row.version),
        **data,
        "crf-weight_kg": "70",
        "change-reason": "transcription error",
    }


def test_a_locked_form_refuses_the_action(demog, nurse, data_manager):
    actions.lock_form(data_manager, demog, reason="database freeze")
    with pytest.raises(actions.Locked, match="form is locked"):
        save_demographics(nurse, demog, reason="transcription error", weight_kg="70")
    assert str(Demographics.objects.get(form_status=demog).weight_kg) == "61.5"


def test_a_locked_form_refuses_the_page_with_a_message(nurse_client, demog, data_manager):
    actions.lock_form(data_manager, demog, reason="database freeze")
    page = nurse_client.get(crf_url(demog)).content.decode()
    assert 'data-testid="locked-badge"' in page and "Save and mark complete" not in page
    response = nurse_client.post(crf_url(demog), correction(demog))
    assert response.status_code == 200
    assert "This form is locked" in response.content.decode()
    assert str(Demographics.objects.get(form_status=demog).weight_kg) == "61.5"


def test_unlocking_allows_changes_again_and_both_are_audited_with_their_reason(
    demog, nurse, data_manager
):
    actions.lock_form(data_manager, demog, reason="database freeze")
    actions.unlock_form(data_manager, demog, reason="correction after query")
    save_demographics(nurse, demog, reason="data clarified by query", weight_kg="70")
    events = FormStatusEvent.objects.filter(pgh_obj_id=demog.pk).order_by("pgh_id")
    locks = [
        (
            e.locked_at is not None,
            e.edc_context.get("reason"),
            e.edc_context["command"],
        )
        for e in events
        if e.edc_context.get("command", "").endswith("lock_form")
    ]
    assert locks == [
        (True, "database freeze", "lock_form"),
        (False, "correction after query", "unlock_form"),
    ]


def test_locking_needs_a_reason_and_a_data_manager(demog, nurse, investigator, data_manager):
    with pytest.raises(actions.ReasonRequired):
        actions.lock_form(data_manager, demog, reason="")
    for user in (nurse, investigator):
        with pytest.raises(actions.ActionRefused, match="lock"):
            actions.lock_form(user, demog, reason="database freeze")
    demog.refresh_from_db()
    assert demog.locked_at is None


def test_locking_an_event_locks_all_its_forms(participant, demog, nurse, data_manager):
    scr = participant.forms.filter(event="SCR")
    assert actions.lock_event(data_manager, participant, "SCR", reason="interim analysis") == (
        scr.count()
    )
    assert not scr.filter(locked_at__isnull=True).exists()
    assert participant.forms.exclude(event="SCR").filter(locked_at__isnull=False).count() == 0
    # One audited event per row, with the reason.
    events = FormStatusEvent.objects.filter(edc_context__command="lock_event")
    assert events.count() == scr.count()
    assert {e.edc_context["reason"] for e in events} == {"interim analysis"}
    with pytest.raises(actions.Locked):
        save_demographics(nurse, demog, reason="transcription error", weight_kg="70")
    actions.unlock_event(data_manager, participant, "SCR", reason="lock in error")
    save_demographics(nurse, demog, reason="transcription error", weight_kg="70")


def test_a_locked_casebook_refuses_every_change(participant, demog, nurse, data_manager):
    participant = actions.lock_casebook(data_manager, participant, reason="database freeze")
    assert participant.locked_at is not None and participant.locked_by == data_manager
    with pytest.raises(actions.Locked, match="casebook is locked"):
        save_demographics(nurse, demog, reason="transcription error", weight_kg="70")
    with pytest.raises(actions.Locked):
        actions.add_repeat(nurse, participant, "AE", {})
    event = participant.events.latest("pgh_id")
    assert event.edc_context["reason"] == "database freeze"
    actions.unlock_casebook(data_manager, participant, reason="correction after query")
    save_demographics(nurse, demog, reason="transcription error", weight_kg="70")


def test_the_casebook_lock_shows_on_the_list_and_the_participant_page(
    nurse_client, participant, data_manager
):
    actions.lock_casebook(data_manager, participant, reason="database freeze")
    listing = nurse_client.get(reverse("participant_list")).content.decode()
    assert "bi-lock" in listing
    detail = nurse_client.get(reverse("participant_detail", args=[participant.code]))
    assert 'data-testid="casebook-locked"' in detail.content.decode()


def test_lock_buttons_are_for_data_managers_only(client, participant, demog, nurse, data_manager):
    detail = reverse("participant_detail", args=[participant.code])
    client.force_login(nurse)
    assert 'data-testid="casebook-lock"' not in client.get(detail).content.decode()
    assert "Lock form" not in client.get(crf_url(demog)).content.decode()
    assert client.get(reverse("casebook_lock", args=[participant.code])).status_code == 404
    client.force_login(data_manager)
    assert 'data-testid="casebook-lock"' in client.get(detail).content.decode()
    assert "Lock event" in client.get(detail).content.decode()
    assert "Lock form" in client.get(crf_url(demog)).content.decode()


def test_the_lock_pages_ask_a_reason_beside_the_field(client, participant, demog, data_manager):
    client.force_login(data_manager)
    url = reverse("form_lock", args=[participant.code, "SCR", "DEMOG", 1])
    response = client.post(url, {"change-reason": ""})
    assert response.status_code == 200
    assert 'id="error_1_id_change-reason"' in response.content.decode()
    assert client.post(url, {"change-reason": "database freeze"}).status_code == 302
    demog.refresh_from_db()
    assert demog.is_locked
    url = reverse("casebook_lock", args=[participant.code])
    assert client.post(url, {"change-reason": "database freeze"}).status_code == 302
    url = reverse("event_unlock", args=[participant.code, "SCR"])
    assert client.post(url, {"change-reason": "lock in error"}).status_code == 302
    demog.refresh_from_db()
    participant.refresh_from_db()
    assert not demog.is_locked and participant.locked_at is not None


def test_the_form_stays_unsaved_when_locked_meanwhile(demog, nurse, data_manager):
    # The nurse opened the form; the data manager locks; the save is refused.
    form = DemographicsForm(
        {**DEMOG, "weight_kg": "70"}, instance=Demographics.objects.get(form_status=demog)
    )
    assert form.is_valid()
    actions.lock_form(data_manager, demog, reason="database freeze")
    with pytest.raises(actions.Locked):
        actions.save_crf(
            nurse, demog, form.crf_data(), expected_version=1, reason="transcription error"
        )


def test_an_event_card_offers_unlock_once_a_form_is_locked_and_lock_while_one_is_not(
    client, participant, demog, data_manager
):
    client.force_login(data_manager)
    detail = reverse("participant_detail", args=[participant.code])
    lock = reverse("event_lock", args=[participant.code, "SCR"])
    unlock = reverse("event_unlock", args=[participant.code, "SCR"])
    page = client.get(detail).content.decode()
    assert f'href="{lock}"' in page and f'href="{unlock}"' not in page
    actions.lock_form(data_manager, demog, reason="database freeze")
    page = client.get(detail).content.decode()
    # Some of the event's forms locked: both links; the form's chip shows its lock.
    assert f'href="{lock}"' in page and f'href="{unlock}"' in page
    assert 'data-form="DEMOG" data-status="' in page
    chip = page.split('data-form="DEMOG"', 1)[1].split("</a>", 1)[0]
    assert '<i class="bi bi-lock"></i>' in chip
    actions.lock_event(data_manager, participant, "SCR", reason="database freeze")
    page = client.get(detail).content.decode()
    assert f'href="{lock}"' not in page and f'href="{unlock}"' in page
