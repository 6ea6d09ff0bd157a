"""A change to saved data needs a reason; a deletion is a status change with a reason."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from pghistory.core import event_models

from eligibility.forms import DemographicsForm
from eligibility.models import Demographics
from tests.audit.conftest import DEMOG, crf_url, save_demographics
from trial import actions
from trial import crf as crf_registry
from trial.models import FormState, FormStatus

DemographicsEvent = event_models(tracks_model=Demographics)[0]
FormStatusEvent = event_models(tracks_model=FormStatus)[0]


def posted(**changes) -> dict:
    return {f"crf-{k}": v for k, v in {**DEMOG, **changes}.items()}


def test_the_first_save_needs_no_reason(participant, nurse):
    row = save_demographics(nurse, participant.forms.get(form="DEMOG"))
    assert (row.version, row.status) == (1, FormState.COMPLETE)


@pytest.mark.req("A11.9", "E6.4.2.4")
def test_a_correction_without_reason_is_refused_and_nothing_is_saved(demog, nurse):
    form = DemographicsForm(
        {**DEMOG, "weight_kg": "70"}, instance=Demographics.objects.get(form_status=demog)
    )
    assert form.is_valid()
    events_before = DemographicsEvent.objects.count()
    with pytest.raises(actions.ReasonRequired):
        actions.save_crf(nurse, demog, form.crf_data(), expected_version=1, reason="")
    demog.refresh_from_db()
    assert demog.version == 1
    assert str(Demographics.objects.get(form_status=demog).weight_kg) == "61.5"
    assert DemographicsEvent.objects.count() == events_before


@pytest.mark.req("A11.5")
def test_the_page_asks_for_a_reason_and_keeps_what_was_typed(nurse_client, demog):
    page = nurse_client.get(crf_url(demog)).content.decode()
    assert "why are you changing it?" in page
    response = nurse_client.post(
        crf_url(demog), {"version": "1", **posted(weight_kg="70", height_cm="171")}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["reason_form"].errors["reason"]
    assert 'id="error_1_id_change-reason"' in html  # beside the field
    assert 'value="70"' in html and 'value="171"' in html
    assert str(Demographics.objects.get(form_status=demog).weight_kg) == "61.5"


def test_other_needs_an_explanation_beside_the_field(nurse_client, demog):
    response = nurse_client.post(
        crf_url(demog),
        {
            "version": "1",
            **posted(weight_kg="70"),
            "change-reason": "other",
            "change-reason_other": " ",
        },
    )
    assert response.status_code == 200
    assert "Explain the reason" in response.content.decode()
    assert 'value="70"' in response.content.decode()
    ok = {
        "version": "1",
        **posted(weight_kg="70"),
        "change-reason": "other",
        "change-reason_other": "weighed again",
    }
    assert nurse_client.post(crf_url(demog), ok).status_code == 302
    latest = DemographicsEvent.objects.filter(form_status_id=demog.pk).latest("pgh_id")
    assert latest.edc_context["reason"] == "other: weighed again"


# --- Deleting a log entry ------------------------------------------------------------------


@pytest.fixture
def cm(participant, nurse) -> FormStatus:
    return actions.add_repeat(
        nurse,
        participant,
        "CM",
        {
            "name": "Ondansetron",
            "indication": "Nausea",
            "dose": "8 mg",
            "route": "oral",
            "start_date": date(2026, 3, 10),
            "ongoing": True,
        },
    )


@pytest.mark.req("A11.9")
def test_delete_is_a_status_change_with_a_reason_never_a_physical_delete(cm, nurse):
    with pytest.raises(actions.ReasonRequired):
        actions.delete_crf(nurse, cm, reason=" ")
    row = actions.delete_crf(nurse, cm, reason="entered in error")
    assert FormStatus.objects.filter(pk=cm.pk).exists()
    assert (row.status, row.version) == (FormState.DELETED, 2)
    event = FormStatusEvent.objects.filter(pgh_obj_id=cm.pk).latest("pgh_id")
    assert (event.pgh_label, event.status) == ("update", FormState.DELETED)
    assert event.edc_context["reason"] == "entered in error"
    assert event.edc_context["command"] == "delete_crf"
    assert not FormStatusEvent.objects.filter(pgh_label="delete").exists()


def test_a_deleted_entry_cannot_be_changed_or_deleted_again(cm, nurse):
    actions.delete_crf(nurse, cm, reason="duplicate entry")
    with pytest.raises(actions.ActionRefused, match="deleted"):
        actions.delete_crf(nurse, cm, reason="duplicate entry")


def test_only_log_entries_can_be_deleted_and_only_by_those_who_enter_data(
    demog, cm, nurse, monitor
):
    with pytest.raises(actions.ActionRefused, match="repeating log"):
        actions.delete_crf(nurse, demog, reason="entered in error")
    with pytest.raises(actions.ActionRefused):
        actions.delete_crf(monitor, cm, reason="entered in error")


def delete_url(row: FormStatus) -> str:
    return reverse("crf_delete", args=[row.participant.code, row.event, row.form, row.repeat])


def test_the_delete_page_needs_a_reason_beside_the_field_then_deletes(nurse_client, cm):
    assert "Delete this entry" in nurse_client.get(delete_url(cm)).content.decode()
    response = nurse_client.post(delete_url(cm), {"change-reason": ""})
    assert response.status_code == 200
    assert 'id="error_1_id_change-reason"' in response.content.decode()
    cm.refresh_from_db()
    assert cm.status == FormState.COMPLETE
    response = nurse_client.post(
        delete_url(cm), {"change-reason": "duplicate entry", "version": str(cm.version)}
    )
    assert response.status_code == 302
    cm.refresh_from_db()
    assert cm.status == FormState.DELETED
    page = nurse_client.get(reverse("participant_detail", args=[cm.participant.code]))
    assert 'data-status="deleted"' in page.content.decode()


def test_a_delete_of_an_entry_saved_meanwhile_is_refused(nurse_client, nurse, cm):
    # Issue 9: the page carries the version it showed; someone saves the entry, then the
    # delete is posted from the page as it was.
    page = nurse_client.get(delete_url(cm)).content.decode()
    assert f'name="version" value="{cm.version}"' in page
    seen = cm.version
    FormStatus.objects.filter(pk=cm.pk).update(version=seen + 1)  # a save by someone else
    response = nurse_client.post(
        delete_url(cm), {"change-reason": "duplicate entry", "version": str(seen)}
    )
    assert response.status_code == 200
    assert "Someone else saved this entry meanwhile" in response.content.decode()
    cm.refresh_from_db()
    assert cm.status == FormState.COMPLETE
    # Without the version seen, nothing is deleted either.
    response = nurse_client.post(delete_url(cm), {"change-reason": "duplicate entry"})
    assert "Someone else saved this entry meanwhile" in response.content.decode()
    cm.refresh_from_db()
    assert cm.status == FormState.COMPLETE
    # Reloaded, the page shows the current version and the delete goes through.
    assert f'name="version" value="{seen + 1}"' in nurse_client.get(delete_url(cm)).content.decode()
    response = nurse_client.post(
        delete_url(cm), {"change-reason": "duplicate entry", "version": str(seen + 1)}
    )
    assert response.status_code == 302
    cm.refresh_from_db()
    assert cm.status == FormState.DELETED


def test_the_delete_page_is_out_of_reach_of_others(client, cm, monitor, tls_nurse):
    for user in (monitor, tls_nurse):
        client.force_login(user)
        assert client.get(delete_url(cm)).status_code == 404
        assert client.post(delete_url(cm), {"change-reason": "duplicate entry"}).status_code == 404
    cm.refresh_from_db()
    assert cm.status == FormState.COMPLETE


@pytest.fixture
def cm_spec():
    """CM served by the generic page for this test, whatever the dosing app registers."""
    previous = crf_registry.get("CM")
    crf_registry.register(crf_registry.Crf("CM", Demographics, DemographicsForm))
    yield
    if previous is not None:
        crf_registry.register(previous)
    else:
        crf_registry.REGISTRY.pop("CM", None)


def test_a_delete_button_on_log_forms_only(nurse_client, cm, demog, cm_spec):
    assert 'data-testid="delete-link"' in nurse_client.get(crf_url(cm)).content.decode()
    assert 'data-testid="delete-link"' not in nurse_client.get(crf_url(demog)).content.decode()


def test_a_deleted_entry_is_shown_read_only(nurse_client, nurse, cm, cm_spec):
    actions.delete_crf(nurse, cm, reason="duplicate entry")
    page = nurse_client.get(crf_url(cm)).content.decode()
    assert 'data-testid="deleted-banner"' in page
    assert "Save and mark complete" not in page
    response = nurse_client.post(crf_url(cm), {"version": "2", **posted()})
    assert response.status_code == 200
    assert "This entry was deleted" in response.content.decode()
    assert not Demographics.objects.filter(form_status=cm).exists()
