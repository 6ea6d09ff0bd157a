"""Signatures cannot vanish or be silently invalidated (issue: a complete trail, findings 3
and 4): a deleted signature, a break inserted by hand, and signed data changed by SQL run as
the application's role are each caught, by verify_signatures and on the pages."""

from __future__ import annotations

import uuid
from io import StringIO

import pgtrigger
import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse

from tests.audit.conftest import TEST_KIND, save_demographics
from tests.conftest import PASSWORD
from trial import actions, selectors, signatures
from trial.models import Signature, SignatureBreak

MEANING = "I confirm these demographics"


def sign(user, participant):
    return actions.sign(user, PASSWORD, participant, kind=TEST_KIND, meaning=MEANING)


def verify() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_signatures", stdout=out)
    except CommandError as error:
        return 1, out.getvalue() + str(error)
    return 0, out.getvalue()


@pytest.fixture
def app_role(db):
    """A role with the production grants (README, The database role)."""
    role = f"edc_test_app_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as c:
        c.execute(f'CREATE ROLE "{role}" NOLOGIN')
    call_command("audit_grants", role=role, apply=True, verbosity=0)
    return role


def as_role(role: str, sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as c:
        c.execute(f'SET LOCAL ROLE "{role}"')
        c.execute(sql, params)


def test_signatures_are_numbered_and_chained_per_participant(
    demog, investigator, participant, test_kind
):
    first, second = sign(investigator, participant), sign(investigator, participant)
    assert (first.sequence, second.sequence) == (1, 2)
    assert second.chain == signatures.chain_link(participant.pk, 2, second.mac, first.chain)
    assert verify() == (0, "2 signatures verified.\n")


def test_a_deleted_signature_fails_verify_signatures(demog, investigator, participant, test_kind):
    first, second, third = (sign(investigator, participant) for _ in range(3))
    # Around every grant (the owner): the middle one and the last one taken out.
    with pgtrigger.ignore("trial.Signature:append_only"):
        Signature.objects.filter(pk__in=[second.pk, third.pk]).delete()
    code, output = verify()
    assert code == 1
    assert f"signature {second.pk} deleted" in output
    assert f"signature {third.pk} deleted" in output
    # The chain alone shows the middle one missing, whatever became of the trail.
    assert "chain of signatures broken" not in output  # the first is intact
    with pgtrigger.ignore("trial.Signature:append_only"):
        Signature.objects.filter(pk=first.pk).delete()
    fourth = sign(investigator, participant)
    assert fourth.sequence == 1  # nothing left to chain after: numbered afresh
    assert f"signature {first.pk} deleted" in verify()[1]


def test_a_gap_in_the_chain_fails_verify_even_without_the_trail(
    demog, investigator, participant, test_kind
):
    sign(investigator, participant)
    second = sign(investigator, participant)
    third = sign(investigator, participant)
    with pgtrigger.ignore("trial.Signature:append_only"):
        Signature.objects.filter(pk=second.pk).delete()
    code, output = verify()
    assert code == 1
    (line,) = [line for line in output.splitlines() if "chain of signatures broken" in line]
    assert third.signed_at.isoformat() in line and "signature(s) 2 missing before it" in line


def test_an_unsealed_break_inserted_by_the_app_role_is_a_failure_not_a_skip(
    client, app_role, demog, investigator, participant, test_kind
):
    signature = sign(investigator, participant)
    as_role(
        app_role,
        "INSERT INTO trial_signaturebreak (signature_id, at, changes, mac) "
        "VALUES (%s, now(), '{}', '')",
        [signature.pk],
    )
    # And the signed data changed behind it: verify still checks the data.
    as_role(
        app_role,
        "UPDATE eligibility_demographics SET weight_kg = 99 WHERE form_status_id = %s",
        [demog.pk],
    )
    code, output = verify()
    assert code == 1
    assert "break not sealed" in output
    assert "changed without a recorded break (demographics.weight_kg)" in output
    client.force_login(investigator)
    page = client.get(reverse("participant_detail", args=[participant.code])).content.decode()
    assert 'data-testid="signature-invalid"' in page
    assert 'data-testid="signature"' not in page


def test_a_forged_break_with_a_guessed_mac_is_a_failure(
    demog, investigator, participant, test_kind
):
    signature = sign(investigator, participant)
    SignatureBreak.objects.create(signature=signature, changes={"x": [1, 2]}, mac="0" * 64)
    code, output = verify()
    assert code == 1 and "break not sealed" in output
    assert selectors.current_signature(participant, TEST_KIND).verdict.is_invalid


def test_a_break_recorded_by_the_application_is_sealed(
    demog, investigator, nurse, participant, test_kind
):
    sign(investigator, participant)
    save_demographics(nurse, demog, reason="transcription error", weight_kg="62")
    (brk,) = SignatureBreak.objects.all()
    assert not signatures.break_fault(brk, brk.signature)
    assert verify() == (0, "1 signatures verified.\n")


def test_signed_data_changed_by_sql_as_the_app_role_shows_broken_on_the_pages(
    client, app_role, demog, investigator, participant, test_kind
):
    sign(investigator, participant)
    client.force_login(investigator)
    url = reverse("participant_detail", args=[participant.code])
    assert 'data-testid="signature"' in client.get(url).content.decode()
    as_role(
        app_role,
        "UPDATE eligibility_demographics SET weight_kg = 99 WHERE form_status_id = %s",
        [demog.pk],
    )
    assert not SignatureBreak.objects.exists()  # nothing recorded it
    page = client.get(url).content.decode()
    assert 'data-testid="signature-broken"' in page
    assert 'data-testid="changed-outside"' in page
    assert "demographics.weight_kg" in page
    assert 'data-testid="signature"' not in page
    current = selectors.current_signature(participant, TEST_KIND)
    assert current.verdict.is_broken and not current.is_valid
