"""Decisions as data: each signed decision of the trial is one spec (`Decision`), registered by
the app that owns its data, and served by one action (trial.actions.sign_decision) and one
page (the `signature_sign` view, template trial/sign.html).

A spec says:
- what the decision covers: `payload` (what the signer vouches for) and `label`;
- who may sign it: `roles`;
- what it depends on: `requires`, decisions that must be validly signed first;
- what breaks it: `covers`, the forms whose change invalidates it (and `sections` for a
  payload keyed per form, `per_row` for a decision signed per form row);
- what it writes on the journey: `journey_fields`, checked on every signing, and `decide`,
  the domain's side: it checks the choice against the data, records it in the app's own
  tables and returns the meaning signed and the journey change (`Decided`);
- where it is recorded: `slot`, the (event, form) slot saved with it;
- what was decided last: `recorded`, the choice the domain holds. Signing another choice is a
  correction, refused without a reason (whatever broke or did not break the signature), and
  `correctable` lets a decision be corrected while its signature stands (a "proceed" at the
  gate withdrawn before the dose).

The decisions today: the eligibility sign-off (eligibility/decisions.py), the enhancement-ratio
gate (imaging/decisions.py), an adverse event's causality (dosing/decisions.py) and the
casebook (trial/casebook.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from trial import signatures
from trial.changes import JourneyChange
from trial.models import FormStatus, Participant


@dataclass(frozen=True)
class Choice:
    """One answer the signer may give (eligible, screen failure; proceed, not eligible...)."""

    value: str
    label: Any
    # The button's colour when choices are buttons (Bootstrap's: success, danger...).
    tone: str = "success"


@dataclass(frozen=True)
class DecisionContext:
    """What a decision's `decide` reads: inside the signing session, the participant and the
    slot (or signed row) locked."""

    user: Any
    participant: Participant
    row: FormStatus | None
    choice: str
    reason: str
    on: date | None
    memo: Callable[[str, Callable[[], Any]], Any]


@dataclass(frozen=True)
class Decided:
    """What `decide` returns: the meaning signed, the journey change, and whether the slot
    row is saved with it (its version and status move on)."""

    meaning: str
    journey: JourneyChange | None = None
    saves_slot: bool = True


@dataclass(frozen=True)
class Decision:
    kind: str
    label: Any
    payload: Callable[..., dict[str, Any]]
    roles: frozenset[str]
    covers: signatures.Covers | Iterable[str] | None = None
    sections: signatures.Sections | None = None
    requires: tuple[str, ...] = ()
    slot: tuple[str, str] | None = None
    per_row: bool = False
    journey_fields: frozenset[str] = frozenset()
    decide: Callable[[DecisionContext], Decided] | None = None
    choices: tuple[Choice, ...] = ()
    # Choices shown as one submit button each (else a list to choose from).
    buttons: bool = False
    # The label of a reason field (a declined gate says why); no field when empty. The choices
    # in `reason_required_for` are refused without a reason, with `reason_missing`.
    reason_label: Any = ""
    reason_required_for: frozenset[str] = frozenset()
    reason_missing: Any = ""
    # The meaning signed when the decision has no `decide` (the casebook's approval).
    meaning: Any = ""
    # A valid signature may be signed again (a re-approved casebook supersedes the first).
    resign_while_valid: bool = False
    # The choice last signed, as the domain recorded it (recorded(participant, slot) -> "" when
    # none): another choice is a correction and needs a reason.
    recorded: Callable[[Participant, FormStatus | None], str] | None = None
    # A signed decision may be changed while its signature stands (always with a reason).
    correctable: bool = False
    # An advisory lock taken before the participant's: decisions that count across
    # participants (the gate's IAH slots) are served one after the other.
    serialize: int | None = None
    command: str = ""
    # The page: page(participant, row) -> template context of the partial `template`,
    # which shows what is decided (criteria, ratios); `refusals` in it: {choice: why not}.
    page: Callable[[Participant, FormStatus | None], dict[str, Any]] | None = None
    template: str = ""
    # Refusals in the app's words: no slot yet, and a role that may not sign.
    missing_slot: Any = ""
    role_refusal: Any = ""
    # What the page says to someone who may not sign ("Only an investigator signs ..."), and
    # once it is signed ("Eligibility signed for %(code)s.").
    signers: Any = ""
    done: Any = ""


REGISTRY: dict[str, Decision] = {}


def register_decision(decision: Decision) -> None:
    """Register a decision and the signable content that its signature seals."""
    REGISTRY[decision.kind] = decision
    signatures.register_signable(
        decision.kind,
        decision.payload,
        roles=set(decision.roles),
        meaning=decision.meaning,
        label=decision.label,
        covers=decision.covers,
        sections=decision.sections,
        requires=decision.requires,
        per_row=decision.per_row,
    )


def recorded_choice(decision: Decision, participant: Participant, row: FormStatus | None) -> str:
    """The choice last signed for this decision ("" when none, or for a decision without)."""
    if decision.recorded is None:
        return ""
    return decision.recorded(participant, row) or ""


def get(kind: str) -> Decision | None:
    return REGISTRY.get(kind)


def signed_per_participant() -> list[Decision]:
    """The decisions signed from the participant page itself (no slot of their own)."""
    return [d for d in REGISTRY.values() if d.slot is None]
