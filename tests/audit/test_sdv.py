"""Source-data verification at item level: marks per item, cleared by a later change of that
item only, progress on the participant page and per site with critical forms first."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.audit.conftest import crf_url, save_demographics
from trial import actions, sdv
from trial.models import SdvMark


@pytest.fixture
def saved_demog(participant, nurse):
    return save_demographics(nurse, participant.forms.get(form="DEMOG"))


def states(row):
    """The items' states as a page reads them: the ledger filed up to now first."""
    actions.file_review_ledger()
    return sdv.item_states([row])[row.pk]


def test_a_later_change_clears_exactly_the_changed_items(saved_demog, monitor, nurse):
    assert set(states(saved_demog).values()) == {sdv.TO_VERIFY}
    assert actions.verify_items(monitor, saved_demog, ["weight_kg", "height_cm"]) == 2
    assert states(saved_demog)["weight_kg"] == sdv.VERIFIED
    assert states(saved_demog)["birth_date"] == sdv.TO_VERIFY
    assert actions.verify_items(monitor, saved_demog) == 2  # the two left; nothing twice
    save_demographics(nurse, saved_demog, reason="transcription error", weight_kg="62.5")
    after = states(saved_demog)
    assert after["weight_kg"] == sdv.CHANGED
    assert {k: v for k, v in after.items() if k != "weight_kg"} == dict.fromkeys(
        ["birth_date", "sex", "height_cm"], sdv.VERIFIED
    )
    # Verifying again marks only the changed item.
    assert actions.verify_items(monitor, saved_demog) == 1
    assert set(states(saved_demog).values()) == {sdv.VERIFIED}
    mark = SdvMark.objects.filter(item="weight_kg").latest("pk")
    assert mark.events.get().edc_context["command"] == "verify_items"


def test_only_monitoring_roles_verify_and_only_known_items(saved_demog, nurse, monitor, client):
    with pytest.raises(actions.ActionRefused):
        actions.verify_items(nurse, saved_demog)
    with pytest.raises(actions.ActionRefused, match="no such item"):
        actions.verify_items(monitor, saved_demog, ["shoe_size"])
    client.force_login(nurse)
    url = reverse("sdv_verify", args=[saved_demog.participant.code, "SCR", "DEMOG", 1])
    assert client.post(url, {"verify_all": "1"}).status_code == 404
    assert client.get(reverse("sdv_site")).status_code == 404


def test_the_pages_show_item_marks_progress_and_the_site_view(saved_demog, monitor, client):
    client.force_login(monitor)
    code = saved_demog.participant.code
    url = reverse("sdv_verify", args=[code, "SCR", "DEMOG", 1])
    assert client.post(url, {"item": ["weight_kg"]}).status_code == 302
    form_page = client.get(crf_url(saved_demog)).content.decode()
    assert 'data-item="weight_kg" data-sdv="verified"' in form_page
    assert 'data-item="sex" data-sdv="to_verify"' in form_page
    page = client.get(reverse("participant_detail", args=[code])).content.decode()
    assert "1 of 4 items verified (25 %)" in page
    site = client.get(reverse("sdv_site") + "?site=BDX").content.decode()
    by_form = site[site.index('data-testid="sdv-by-form"') :]
    assert 'data-critical="true"><td>Demographics' in by_form
    assert "25 %" in by_form


def test_a_monitor_sees_nothing_of_a_site_not_theirs(saved_demog, monitor, client, tls):
    client.force_login(monitor)
    assert client.get(reverse("sdv_site") + "?site=TLS").status_code == 404
