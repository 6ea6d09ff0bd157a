"""An adverse event's causality: the investigator signs the relationships of one event
(PROTOCOL.md section 6), through the one signing action and page of every decision."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.dosing.conftest import save
from tests.dosing.test_ae_cm_forms import ae
from trial import actions, selectors
from trial.models import Signature

KIND = "ae_causality"


@pytest.fixture
def events(nurse, participant):
    """Two adverse events: #1 nausea (probable), #2 fatigue (unlikely)."""
    save(nurse, participant, "LOG", "AE", ae(), repeat=1)
    save(
        nurse,
        participant,
        "LOG",
        "AE",
        ae(term="Fatigue", relationship_iv_lutathera="unlikely"),
        repeat=2,
    )
    return [participant.forms.get(form="AE", repeat=n) for n in (1, 2)]


def sign(user, participant, row, password=PASSWORD):
    return actions.sign_decision(user, password, participant, KIND, row=row)


def test_an_investigator_signs_the_relationships_of_one_event(investigator, participant, events):
    first, second = events
    signature = sign(investigator, participant, first)
    assert signature.row == first and signature.is_valid
    assert signature.content == {
        "entry": "LOG/AE/1",
        "term": "Nausea",
        "term_specify": "",
        "onset_date": "2026-03-10",
        "relationship_iv_lutathera": "probable",
        "relationship_iah_procedure": "",
        "relationship_iah_lutathera": "",
    }
    assert "adverse event #1 (Nausea)" in signature.meaning
    assert "relationship to IV LUTATHERA: Probable" in signature.meaning
    # Each event has its own: the second is signed beside the first, not instead of it.
    sign(investigator, participant, second)
    assert selectors.current_signature(participant, KIND, first) == signature
    assert Signature.objects.filter(kind=KIND).count() == 2
    # The entry itself is not changed by the signature.
    first.refresh_from_db()
    assert first.version == 1


def test_a_changed_relationship_breaks_it_and_another_event_does_not(
    nurse, investigator, participant, events, client
):
    first, _second = events
    signature = sign(investigator, participant, first)
    save(
        nurse,
        participant,
        "LOG",
        "AE",
        ae(term="Fatigue", relationship_iv_lutathera="possible"),
        repeat=2,
        reason="source document updated",
    )
    assert selectors.current_signature(participant, KIND, first).is_valid
    save(
        nurse,
        participant,
        "LOG",
        "AE",
        ae(relationship_iv_lutathera="definite"),
        repeat=1,
        reason="source document updated",
    )
    broken = selectors.current_signature(participant, KIND, first)
    assert broken == signature and broken.verdict.is_broken
    assert broken.verdict.changes == {"relationship_iv_lutathera": ["probable", "definite"]}
    client.force_login(investigator)
    page = client.get(reverse("participant_detail", args=[participant.code])).content.decode()
    sign_url = reverse("signature_sign", args=[participant.code, KIND]) + "?repeat=1"
    assert sign_url in page and "Adverse event causality (Adverse event #1)" in page
    # Signed again from its page: a new current signature for that event.
    response = client.post(sign_url, {"password": PASSWORD})
    assert response.status_code == 302
    assert selectors.current_signature(participant, KIND, first).is_valid


def test_the_relationships_due_must_be_entered(nurse, investigator, participant):
    save(nurse, participant, "LOG", "AE", ae(relationship_iv_lutathera=""), complete=False)
    row = participant.forms.get(form="AE")
    with pytest.raises(actions.ActionRefused, match="relationship to IV LUTATHERA"):
        sign(investigator, participant, row)
    # Once the IAH angiography took place, the procedure's relationship is due too.
    actions.change_journey(investigator, participant, dates={"PET-IAH": date(2026, 3, 1)})
    save(nurse, participant, "LOG", "AE", ae(), complete=False, reason="completed")
    with pytest.raises(actions.ActionRefused, match="relationship to the IAH procedure"):
        sign(investigator, participant, row)
    assert not Signature.objects.exists()


def test_only_an_investigator_signs_it(nurse, participant, events, client):
    with pytest.raises(actions.ActionRefused, match="Only an investigator"):
        sign(nurse, participant, events[0])
    url = reverse("signature_sign", args=[participant.code, KIND]) + "?repeat=1"
    client.force_login(nurse)
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="sign-form"' not in page.content.decode()
    assert client.post(url, {"password": PASSWORD}).status_code == 200
    assert not Signature.objects.exists()


def test_the_event_page_links_to_its_signing(investigator, participant, events, client):
    client.force_login(investigator)
    page = client.get(reverse("crf_edit", args=[participant.code, "LOG", "AE", 1]))
    assert 'data-testid="sign-causality"' in page.content.decode()
    signing = client.get(reverse("signature_sign", args=[participant.code, KIND]) + "?repeat=1")
    html = signing.content.decode()
    assert signing.status_code == 200 and 'data-item="relationship_iv_lutathera"' in html
    # The CTCAE term stays its official English, marked so for screen readers.
    assert 'I assess the causality of adverse event #1 (<span lang="en">Nausea</span>)' in html
    assert client.get(reverse("signature_sign", args=[participant.code, KIND])).status_code == 404
    missing = reverse("signature_sign", args=[participant.code, KIND]) + "?repeat=9"
    assert client.get(missing).status_code == 404
