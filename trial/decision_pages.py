"""The signing page of every decision (trial/decisions.py): one template, trial/sign.html,
shown by the `signature_sign` view and by a decision's own form slot (ELIGSIGN, GATE).

The decision's app gives what is decided (`Decision.page`, shown by the partials of
`Decision.template`: "badges", "main" and "aside"); this module adds the signature, the
choices with why each is not possible, and the signing form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from trial import decisions, selectors, shown_items, signatures
from trial.forms import SignDecisionForm, summary_context
from trial.models import FormState, FormStatus, Participant


@dataclass(frozen=True)
class ChoiceView:
    value: str
    label: str
    tone: str
    refusal: str


def decision_row(participant: Participant, decision: decisions.Decision, repeat: Any) -> Any:
    """The row a decision is recorded on: its slot, the entry signed (`repeat`) for a
    decision signed per row, or None (the casebook). 404 when it does not exist."""
    if decision.slot is None:
        return None
    event, form = decision.slot
    try:
        number = int(repeat) if decision.per_row else 1
    except (TypeError, ValueError):
        raise Http404("No such entry") from None
    return selectors.form_status_or_404(participant, event, form, number)


def sign_url(participant: Participant, decision: decisions.Decision, row: Any) -> str:
    url = reverse("signature_sign", args=[participant.code, decision.kind])
    return f"{url}?repeat={row.repeat}" if decision.per_row and row is not None else url


def page_context(
    decision: decisions.Decision,
    participant: Participant,
    row: FormStatus | None,
    sign_form: SignDecisionForm | None = None,
) -> dict[str, Any]:
    """Everything trial/sign.html shows: what is decided, the signature, the form."""
    own = decision.page(participant, row) if decision.page is not None else {}
    previous = decisions.recorded_choice(decision, participant, row)
    refusals = own.get("refusals", {})
    labels = own.get("choice_labels", {})
    signature = selectors.current_signature(
        participant, decision.kind, row if decision.per_row else None
    )
    items: list[tuple[str, str, str]] = []
    if not decision.template:
        content = signatures.normalise(decision.payload(*_payload_args(decision, participant, row)))
        items = [
            (key, shown_items.label(key), shown_items.value(key, change[1]))
            for key, change in sorted(signatures.diff({}, content).items())
            if key
        ]
    signed = signature is not None and signature.is_valid
    return {
        **own,
        # After a refused signing: what needs attention, each a link to its input.
        **summary_context(sign_form),
        "participant": participant,
        "row": row,
        "decision": decision,
        "title": own.get("title") or decision.label,
        "signature": signature,
        "signed": signed,
        # A signed decision is signed again only after a change broke it (the casebook may
        # be approved again at any time), or corrected, with a reason, when it may be.
        "can_resign": decision.resign_while_valid
        or not signed
        or (decision.correctable and bool(previous)),
        "previous": previous,
        "locked": participant.locked_at is not None
        or (row is not None and (row.is_locked or row.status == FormState.DELETED)),
        "sign_form": sign_form or SignDecisionForm(decision=decision, previous=previous),
        "sign_url": sign_url(participant, decision, row),
        "signer_roles": sorted(decision.roles),
        "choices": [
            ChoiceView(
                c.value, str(labels.get(c.value, c.label)), c.tone, refusals.get(c.value, "")
            )
            for c in decision.choices
        ],
        "items": items,
        "meaning": own.get("meaning", "" if decision.choices else str(decision.meaning)),
        "signers_text": str(decision.signers or _("Your role does not sign this.")),
    }


def _payload_args(
    decision: decisions.Decision, participant: Participant, row: FormStatus | None
) -> tuple[Any, ...]:
    return (participant, row) if decision.per_row else (participant,)


def slot_context(kind: str) -> Any:
    """A `Crf.context` for a decision's form slot: the slot opens the decision's page."""

    def context(participant: Participant, row: FormStatus, form: Any) -> dict[str, Any]:
        decision = decisions.get(kind)
        if decision is None:
            raise Http404("No such decision")
        return page_context(decision, participant, row)

    return context
