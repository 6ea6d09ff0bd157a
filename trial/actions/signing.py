"""Electronic signatures (21 CFR 11.50, 11.70, 11.200): one action signs every decision of the
trial (trial/decisions.py), after the signer re-enters their password.

    sign_decision(user, password, participant, "gate", choice="proceed")

The password is checked first, outside any transaction, so that a wrong one stays logged for
the lockout. Then, in one write session: the decision's slot locked, its domain side recorded
(`Decision.decide`), the slot saved and the journey changed, the other signatures refreshed,
and the signature itself recorded last, on the data as the session leaves it. A refusal
anywhere rolls everything back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from trial import decisions, roles, selectors, signatures
from trial.actions.accounts import locked_message, log_auth_event, record_failure_durably
from trial.actions.errors import (
    AccountLocked,
    ActionRefused,
    Locked,
    ReasonRequired,
    WrongPassword,
    require_reach,
)
from trial.actions.session import WriteSession, write
from trial.changes import UNCHANGED, JourneyChange
from trial.models import AuthEventKind, FormState, FormStatus, Participant, Signature


@dataclass(frozen=True)
class SignerVerified:
    """Proof that the signer has just re-entered their password (verify_signer)."""

    user_id: int
    at: datetime


# How long a password check stands for the signature that follows it, within one action.
SIGNER_CHECK_VALID = timedelta(minutes=2)

# Inside signers_checked_once(): (user id, stored hash, SHA-256 of the password) of each
# password already verified in the block.
_checked: ContextVar[set[tuple[int, str, str]] | None] = ContextVar(
    "edc_signers_checked", default=None
)


@contextmanager
def signers_checked_once() -> Iterator[None]:
    """A batch run by the system that signs as its users (seed_demo): each signer's password
    is verified once in the block (Argon2id at full cost takes a good part of a second),
    then taken as verified for that user while their stored password is the same. The
    lockout is checked at every signature as before."""
    token = _checked.set(set())
    try:
        yield
    finally:
        _checked.reset(token)


def verify_signer(user: Any, password: str) -> SignerVerified:
    """Re-check the signer's password, before the signing transaction.

    A wrong password raises WrongPassword, is logged and counts towards the lockout shared
    with logins (5 consecutive failures lock the account for 15 minutes). The failure is
    committed at once, even inside a caller's transaction that then rolls back
    (record_failure_durably).
    """
    username = user.get_username()
    until = selectors.locked_until(username)
    if until is not None:
        raise AccountLocked(locked_message(until))
    checked = _checked.get()
    key = (user.pk, user.password, hashlib.sha256((password or "").encode()).hexdigest())
    if password and checked is not None and key in checked:
        return SignerVerified(user.pk, timezone.now())
    if not password or not user.check_password(password):
        until = record_failure_durably(AuthEventKind.SIGNATURE_FAILED, username, user=user)
        if until is not None:
            raise WrongPassword(_("Wrong password. %(locked)s") % {"locked": locked_message(until)})
        raise WrongPassword(_("Wrong password: the signature was not recorded."))
    if checked is not None:
        checked.add(key)
    return SignerVerified(user.pk, timezone.now())


def decision_for(
    user: Any, participant: Participant, kind: str, row: FormStatus | None = None
) -> decisions.Decision:
    """The registered decision, if this user may sign it for this participant (and row)."""
    decision = decisions.get(kind)
    if decision is None:
        raise ActionRefused(_("Nothing of this kind can be signed."))
    if not roles.has_any(user, set(decision.roles)):
        raise ActionRefused(
            str(decision.role_refusal or _("Your role does not allow you to sign this."))
        )
    require_reach(user, participant)
    if row is not None and row.participant_id != participant.pk:
        raise ActionRefused(_("This form belongs to another participant."))
    if decision.per_row and (row is None or decision.slot is None or row.form != decision.slot[1]):
        raise ActionRefused(_("Say which entry you sign."))
    return decision


def sign_decision(
    user: Any,
    password: str,
    participant: Participant,
    kind: str,
    *,
    choice: str = "",
    reason: str = "",
    row: FormStatus | None = None,
    on: date | None = None,
    meaning: str = "",
) -> Signature:
    """Sign a decision (trial/decisions.py): the one signing action of the trial.

    `choice` is the decision taken (one of the spec's choices), `reason` its reason when the
    spec asks for one, `row` the entry signed for a decision signed per row, `on` the date
    decided (default: today, or what the decision's app says), `meaning` the sentence signed
    for a decision without choices (default: the spec's). Returns the signature.
    """
    decision = decision_for(user, participant, kind, row)
    reason = (reason or "").strip()
    if decision.choices and choice not in {c.value for c in decision.choices}:
        raise ActionRefused(_("Unknown decision."))
    if choice in decision.reason_required_for and not reason:
        raise ActionRefused(str(decision.reason_missing or _("Give a reason.")))
    # The password first, before any transaction: a failed attempt is logged for good (it
    # counts towards the lockout) and nothing of the decision is written.
    verified = verify_signer(user, password)
    command = decision.command or f"sign {kind}"
    with write(
        user, participant, reason=reason, command=command, serialize=decision.serialize, kind=kind
    ) as w:
        slot = _locked_slot(w, decision, row)
        changed = _check_correction(decision, w.participant, slot, choice, reason)
        _check_not_signed(decision, w.participant, slot, changed)
        if decision.decide is not None:
            decided = decision.decide(
                decisions.DecisionContext(user, w.participant, slot, choice, reason, on, w.memo)
            )
        else:
            decided = decisions.Decided(meaning=str(meaning or decision.meaning), saves_slot=False)
        if decided.journey is not None:
            _check_journey_fields(decision, decided.journey)
            w.journey(decided.journey)
        if slot is not None:
            if decided.saves_slot:
                w.saved(slot)
            else:
                w.touch(slot)
        signature = w.at_end(
            lambda: record_signature(
                user, verified, w.participant, kind=kind, meaning=decided.meaning, row=slot
            )
        )
    result = signature()
    assert result is not None
    return result


def sign(
    user: Any,
    password: str,
    participant: Participant,
    *,
    kind: str,
    meaning: str,
    row: FormStatus | None = None,
) -> Signature:
    """sign_decision for a decision without choices (the casebook), with its meaning."""
    return sign_decision(user, password, participant, kind, meaning=meaning, row=row)


def _locked_slot(
    w: WriteSession, decision: decisions.Decision, row: FormStatus | None
) -> FormStatus | None:
    """The row the decision is recorded on, locked: the decision's slot, or the entry signed
    for a decision signed per row. Refused when it does not exist, is locked or deleted."""
    participant = w.participant
    assert participant is not None
    if decision.slot is None:
        # A decision of the whole participant may name the row it is about (kept on the
        # signature, nothing written on it).
        slot = None if row is None else w.lock([row])[0]
    elif decision.per_row:
        assert row is not None
        (slot,) = w.lock([row])
    else:
        slot = w.slot(*decision.slot)
        if slot is None:
            raise ActionRefused(str(decision.missing_slot or _("This form does not exist yet.")))
    if participant.locked_at is not None or (slot is not None and slot.locked_at is not None):
        raise Locked(_("This casebook is locked; a data manager must unlock it."))
    if slot is not None and slot.status == FormState.DELETED:
        raise ActionRefused(_("This entry was deleted; it can no longer be changed."))
    return slot


def _check_correction(
    decision: decisions.Decision,
    participant: Participant,
    row: FormStatus | None,
    choice: str,
    reason: str,
) -> bool:
    """A choice other than the one signed is a correction: refused without a reason. Returns
    whether the decision changes."""
    previous = decisions.recorded_choice(decision, participant, row)
    if not previous or previous == choice:
        return False
    if not reason:
        labels = {c.value: c.label for c in decision.choices}
        raise ReasonRequired(
            _(
                "%(what)s was signed as “%(previous)s”: changing it is a correction, "
                "give the reason."
            )
            % {"what": decision.label, "previous": labels.get(previous, previous)}
        )
    return True


def _check_not_signed(
    decision: decisions.Decision,
    participant: Participant,
    row: FormStatus | None,
    changed: bool = False,
) -> None:
    # A correctable decision changed (with its reason) supersedes a signature that stands.
    if decision.resign_while_valid or (decision.correctable and changed):
        return
    current = selectors.current_signature(participant, decision.kind, row, recheck=False)
    if current is not None and current.is_valid:
        raise ActionRefused(
            _("%(what)s is already signed (%(meaning)s).")
            % {"what": decision.label, "meaning": current.meaning}
        )


def _check_journey_fields(decision: decisions.Decision, change: JourneyChange) -> None:
    """A decision writes on the journey only what its spec declares."""
    written = {f"date:{event}" for event in change.dates}
    written |= {name for name in ("status", "gate_decision") if getattr(change, name) is not None}
    if change.enrolment_date is not UNCHANGED:
        written.add("enrolment_date")
    undeclared = written - decision.journey_fields
    if undeclared:
        raise ValueError(f"{decision.kind} writes {sorted(undeclared)} on the journey: declare it")


def record_signature(
    user: Any,
    verified: SignerVerified,
    participant: Participant,
    *,
    kind: str,
    meaning: str,
    row: FormStatus | None = None,
) -> Signature:
    """Store the signature of a signer whose password was just checked: the payload, its hash
    and the seal, in the caller's write session (sign_decision records it at the session's
    end).

    Append-only: an earlier signature of the kind is superseded by this one (derived from the
    dates), never updated.
    """
    signable = signatures.get(kind)
    if signable is None:
        raise ActionRefused(_("Nothing of this kind can be signed."))
    if verified.user_id != user.pk or timezone.now() - verified.at > SIGNER_CHECK_VALID:
        raise ActionRefused(_("Enter your password again to sign."))
    meaning = str(meaning).strip()
    if not meaning:
        raise ActionRefused(_("A signature needs its meaning."))
    # The participant's row lock (taken by the session) orders this signature with
    # concurrent saves: a save either happens before (and is signed) or after (and breaks it).
    _check_required(signable, participant)
    content = signatures.normalise(signable.payload_of(participant, row))
    signature = Signature(
        participant=participant,
        row=row,
        kind=kind,
        meaning=meaning,
        signer=user,
        signer_name=user.get_full_name() or user.get_username(),
        signed_at=timezone.now(),
        content=content,
        content_hash=signatures.digest(content),
    )
    signature.mac = signatures.seal(signature)
    # The next link of the participant's chain (the session holds the participant's lock, so
    # two signatures of one participant never take the same number).
    last = (
        Signature.objects.filter(participant=participant, sequence__isnull=False)
        .order_by("-sequence")
        .values_list("sequence", "chain")
        .first()
    )
    sequence, previous = ((last[0] or 0) + 1, last[1]) if last else (1, "")
    signature.sequence = sequence
    signature.chain = signatures.chain_link(participant.pk, sequence, signature.mac, previous)
    signature.save(force_insert=True)
    log_auth_event(AuthEventKind.SIGNED, user.get_username(), user=user, detail=kind)
    return signature


def _check_required(signable: signatures.Signable, participant: Participant) -> None:
    """A decision that depends on another signed one waits for that one to stand."""
    for required in signable.requires:
        current = selectors.current_signature(participant, required, recheck=False)
        if current is not None and current.verdict.is_valid:
            continue
        other = signatures.get(required)
        label = str(other.label) if other is not None and other.label else required
        if current is None:
            message = _("%(what)s must be signed first.")
        elif current.verdict.is_broken:
            message = _("The signature of %(what)s is broken: it must be signed again first.")
        else:
            message = _("The signature of %(what)s is invalid: it must be signed again first.")
        raise ActionRefused(message % {"what": label})
