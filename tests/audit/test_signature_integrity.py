"""Signatures are sealed with the server's key, append-only, verified wherever they are shown
and by `manage.py verify_signatures`; a failed attempt stays logged whatever rolls back."""

from __future__ import annotations

import hashlib
import hmac
from io import StringIO

import pgtrigger
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.urls import reverse

from eligibility.models import Demographics
from tests.audit.conftest import TEST_KIND, save_demographics
from tests.conftest import PASSWORD
from trial import actions, decisions, roles, selectors, signatures
from trial.models import AuthEvent, AuthEventKind, Signature, SignatureBreak

MEANING = "I confirm these demographics"


def sign(user, participant, password=PASSWORD):
    return actions.sign(user, password, participant, kind=TEST_KIND, meaning=MEANING)


def verify() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_signatures", stdout=out)
    except CommandError as error:
        return 1, out.getvalue() + str(error)
    return 0, out.getvalue()


@pytest.mark.req("P11.70", "A11.14")
def test_the_seal_is_an_hmac_of_signer_meaning_time_object_and_content(
    demog, investigator, participant, test_kind, settings
):
    signature = sign(investigator, participant)
    stored = Signature.objects.get(pk=signature.pk)
    message = signatures.seal_message(
        participant_id=participant.pk,
        kind=TEST_KIND,
        row_id=None,
        signer_id=investigator.pk,
        signer_name="Ivan Investigator",
        meaning=MEANING,
        signed_at=stored.signed_at,
        content_hash=hashlib.sha256(signatures.canonical(stored.content)).hexdigest(),
    )
    key = settings.SIGNATURE_KEY.encode()
    assert stored.mac == hmac.new(key, message, hashlib.sha256).hexdigest()
    assert stored.verdict.is_valid
    # Another key (a database copied elsewhere, a forged row): the seal no longer holds.
    with override_settings(SIGNATURE_KEY="another-key"):
        assert Signature.objects.get(pk=signature.pk).verdict.fault == "seal mismatch"


def test_signatures_and_breaks_are_append_only(demog, investigator, nurse, participant, test_kind):
    signature = sign(investigator, participant)
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        Signature.objects.filter(pk=signature.pk).update(meaning="I approve nothing")
    with pytest.raises(DatabaseError), transaction.atomic():
        Signature.objects.filter(pk=signature.pk).delete()
    save_demographics(nurse, demog, reason="transcription error", weight_kg="62")
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        SignatureBreak.objects.update(changes={})


def test_a_record_altered_in_the_database_shows_invalid_and_fails_the_command(
    client, demog, investigator, participant, test_kind
):
    signature = sign(investigator, participant)
    assert verify() == (0, "1 signatures verified.\n")
    # A database edit around the application: another meaning, triggers off.
    with pgtrigger.ignore("trial.Signature:append_only"):
        Signature.objects.filter(pk=signature.pk).update(meaning="I approve nothing")

    client.force_login(investigator)
    page = client.get(reverse("participant_detail", args=[participant.code])).content.decode()
    assert 'data-testid="signature-invalid"' in page
    assert "Signature invalid: record altered" in page
    assert 'data-testid="signature"' not in page
    assert 'data-next="resign"' in page
    listing = client.get(reverse("participant_list")).content.decode()
    assert 'data-testid="signature-flag"' in listing and 'data-state="invalid"' in listing

    code, output = verify()
    assert code == 1
    (line,) = [line for line in output.splitlines() if line.startswith("FAIL")]
    assert participant.code in line and TEST_KIND in line and "Ivan Investigator" in line
    assert "record altered (seal mismatch)" in line


def test_content_rewritten_with_a_matching_hash_still_fails_the_seal(
    demog, investigator, participant, test_kind
):
    signature = sign(investigator, participant)
    forged = {"demographics": {"weight_kg": "99.0", "birth_date": "1960-04-02"}}
    with pgtrigger.ignore("trial.Signature:append_only"):
        Signature.objects.filter(pk=signature.pk).update(
            content=forged, content_hash=signatures.digest(forged)
        )
    assert selectors.current_signature(participant, TEST_KIND).verdict.is_invalid
    code, output = verify()
    assert code == 1 and "seal mismatch" in output


def test_signed_data_changed_without_a_recorded_break_fails_the_command(
    demog, investigator, participant, test_kind
):
    sign(investigator, participant)
    # Around save_crf: no break is recorded.
    Demographics.objects.filter(form_status=demog).update(weight_kg="70.0")
    code, output = verify()
    assert code == 1
    assert "changed without a recorded break (demographics.weight_kg)" in output


def test_a_broken_signature_is_reported_as_such_not_as_a_failure(
    client, demog, investigator, nurse, participant, test_kind
):
    sign(investigator, participant)
    save_demographics(nurse, demog, reason="transcription error", weight_kg="62")
    assert verify() == (0, "1 signatures verified.\n")
    client.force_login(nurse)
    page = client.get(reverse("participant_detail", args=[participant.code])).content.decode()
    assert "Signature broken: the signed data changed" in page
    assert "Signature invalid" not in page


@pytest.mark.req("P11.10f")
def test_a_signature_needs_its_required_kinds_validly_signed_first(
    demog, investigator, nurse, participant, test_kind
):
    decisions.register_decision(
        decisions.Decision(
            kind="test-decision",
            label="Test decision",
            payload=lambda p: {"decision": "go"},
            roles=frozenset({roles.INVESTIGATOR}),
            requires=(TEST_KIND,),
        )
    )
    try:

        def decide():
            return actions.sign(
                investigator, PASSWORD, participant, kind="test-decision", meaning="Go"
            )

        with pytest.raises(actions.ActionRefused, match="must be signed first"):
            decide()
        sign(investigator, participant)
        save_demographics(nurse, demog, reason="transcription error", weight_kg="62")
        with pytest.raises(actions.ActionRefused, match="is broken: it must be signed again"):
            decide()
        assert not Signature.objects.filter(kind="test-decision").exists()
        sign(investigator, participant)
        assert decide().verdict.is_valid
    finally:
        signatures.REGISTRY.pop("test-decision", None)
        decisions.REGISTRY.pop("test-decision", None)


@pytest.mark.django_db(transaction=True)
def test_a_failed_attempt_inside_a_rolled_back_transaction_stays_logged(
    demog, investigator, participant, test_kind
):
    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        with pytest.raises(actions.WrongPassword):
            sign(investigator, participant, password="not-my-password")
        assert connection.in_atomic_block
        raise Rollback
    failure = AuthEvent.objects.get(kind=AuthEventKind.SIGNATURE_FAILED)
    assert (failure.username, failure.user) == ("ivan", investigator)
    assert not Signature.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_five_failures_in_rolled_back_transactions_lock_the_account(
    investigator, participant, test_kind
):
    for _attempt in range(5):
        with transaction.atomic():
            with pytest.raises(actions.WrongPassword):
                sign(investigator, participant, password="guess")
            transaction.set_rollback(True)
    assert selectors.locked_until("ivan") is not None
    with pytest.raises(actions.AccountLocked):
        sign(investigator, participant)
