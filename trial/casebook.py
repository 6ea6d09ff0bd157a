"""The casebook signature's content: every saved form of a participant, keyed per form, so
that a save recomputes the sections of the forms it changed only."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from trial import crf as crf_registry
from trial import roles
from trial.decisions import Decision, register_decision
from trial.models import FormState, FormStatus, Participant
from trial.signatures import CASEBOOK, form_key, normalise


def casebook_sections(participant: Participant, rows: Iterable[FormStatus]) -> dict[str, Any]:
    """The casebook's sections of these rows: "EVENT/FORM/REPEAT" -> the form's status and
    stored values (item groups included), or None for a form not started (not in the
    casebook). One query per form model and item group involved (trial.crf.snapshot)."""
    rows = list(rows)
    entered = [row for row in rows if row.status != FormState.NOT_STARTED]
    values = crf_registry.snapshot(entered)
    sections: dict[str, Any] = {form_key(row): None for row in rows}
    for row in entered:
        sections[form_key(row)] = {**values.get(row.pk, {}), "status": row.status}
    return normalise(sections)


def casebook_payload(participant: Participant) -> dict[str, Any]:
    """Every saved form of the participant, item by item (item groups included), with its
    status: what the investigator approves when signing the casebook."""
    rows = participant.forms.exclude(status=FormState.NOT_STARTED).order_by("pk")
    return {key: value for key, value in casebook_sections(participant, rows).items() if value}


def register() -> None:
    """The casebook's approval: every saved form, signed by an investigator from the
    participant page, and signed again whenever they approve it again."""
    register_decision(
        Decision(
            kind=CASEBOOK,
            label=_("Casebook"),
            payload=casebook_payload,
            roles=frozenset(roles.SIGN),
            sections=casebook_sections,
            meaning=_("I approve this casebook"),
            resign_while_valid=True,
            command="sign",
        )
    )
