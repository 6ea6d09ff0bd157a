"""Electronic signatures: what is signed, how it is serialised and hashed, who may sign it.

Each kind of signed thing (eligibility, gate decision, casebook) registers a function that
computes, for a participant, exactly the data the signer vouches for. The signature stores
that payload in a canonical JSON form and its SHA-256; recomputing the payload later and
comparing hashes tells whether the signed data changed since (then the signature is broken).

This module holds no Django model code: the write side is `trial.actions.sign` and
`refresh_signatures`, the read side `trial.selectors.current_signature`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from trial.models import Participant

Payload = Callable[["Participant"], dict]


@dataclass(frozen=True)
class Signable:
    kind: str
    payload: Payload
    roles: frozenset[str]
    # Optional: the sentence signed from the participant page's generic signing form. Kinds
    # signed from their own page (eligibility, gate) pass the meaning to actions.sign.
    meaning: Any = ""  # str or lazy translation: turned into text in the signer's language
    label: Any = ""


REGISTRY: dict[str, Signable] = {}


def register_signable(
    kind: str,
    payload: Payload,
    *,
    roles: set[str],
    meaning: Any = "",
    label: Any = "",
) -> None:
    """Declare a kind of signed thing: `payload(participant)` computes what is signed and
    `roles` names the roles allowed to sign it (PROTOCOL.md section 6)."""
    REGISTRY[kind] = Signable(kind, payload, frozenset(roles), meaning=meaning, label=label)


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


# --- The casebook: everything recorded for a participant ----------------------------------

CASEBOOK = "casebook"


def casebook_payload(participant: Participant) -> dict:
    """Every saved form of the participant, field by field, with its status: what the
    investigator approves when signing the casebook. One query per form model."""
    from trial import crf as crf_registry
    from trial.models import FormState

    rows = {
        row.pk: row
        for row in participant.forms.exclude(status=FormState.NOT_STARTED).order_by("pk")
    }
    payload: dict[str, Any] = {}
    for row in rows.values():
        payload[f"{row.event}/{row.form}/{row.repeat}"] = {"status": row.status}
    by_model: dict[type, list[str]] = {}
    for row in rows.values():
        spec = crf_registry.get(row.form)
        if spec is not None:
            by_model.setdefault(spec.model, [])
    for model in by_model:
        fields = [f for f in model._meta.concrete_fields if f.name not in ("id", "form_status")]
        for instance in model.objects.filter(form_status_id__in=rows.keys()):
            row = rows[instance.form_status_id]
            entry = payload[f"{row.event}/{row.form}/{row.repeat}"]
            for f in fields:
                entry[f.name] = f.value_from_object(instance)
    return payload


def register_builtin() -> None:
    from django.utils.translation import gettext_lazy as _

    from trial import roles

    register_signable(
        CASEBOOK,
        casebook_payload,
        roles=roles.SIGN,
        meaning=_("I approve this casebook"),
        label=_("Casebook"),
    )
