"""Signatures broken by a change: recorded in the transaction of the change (so the break
carries its user and reason), and the site's investigators told once it commits."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from trial import languages, roles, selectors, signatures
from trial.models import FormStatus, Participant, Signature, SignatureBreak

log = logging.getLogger(__name__)


def refresh_signatures(
    participant: Participant, rows: Iterable[FormStatus] | None = None
) -> list[SignatureBreak]:
    """Record a break for each current, unbroken signature of the participant whose signed
    data changed. `rows` are the form-status rows the caller's session changed (None: anything
    may have changed). Returns the breaks recorded now.

    Only kinds covering a changed row are looked at; a kind keyed per form (the casebook)
    recomputes those rows' sections only and compares them with the same sections of the
    stored content, read from the database as they are (jsonb keys), never the whole content.
    A kind signed per row (an adverse event's causality) is looked at for the changed rows
    only. So a save costs the same number of queries however many forms or signatures there
    are. The write session calls it once, at its end; the investigators are e-mailed on commit.
    """
    rows = None if rows is None else list(rows)
    kinds = {
        kind: signable
        for kind, signable in signatures.REGISTRY.items()
        if rows is None or any(signable.covers(row) for row in rows)
    }
    if not kinds:
        return []
    covered = {kind: [r for r in rows if kinds[kind].covers(r)] for kind in kinds} if rows else {}
    section_keys = sorted(
        {
            signatures.form_key(row)
            for kind, signable in kinds.items()
            if signable.sections is not None
            for row in covered.get(kind, [])
        }
    )
    current = selectors.unbroken_current_signatures(participant, list(kinds), section_keys)
    if not current:
        return []
    breaks = []
    now = timezone.now()
    changed_rows = {row.pk: row for row in rows or ()}
    for signature in current:
        signable = kinds[signature.kind]
        if signable.per_row:
            assert signature.row_id is not None  # a kind signed per row always names its row
            row = changed_rows.get(signature.row_id)
            if row is None and rows is not None:
                continue  # a change of another row of this kind
            row = row or FormStatus.objects.get(pk=signature.row_id)
            content = signatures.normalise(signable.payload_of(participant, row))
            changes = _whole_changes(signature, content)
        elif rows is not None and signable.sections is not None:
            changes = _section_changes(signature, signable, participant, covered[signature.kind])
        else:
            content = signatures.normalise(signable.payload_of(participant, None))
            changes = _whole_changes(signature, content)
        if changes:
            listed = signatures.normalise(_as_lists(changes))
            breaks.append(
                SignatureBreak.objects.create(
                    signature=signature,
                    at=now,
                    changes=listed,
                    mac=signatures.seal_break(signature.pk, signature.mac, now, listed),
                )
            )
    if breaks:
        ids = [b.pk for b in breaks]
        transaction.on_commit(lambda: notify_signature_breaks(ids))
    return breaks


def _whole_changes(signature: Signature, content: dict[str, Any]) -> dict[str, tuple]:
    if signatures.digest(content) == signature.content_hash:
        return {}
    # Only now is the stored content read: to name what changed.
    stored = Signature.objects.values_list("content", flat=True).get(pk=signature.pk)
    return signatures.diff(stored, content) or {
        "content_hash": (signature.content_hash, signatures.digest(content))
    }


def _section_changes(
    signature: Signature,
    signable: signatures.Signable,
    participant: Participant,
    rows: list[FormStatus],
) -> dict[str, tuple]:
    assert signable.sections is not None
    stored_sections = getattr(signature, "stored_sections", {})
    changes: dict[str, tuple] = {}
    for key, new in signable.sections(participant, rows).items():
        old = stored_sections.get(key)
        if old == new:
            continue
        changes.update(signatures.diff({key: old}, {key: new}) or {key: (old, new)})
    return changes


def _as_lists(changes: dict[str, tuple]) -> dict[str, list]:
    return {key: [old, new] for key, (old, new) in changes.items()}


def notify_signature_breaks(break_ids: list[int]) -> int:
    """E-mail the investigators of the participant's site about broken signatures (after
    commit), each in their language (one message per language). Returns how many messages
    were sent; a mail failure is logged, never raised into the page that saved."""
    sent = 0
    found = SignatureBreak.objects.filter(pk__in=break_ids).select_related(
        "signature__participant__site"
    )
    for brk in found:
        signature = brk.signature
        participant = signature.participant
        people = dict(
            get_user_model()
            .objects.filter(
                is_active=True,
                groups__name=roles.INVESTIGATOR,
                memberships__site_id=participant.site_id,
            )
            .exclude(email="")
            .values_list("pk", "email")
            .distinct()
        )
        if not people:
            continue
        by_language: dict[str, list[str]] = {}
        for pk, language in sorted(languages.languages_of(people).items()):
            by_language.setdefault(language, []).append(people[pk])
        changes = "\n".join(
            f"  {key}: {old if old is not None else '-'} -> {new if new is not None else '-'}"
            for key, (old, new) in sorted(brk.changes.items())
        )
        for language, recipients in sorted(by_language.items()):
            with translation.override(language):
                signable = signatures.get(signature.kind)
                label = (
                    str(signable.label)
                    if signable is not None and signable.label
                    else signature.kind
                )
                subject = _("Signature broken: %(what)s of %(code)s") % {
                    "what": label,
                    "code": participant.code,
                }
                body = _(
                    "The %(what)s signed by %(signer)s for participant %(code)s (site %(site)s) "
                    "is broken: the signed data changed.\n\n%(changes)s\n\nIt must be signed "
                    "again: %(url)s"
                ) % {
                    "what": label,
                    "signer": signature.signer_name,
                    "code": participant.code,
                    "site": participant.site.code,
                    "changes": changes,
                    "url": reverse("participant_detail", args=[participant.code]),
                }
                try:
                    sent += mail.send_mail(subject, body, None, sorted(recipients))
                except Exception:  # noqa: BLE001 - the save is committed; the page must not fail
                    log.exception("Could not e-mail the signature break")
    return sent
