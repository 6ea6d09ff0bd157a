"""Electronic signatures: password re-entered, hash of exactly what was signed, broken by a
later change and shown as such, only by the roles allowed."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.audit.conftest import TEST_KIND, save_demographics
from tests.conftest import PASSWORD
from trial import actions, selectors, signatures
from trial.models import AuthEvent, AuthEventKind, Signature

MEANING = "I confirm these demographics"


# --- The serialisation ------------------------------------------------------------------------


def test_canonical_form_is_sorted_compact_json_with_iso_dates_and_decimal_strings():
    payload = {"b": Decimal("61.50"), "a": {"d": date(1960, 4, 2), "t": datetime(2026, 3, 2, 9)}}
    assert signatures.canonical(payload) == (
        b'{"a":{"d":"1960-04-02","t":"2026-03-02T09:00:00"},"b":"61.50"}'
    )
    assert signatures.digest(payload) == hashlib.sha256(signatures.canonical(payload)).hexdigest()
    # Key order does not matter; the stored (JSON) form hashes the same.
    assert signatures.digest(dict(reversed(payload.items()))) == signatures.digest(payload)
    assert signatures.digest(json.loads(signatures.canonical(payload))) == signatures.digest(
        payload
    )


def test_diff_lists_changed_flattened_keys_only():
    old = {"form": {"weight": Decimal("61.5"), "sex": "F"}, "items": [1, 2]}
    new = {"form": {"weight": "62.0", "sex": "F", "height": 163}, "items": [1, 3]}
    assert signatures.diff(old, new) == {
        "form.height": (None, 163),
        "form.weight": ("61.5", "62.0"),
        "items[1]": (2, 3),
    }
    assert signatures.diff(old, old) == {}


# --- Signing --------------------------------------------------------------------------------


def sign(user, password=PASSWORD, participant=None, **kwargs):
    return actions.sign(user, password, participant, kind=TEST_KIND, meaning=MEANING, **kwargs)


@pytest.mark.req("P11.200", "A11.14")
def test_the_right_password_stores_the_signature_with_its_hash(
    demog, investigator, participant, test_kind
):
    signature = sign(investigator, participant=participant, row=demog)
    signature.refresh_from_db()
    expected = {"demographics": {"weight_kg": "61.5", "birth_date": "1960-04-02"}}
    assert signature.content == expected
    assert (
        signature.content_hash
        == hashlib.sha256(
            b'{"demographics":{"birth_date":"1960-04-02","weight_kg":"61.5"}}'
        ).hexdigest()
    )
    assert (signature.signer, signature.signer_name) == (investigator, "Ivan Investigator")
    assert signature.meaning == MEANING and signature.row == demog
    assert signature.is_valid
    assert selectors.current_signature(participant, TEST_KIND) == signature
    # Audited like any clinical row.
    assert signature.events.get().edc_context["username"] == "ivan"


@pytest.mark.req("P11.200")
def test_a_wrong_password_is_refused_and_logged(demog, investigator, participant, test_kind):
    with pytest.raises(actions.WrongPassword):
        sign(investigator, "not-my-password", participant=participant)
    assert not Signature.objects.exists()
    failure = AuthEvent.objects.get()
    assert (failure.kind, failure.username, failure.user) == (
        AuthEventKind.SIGNATURE_FAILED,
        "ivan",
        investigator,
    )


@pytest.mark.req("ROLE.SIGNERS", "P11.10g")
def test_a_role_not_allowed_for_the_kind_cannot_sign(demog, nurse, participant, test_kind):
    with pytest.raises(actions.ActionRefused, match="role"):
        sign(nurse, participant=participant)
    assert not Signature.objects.exists()


@pytest.mark.req("ROLE.SIGNERS")
def test_an_investigator_of_another_site_cannot_sign(demog, participant, tls, test_kind):
    from tests.conftest import make_user
    from trial import roles

    stranger = make_user("otto", roles.INVESTIGATOR, tls)
    with pytest.raises(actions.ActionRefused, match="not in your sites"):
        sign(stranger, participant=participant)


@pytest.mark.req("P11.70")
def test_a_later_change_through_save_crf_breaks_the_signature(
    demog, investigator, nurse, participant, test_kind
):
    signature = sign(investigator, participant=participant, row=demog)
    # A change outside the signed content breaks nothing.
    save_demographics(nurse, demog, reason="transcription error", height_cm="164")
    signature.refresh_from_db()
    assert signature.is_valid
    save_demographics(nurse, demog, reason="transcription error", weight_kg="62")
    signature.refresh_from_db()
    assert not signature.is_valid
    brk = signature.breaks.get()
    assert brk.changes == {"demographics.weight_kg": ["61.5", "62.0"]}
    # The break is recorded with the change that caused it; the signature is not touched.
    recorded = brk.events.get()
    assert recorded.edc_context["reason"] == "transcription error"
    assert recorded.edc_context["username"] == "alice"
    assert signature.events.count() == 1  # its insert only


@pytest.mark.req("P11.50", "A11.14")
def test_the_pages_show_the_manifestation_then_the_break(
    client, demog, investigator, nurse, participant, test_kind
):
    sign(investigator, participant=participant, row=demog)
    client.force_login(nurse)
    detail = reverse("participant_detail", args=[participant.code])
    crf = reverse("crf_edit", args=[participant.code, "SCR", "DEMOG", 1])
    for url in (detail, crf):
        html = client.get(url).content.decode()
        assert 'data-testid="signature"' in html
        assert "Ivan Investigator" in html and MEANING in html
        assert "Signature broken" not in html

    save_demographics(nurse, demog, reason="transcription error", weight_kg="62")
    for url in (detail, crf):
        html = client.get(url).content.decode()
        assert 'data-testid="signature-broken"' in html
        assert "Signature broken" in html
        assert "demographics.weight_kg" in html and "61.5 → 62.0" in html
        assert "It must be signed again." in html


def test_signing_again_supersedes_the_broken_signature(
    demog, investigator, nurse, participant, test_kind
):
    first = sign(investigator, participant=participant)
    save_demographics(nurse, demog, reason="transcription error", weight_kg="62")
    second = sign(investigator, participant=participant)
    first.refresh_from_db()
    assert not first.is_valid and second.is_valid
    assert selectors.current_signature(participant, TEST_KIND) == second
    third = sign(investigator, participant=participant)
    # Superseded is derived from the dates: nothing of the second is written, nor broken.
    assert selectors.current_signature(participant, TEST_KIND) == third
    assert not second.breaks.exists() and second.events.count() == 1


def test_the_sign_page_asks_the_password_and_refuses_a_wrong_one_beside_the_field(
    client, demog, investigator, participant, test_kind
):
    client.force_login(investigator)
    url = reverse("signature_sign", args=[participant.code, TEST_KIND])
    page = client.get(url).content.decode()
    assert MEANING in page and 'name="password"' in page
    assert "demographics.weight_kg" in page  # what is signed is shown
    response = client.post(url, {"password": "nope"})
    assert response.status_code == 200
    assert 'id="error_1_id_password"' in response.content.decode()
    assert not Signature.objects.exists()
    assert client.post(url, {"password": PASSWORD}).status_code == 302
    assert Signature.objects.get().signer == investigator


def test_the_sign_page_is_not_for_nurses(nurse_client, participant, test_kind):
    url = reverse("signature_sign", args=[participant.code, TEST_KIND])
    assert nurse_client.get(url).status_code == 404


def test_the_casebook_is_signed_by_investigators_and_broken_by_any_change(
    demog, investigator, nurse, participant
):
    signature = actions.sign(
        investigator, PASSWORD, participant, kind=signatures.CASEBOOK, meaning="I approve"
    )
    assert signature.content["SCR/DEMOG/1"]["weight_kg"] == "61.5"
    assert signature.content["SCR/DEMOG/1"]["status"] == "complete"
    save_demographics(nurse, demog, reason="transcription error", sex="M")
    assert signature.breaks.get().changes == {"SCR/DEMOG/1.sex": ["F", "M"]}
