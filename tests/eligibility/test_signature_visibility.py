"""A broken eligibility signature is visible: on the ELIGSIGN chip, in a banner naming what
changed, as the next thing to do, on the participant list, and by e-mail to the site's
investigators. And a save costs the same queries however many forms and signatures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from eligibility import actions
from tests.conftest import PASSWORD, make_user
from tests.eligibility import helpers as h
from trial import actions as trial_actions
from trial import roles, signatures
from trial.models import SignatureBreak

pytestmark = pytest.mark.django_db


def sign_eligible(investigator, participant):
    return actions.sign_eligibility(investigator, PASSWORD, participant, decision="eligible")


def sign_casebook(investigator, participant):
    return trial_actions.sign(
        investigator, PASSWORD, participant, kind=signatures.CASEBOOK, meaning="I approve"
    )


def page(client, participant) -> str:
    response = client.get(reverse("participant_detail", args=[participant.code]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_broken_eligibility_signature_is_shown_named_and_next_and_mailed(
    client, nurse, investigator, eligible, tls, django_capture_on_commit_callbacks
):
    investigator.email = "ivan@example.org"
    investigator.save()
    nurse.email = "alice@example.org"
    nurse.save()
    other = make_user("olga", roles.INVESTIGATOR, tls)
    other.email = "olga@example.org"
    other.save()
    sign_eligible(investigator, eligible)
    client.force_login(nurse)
    html = page(client, eligible)
    assert 'data-signature="valid"' in html and 'data-testid="signature-alert"' not in html

    with django_capture_on_commit_callbacks(execute=True):
        h.save(nurse, eligible, "ELIG", "LAB", {**h.lab_data(), "haemoglobin_g_dl": "10.1"})

    html = page(client, eligible)
    # The chip of the sign-off form, the banner naming the change, and the next step.
    assert 'data-form="ELIGSIGN" data-status="complete" data-signature="broken"' in html
    assert 'data-testid="signature-alert" data-kind="eligibility" data-state="broken"' in html
    assert "<code>LAB.haemoglobin_g_dl</code>: 11.2 → 10.1" in html
    assert 'data-next="resign" data-kind="eligibility"' in html
    assert reverse("crf_edit", args=[eligible.code, "ELIG", "ELIGSIGN", 1]) in html
    listing = client.get(reverse("participant_list")).content.decode()
    assert 'data-testid="signature-flag" data-kind="eligibility" data-state="broken"' in listing

    # The site's investigators only, once the change is committed.
    (message,) = mail.outbox
    assert message.to == ["ivan@example.org"]
    assert eligible.code in message.subject and "Eligibility sign-off" in message.subject
    assert "LAB.haemoglobin_g_dl: 11.2 -> 10.1" in message.body

    # Re-signed: nothing is left to redo, and the journey's next step is back.
    sign_eligible(investigator, eligible)
    html = page(client, eligible)
    assert 'data-testid="signature-alert"' not in html and 'data-next="resign"' not in html
    assert 'data-signature="valid"' in html
    listing = client.get(reverse("participant_list")).content.decode()
    assert 'data-testid="signature-flag"' not in listing


def test_no_mail_when_the_save_rolls_back(nurse, investigator, eligible):
    investigator.email = "ivan@example.org"
    investigator.save()
    sign_eligible(investigator, eligible)
    # Outside captured callbacks, the test's transaction never commits: nothing is sent.
    h.save(nurse, eligible, "ELIG", "LAB", {**h.lab_data(), "haemoglobin_g_dl": "10.1"})
    assert SignatureBreak.objects.count() == 1
    assert mail.outbox == []


def test_the_list_flags_broken_signatures_in_a_fixed_number_of_queries(
    client, nurse, investigator, eligible, bdx
):
    client.force_login(nurse)
    url = reverse("participant_list")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    unsigned = count()
    sign_eligible(investigator, eligible)
    sign_casebook(investigator, eligible)
    second = h.eligible_participant(nurse, bdx)
    sign_eligible(investigator, second)
    h.save(nurse, eligible, "ELIG", "VITALS", {**h.vitals_data(), "weight_kg": "64"})
    h.save(nurse, second, "ELIG", "VITALS", {**h.vitals_data(), "weight_kg": "64"})
    html = client.get(url).content.decode()
    assert html.count('data-testid="signature-flag"') == 3  # 2 eligibility, 1 casebook
    assert count() == unsigned


# --- The cost of a save ---------------------------------------------------------------------


def lab_values(event: str) -> dict:
    if event == "ELIG":
        return h.lab_data()
    # A cycle's panel is sampled before the dose.
    return {**h.lab_data(), "sample_date": h.CYCLE_DATES[int(event[1])] - timedelta(days=1)}


def post_lab(client, participant, event: str, **changes) -> None:
    row = participant.forms.get(event=event, form="LAB")
    data = {f"crf-{k}": str(v) for k, v in {**lab_values(event), **changes}.items()}
    data["crf-confirm_unusual"] = "on"
    data["version"] = str(row.version)
    if row.version:
        data["change-reason"] = "transcription error"
    url = reverse("crf_edit", args=[participant.code, event, "LAB", 1])
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-3000:]


def lab_save_queries(client, participant, event: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        post_lab(client, participant, event)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("event", ["C4", "ELIG"])
def test_a_lab_save_costs_the_same_queries_with_more_forms_and_signatures(
    client, nurse, investigator, eligible, event
):
    """A C4 panel is covered by the casebook only; the eligibility panel by both."""
    client.force_login(nurse)
    post_lab(client, eligible, event)  # saved once: later saves give a reason
    sign_eligible(investigator, eligible)
    first = sign_casebook(investigator, eligible)
    few = lab_save_queries(client, eligible, event)

    # More forms saved (which breaks the casebook), then the casebook signed again: a
    # second signature of the kind, covering more forms.
    for other in ("C1", "C2", "C3", "C4"):
        if other != event:
            post_lab(client, eligible, other)
    assert first.breaks.exists()
    second = sign_casebook(investigator, eligible)
    assert len(second.content) > len(first.content)
    many = lab_save_queries(client, eligible, event)

    assert few == many
    assert many <= (17 if event == "ELIG" else 13)
    # The measured saves changed nothing: the signatures they checked still stand.
    assert second.verdict.is_valid and not second.breaks.exists()
    assert eligible.signatures.filter(kind="eligibility").get().is_valid


def test_a_changed_lab_breaks_the_casebook_on_its_section_only(
    client, nurse, investigator, eligible
):
    client.force_login(nurse)
    post_lab(client, eligible, "C4")
    sign_eligible(investigator, eligible)
    casebook = sign_casebook(investigator, eligible)
    post_lab(client, eligible, "C4", haemoglobin_g_dl="10.4")
    assert casebook.breaks.get().changes == {"C4/LAB/1.haemoglobin_g_dl": ["11.20", "10.40"]}
    # The eligibility does not read the C4 panel: still valid.
    assert eligible.signatures.get(kind="eligibility").is_valid
