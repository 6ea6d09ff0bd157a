"""The generic CRF view and save action, proven on Demographics."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from eligibility.forms import DemographicsForm
from eligibility.models import Demographics
from trial import actions
from trial.models import FormState

GOOD = {
    "crf-birth_date": "1960-04-02",
    "crf-sex": "F",
    "crf-height_cm": "163",
    "crf-weight_kg": "61.5",
}


def url(participant) -> str:
    return reverse("crf_edit", args=[participant.code, "SCR", "DEMOG", 1])


def test_first_save_completes_the_form(nurse_client, participant):
    response = nurse_client.post(url(participant), {"version": "0", "save_complete": "", **GOOD})
    assert response.status_code == 302
    row = participant.forms.get(form="DEMOG")
    assert (row.status, row.version, row.updated_by.username) == ("complete", 1, "alice")
    assert Demographics.objects.get(form_status=row).birth_date == date(1960, 4, 2)


def test_bad_values_rerender_with_errors_beside_fields_and_input_kept(nurse_client, participant):
    # Tomorrow: a plausible year (2099 gets "Enter a year between 1900 and ..." first).
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    bad = {**GOOD, "crf-weight_kg": "700", "crf-birth_date": tomorrow}
    response = nurse_client.post(url(participant), {"version": "0", **bad})
    assert response.status_code == 200
    form = response.context["form"]
    assert "between 25 and 250 kg" in form.errors["weight_kg"][0]
    assert "future" in form.errors["birth_date"][0]
    html = response.content.decode()
    assert 'value="700"' in html and 'value="163"' in html
    assert participant.forms.get(form="DEMOG").version == 0


def test_draft_saves_half_filled_form_in_progress(nurse_client, participant):
    response = nurse_client.post(
        url(participant), {"version": "0", "save_draft": "", "crf-sex": "M"}
    )
    assert response.status_code == 302
    assert participant.forms.get(form="DEMOG").status == FormState.IN_PROGRESS


def test_complete_needs_every_required_item(nurse_client, participant):
    response = nurse_client.post(url(participant), {"version": "0", "crf-sex": "M"})
    assert response.status_code == 200
    assert "birth_date" in response.context["form"].errors


def test_unusual_value_asks_for_confirmation_then_saves(nurse_client, participant):
    light = {**GOOD, "crf-weight_kg": "35"}
    response = nurse_client.post(url(participant), {"version": "0", **light})
    assert response.status_code == 200
    assert "unusual" in response.context["form"].errors["weight_kg"][0]
    assert 'value="35"' in response.content.decode()
    confirmed = {**light, "crf-confirm_unusual": "on"}
    assert nurse_client.post(url(participant), {"version": "0", **confirmed}).status_code == 302


def test_stale_save_is_refused_with_message_and_nothing_overwritten(
    nurse_client, participant, nurse
):
    row = participant.forms.get(form="DEMOG")
    form = DemographicsForm(GOOD, prefix="crf")
    assert form.is_valid()
    actions.save_crf(nurse, row, form.crf_data(), expected_version=0)
    # The page was opened at version 0; someone saved version 1 meanwhile.
    mine = {**GOOD, "crf-weight_kg": "70", "change-reason": "transcription error"}
    response = nurse_client.post(url(participant), {"version": "0", **mine})
    assert response.status_code == 200
    assert "Someone else saved this form" in response.content.decode()
    assert 'value="70"' in response.content.decode()
    assert Demographics.objects.get(form_status=row).weight_kg == 61.5


def test_correction_needs_a_reason(nurse_client, participant, nurse):
    row = participant.forms.get(form="DEMOG")
    form = DemographicsForm(GOOD, prefix="crf")
    assert form.is_valid()
    actions.save_crf(nurse, row, form.crf_data(), expected_version=0)
    response = nurse_client.post(url(participant), {"version": "1", **GOOD, "crf-weight_kg": "62"})
    assert response.status_code == 200
    assert "reason" in response.context["reason_form"].errors
    assert 'value="62"' in response.content.decode()
    ok = {"version": "1", **GOOD, "crf-weight_kg": "62", "change-reason": "transcription error"}
    assert nurse_client.post(url(participant), ok).status_code == 302
    assert participant.forms.get(form="DEMOG").version == 2


def test_monitor_reads_but_cannot_save(client, monitor, participant):
    client.force_login(monitor)
    page = client.get(url(participant))
    assert page.status_code == 200
    assert "Save and mark complete" not in page.content.decode()
    assert client.post(url(participant), {"version": "0", **GOOD}).status_code == 404


def test_unknown_form_or_event_is_a_404(nurse_client, participant):
    bad = reverse("crf_edit", args=[participant.code, "SCR", "NOPE", 1])
    assert nurse_client.get(bad).status_code == 404


@pytest.mark.parametrize("version", ["", "abc"])
def test_missing_or_garbled_version_is_refused_not_a_crash(nurse_client, participant, version):
    response = nurse_client.post(url(participant), {"version": version, **GOOD})
    assert response.status_code == 200
    assert "Someone else saved" in response.content.decode()
