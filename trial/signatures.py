"""Electronic signatures: what is signed, how it is serialised, hashed and sealed, who may
sign it, and what each kind covers.

Each kind of signed thing (eligibility, gate decision, casebook) registers a function that
computes, for a participant, exactly the data the signer vouches for, and says which forms
that data comes from (`covers`). The signature stores that payload in a canonical JSON form,
its SHA-256, and a seal: an HMAC-SHA256, keyed with settings.SIGNATURE_KEY, over the signer,
the meaning, the time, the participant, the signed object and the content's hash. Without the
key, an edit of the table cannot produce a valid seal (`verify`).

A later change of the covered data breaks the signature: `trial.actions.refresh_signatures`
(run by every write session at its end) recomputes what changed and appends a
SignatureBreak; a signature is never updated. A kind whose payload is keyed per form
(`sections`, the casebook) is recomputed for the changed forms only.

Each kind is registered with its decision (trial/decisions.py). This module holds no model
code: the write side is `trial.actions.sign_decision` and `refresh_signatures`, the read side
`trial.selectors.current_signature(s)`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.conf import settings
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from trial.models import FormStatus, Participant, Signature

# payload(participant), or payload(participant, row) for a kind signed per row.
Payload = Callable[..., dict]
# sections(participant, rows) -> {section key: section value} for the given form-status rows;
# a row whose section is absent from the payload maps to None.
Sections = Callable[["Participant", "Iterable[FormStatus]"], dict]
Covers = Callable[["FormStatus"], bool]


def covers_all(row: FormStatus) -> bool:
    return True


@dataclass(frozen=True)
class Signable:
    kind: str
    payload: Payload
    roles: frozenset[str]
    # Optional: the sentence signed from the participant page's generic signing form. Kinds
    # signed from their own page (eligibility, gate) pass the meaning to actions.sign.
    meaning: Any = ""  # str or lazy translation: turned into text in the signer's language
    label: Any = ""
    # Which form-status rows the payload reads: a save of any other row cannot break it.
    covers: Covers = covers_all
    # For a payload keyed per form: the sections of the changed rows, so that a save
    # recomputes and compares only those (the casebook).
    sections: Sections | None = None
    # Kinds whose current signature must be valid before this kind may be signed (a decision
    # that depends on the eligibility sign-off requires "eligibility").
    requires: tuple[str, ...] = ()
    # Signed per form-status row (an adverse event's causality): one current signature per
    # row, whose payload reads that row, broken only by a change of that row.
    per_row: bool = False

    def payload_of(self, participant: Participant, row: FormStatus | None) -> dict:
        """What is signed: for the participant, or for one row of a kind signed per row."""
        if self.per_row:
            if row is None:
                raise ValueError(f"{self.kind} is signed per row: name the row")
            return self.payload(participant, row)
        return self.payload(participant)


REGISTRY: dict[str, Signable] = {}


def register_signable(
    kind: str,
    payload: Payload,
    *,
    roles: set[str],
    meaning: Any = "",
    label: Any = "",
    covers: Covers | Iterable[str] | None = None,
    sections: Sections | None = None,
    requires: Iterable[str] = (),
    per_row: bool = False,
) -> None:
    """Declare a kind of signed thing: `payload(participant)` computes what is signed and
    `roles` names the roles allowed to sign it (PROTOCOL.md section 6).

    `covers` says which forms the payload reads: a predicate on a form-status row, a set of
    form codes, or None for every form. `sections` (optional) recomputes the per-form part of
    the payload for some rows. `requires` names kinds that must be validly signed first.
    """
    if covers is None:
        predicate: Covers = covers_all
    elif callable(covers):
        predicate = covers
    else:
        codes = frozenset(covers)

        def predicate(row: FormStatus) -> bool:
            return row.form in codes

    REGISTRY[kind] = Signable(
        kind,
        payload,
        frozenset(roles),
        meaning=meaning,
        label=label,
        covers=predicate,
        sections=sections,
        requires=tuple(requires),
        per_row=per_row,
    )


def get(kind: str) -> Signable | None:
    return REGISTRY.get(kind)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # As a string: a float would change the digits, and "62.0" must stay "62.0".
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    raise TypeError(f"Cannot sign a value of type {type(value).__name__}")


def canonical(payload: dict) -> bytes:
    """The one serialisation of a payload that is hashed: JSON, keys sorted, no whitespace,
    dates in ISO 8601, decimals as strings, UTF-8."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    ).encode("utf-8")


def normalise(payload: dict) -> dict:
    """The payload as stored: what canonical() serialises, read back (plain JSON types)."""
    return json.loads(canonical(payload))


def digest(payload: dict) -> str:
    """SHA-256 (hex) of the canonical serialisation."""
    return hashlib.sha256(canonical(payload)).hexdigest()


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> dict[str, Any]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}[{index}]", out)
    else:
        out[prefix] = value
    return out


def diff(old: dict, new: dict) -> dict[str, tuple]:
    """Changed values between two payloads, as flattened key -> (old, new).

    Keys are dotted paths ("SCR/DEMOG/1.weight_kg", "criteria[2]"); a key present on one side
    only has None on the other. Both sides are compared in their canonical form, so a Decimal
    and its stored string are equal.
    """
    before = _flatten(normalise(old), "", {})
    after = _flatten(normalise(new), "", {})
    return {
        key: (before.get(key), after.get(key))
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key)
    }


# --- The seal: HMAC-SHA256 with the server's key -------------------------------------------

SEAL_VERSION = 1


def seal_message(
    *,
    participant_id: int,
    kind: str,
    row_id: int | None,
    signer_id: int,
    signer_name: str,
    meaning: str,
    signed_at: datetime,
    content_hash: str,
) -> bytes:
    """What the seal covers, serialised canonically: who (id and printed name), meaning what,
    when (UTC, to the microsecond), whose, which object, and the content (by its SHA-256)."""
    return canonical(
        {
            "v": SEAL_VERSION,
            "participant": participant_id,
            "kind": kind,
            "row": row_id,
            "signer": signer_id,
            "signer_name": signer_name,
            "meaning": meaning,
            "signed_at": signed_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "content_hash": content_hash,
        }
    )


def _key() -> bytes:
    return str(settings.SIGNATURE_KEY).encode("utf-8")


def seal(signature: Signature) -> str:
    """The HMAC-SHA256 (hex) of a signature record's sealed fields."""
    message = seal_message(
        participant_id=signature.participant_id,
        kind=signature.kind,
        row_id=signature.row_id,
        signer_id=signature.signer_id,
        signer_name=signature.signer_name,
        meaning=signature.meaning,
        signed_at=signature.signed_at,
        content_hash=signature.content_hash,
    )
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def record_fault(signature: Signature, *, with_content: bool = True) -> str:
    """Why the stored record is not what was signed ("" when it is): a seal that does not
    match its fields, or content that does not match its hash. `with_content=False` checks the
    seal only (the content left unread, for lists)."""
    if not hmac.compare_digest(seal(signature), signature.mac or ""):
        return _("seal mismatch")
    if with_content and digest(signature.content) != signature.content_hash:
        return _("content does not match its hash")
    return ""


def _hmac(message: bytes) -> str:
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def chain_link(participant_id: int, sequence: int, mac: str, previous: str) -> str:
    """The signature's link in its participant's chain: keyed, over its number, its seal and
    the previous link ("" for the first), so no signature can be taken out or put back in
    another place without the key."""
    return _hmac(
        canonical(
            {
                "v": 1,
                "chain": participant_id,
                "sequence": sequence,
                "mac": mac,
                "previous": previous,
            }
        )
    )


def seal_break(signature_id: int, signature_mac: str, at: datetime, changes: dict) -> str:
    """A break's seal: keyed, over the signature it breaks (id and seal), when, and what
    changed (canonical JSON)."""
    return _hmac(
        canonical(
            {
                "v": 1,
                "break_of": signature_id,
                "signature_mac": signature_mac,
                "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
                "changes": changes,
            }
        )
    )


def break_fault(brk: Any, signature: Signature) -> str:
    """Why a stored break is not one the application recorded ("" when it is)."""
    expected = seal_break(signature.pk, signature.mac, brk.at, brk.changes)
    if not hmac.compare_digest(expected, brk.mac or ""):
        return _("break not sealed: not recorded by the application")
    return ""


def chain_faults(chain: list[Signature]) -> dict[int, str]:
    """For one participant's signatures in their order: signature id -> why its place in
    the chain is wrong (a number missing before it, or a link that does not verify)."""
    faults: dict[int, str] = {}
    previous = ""
    expected = 1
    for signature in chain:
        if signature.sequence is None:
            faults[signature.pk] = _("not in the chain of signatures")
            continue
        if signature.sequence != expected:
            faults[signature.pk] = _("signature(s) %(missing)s missing before it") % {
                "missing": ", ".join(str(n) for n in range(expected, signature.sequence))
                or str(signature.sequence)
            }
        link = chain_link(signature.participant_id, signature.sequence, signature.mac, previous)
        if signature.pk not in faults and not hmac.compare_digest(link, signature.chain or ""):
            faults[signature.pk] = _("chain link does not verify")
        previous = signature.chain
        expected = signature.sequence + 1
    return faults


# Verdicts of a signature as the pages show it.
VALID, BROKEN, INVALID, SUPERSEDED = "valid", "broken", "invalid", "superseded"


@dataclass(frozen=True)
class Verdict:
    state: str
    # INVALID: what is wrong with the record; BROKEN: when and what changed.
    fault: str = ""
    broken_at: datetime | None = None
    changes: dict | None = None

    @property
    def is_valid(self) -> bool:
        return self.state == VALID

    @property
    def is_broken(self) -> bool:
        return self.state == BROKEN

    @property
    def is_invalid(self) -> bool:
        return self.state == INVALID

    @property
    def needs_signing(self) -> bool:
        """A current signature that no longer stands: to be signed again."""
        return self.state in (BROKEN, INVALID)


def verify(signature: Signature, *, with_content: bool = True) -> Verdict:
    """The signature's verdict: the record checked first (seal, content hash), then its
    break, if any. A superseded signature is one with a newer signature of its kind, which
    only the caller knows (selectors.current_signatures returns the latest ones)."""
    fault = record_fault(signature, with_content=with_content)
    if fault:
        return Verdict(INVALID, fault=fault)
    first = signature.first_break
    if first is not None:
        if break_fault(first, signature):
            return Verdict(INVALID, fault=break_fault(first, signature))
        return Verdict(BROKEN, broken_at=first.at, changes=first.changes)
    recomputed = signature.__dict__.get(RECOMPUTED)
    if recomputed is not None and recomputed[0] != signature.content_hash:
        # The signed data as it stands differs and no break says so: changed by a path that
        # bypassed the application's write session (SQL run by hand, a restore...).
        return Verdict(BROKEN, fault=_("changed outside the application"), changes=recomputed[1])
    return Verdict(VALID)


# Set on a Signature by recheck(): (hash of the signed data as it stands now, what changed).
RECOMPUTED = "_recomputed"


def recheck(signature: Signature, participant: Participant) -> Signature:
    """Recompute what `signature` signed from the data as it stands now, so that its verdict
    (a page showing it) tells a change made around the application from a valid signature."""
    signable = REGISTRY.get(signature.kind)
    if signable is None or (signable.per_row and signature.row is None):
        return signature
    content = normalise(signable.payload_of(participant, signature.row))
    now = digest(content)
    changes = {}
    if now != signature.content_hash and "content" not in signature.get_deferred_fields():
        changes = {key: list(pair) for key, pair in diff(signature.content, content).items()}
    signature.__dict__[RECOMPUTED] = (now, changes)
    signature.__dict__.pop("_verdict", None)
    return signature


# --- The casebook's key of each form (trial/casebook.py builds the casebook's payload) ------

CASEBOOK = "casebook"


def form_key(row: FormStatus) -> str:
    return f"{row.event}/{row.form}/{row.repeat}"


def current_key(signature: Signature) -> str:
    """How the current signatures are told apart: by kind, and by row for a kind signed per
    row (selectors.current_signatures)."""
    signable = REGISTRY.get(signature.kind)
    if signable is not None and signable.per_row:
        return f"{signature.kind}/{signature.row_id}"
    return signature.kind
