"""Every write of the trial app. Views and commands call these; nothing else writes.

Each action: one transaction, the audit context (user, reason) set, the optimistic-version
check, status updates, then side effects on commit.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from trial import crf as crf_registry
from trial import roles, schedule, selectors, signatures
from trial.audit import audit_context
from trial.models import (
    AuthEvent,
    AuthEventKind,
    FormState,
    FormStatus,
    Participant,
    Query,
    QueryMessage,
    QueryMessageKind,
    QueryState,
    SdvMark,
    Signature,
    SignatureBreak,
    Site,
)

QUERY_REASON = "data clarified by query"


class ActionRefused(Exception):
    """A write that the rules forbid; the message is shown to the user as it is."""


class StaleVersion(ActionRefused):
    pass


class ReasonRequired(ActionRefused):
    pass


class Locked(ActionRefused):
    pass


class WrongPassword(ActionRefused):
    """The password re-entered to sign is wrong; the attempt is logged and counts towards
    the account lockout shared with logins."""


class AccountLocked(ActionRefused):
    pass


def _require(user: Any, allowed: set[str], what: str) -> None:
    if not roles.has_any(user, allowed):
        raise ActionRefused(_("Your role does not allow you to %(what)s.") % {"what": what})


def register_participant(user: Any, site: Site, screening_date: date) -> Participant:
    _require(user, roles.ENTER_DATA, _("register participants"))
    if not selectors.visible_sites(user).filter(pk=site.pk).exists():
        raise ActionRefused(_("This site is not one of yours."))
    for _attempt in range(3):
        try:
            with transaction.atomic(), audit_context(user, command="register_participant"):
                # Lock the site row so two nurses registering at once get distinct numbers.
                Site.objects.select_for_update().get(pk=site.pk)
                last = site.participants.aggregate(m=Max("sequence"))["m"] or 0
                participant = Participant.objects.create(
                    site=site,
                    sequence=last + 1,
                    code=f"{site.code}-{last + 1:03d}",
                    screening_date=screening_date,
                    event_dates={"SCR": screening_date.isoformat()},
                    created_by=user,
                )
                ensure_expected_forms(participant)
                return participant
        except IntegrityError:
            continue
    raise ActionRefused(_("Could not allocate a participant number; try again."))


def ensure_expected_forms(participant: Participant) -> int:
    """Create the missing form-status rows of every event that now applies (idempotent)."""
    have = set(participant.forms.filter(repeat=1).values_list("event", "form"))
    wanted = [
        FormStatus(participant=participant, event=event.code, form=form, repeat=1)
        for event in schedule.applicable_events(
            participant.status, participant.gate_decision, participant.dates
        )
        for form in event.forms
        if (event.code, form) not in have
    ]
    # ignore_conflicts: a concurrent save may have created the same slot meanwhile.
    FormStatus.objects.bulk_create(wanted, ignore_conflicts=True)
    return len(wanted)


def _check_writable(row: FormStatus, participant: Participant) -> None:
    if participant.locked_at is not None:
        raise Locked(_("This casebook is locked; a data manager must unlock it first."))
    if row.locked_at is not None:
        raise Locked(_("This form is locked; a data manager must unlock it first."))
    if row.status == FormState.DELETED:
        raise ActionRefused(_("This entry was deleted; it can no longer be changed."))


def save_crf(
    user: Any,
    row: FormStatus,
    data: dict[str, Any],
    *,
    expected_version: int,
    reason: str = "",
    complete: bool = True,
    query: Query | None = None,
) -> Any:
    """Save a CRF's cleaned data (`CrfForm.crf_data()`) against its form-status row: the one
    door through which CRF data is written.

    The first save needs no reason; any later change does. A save based on a version other
    than the current one is refused: someone else saved in between, and nothing is overwritten.
    Item groups are saved with the form, in the same transaction and audit context; derived
    values are computed from the values as stored. A save made to answer a query (`query`)
    records the correction on it, with "data clarified by query" as the reason.
    """
    _require(user, roles.ENTER_DATA, _("enter data"))
    spec = _spec(row.form)
    with transaction.atomic():
        row = _lock_row_in_reach(user, row)
        participant = row.participant
        _check_writable(row, participant)
        if row.version != expected_version:
            raise StaleVersion(
                _(
                    "Someone else saved this form while you were editing it. Your entries are "
                    "still on the page; review the saved version and save again."
                )
            )
        if query is not None:
            # The reason names the query, so the trail links the change to it.
            reason = f"{QUERY_REASON} #{query.pk}"
        if row.version > 0 and not reason:
            raise ReasonRequired(_("Give a reason for changing data that was already saved."))
        with audit_context(user, reason=reason, command="save_crf"):
            instance = _write_crf(user, spec, row, participant, data, complete=complete)
            if query is not None:
                _record_correction(user, query, row, reason)
            return instance


def _lock_row_in_reach(user: Any, row: FormStatus) -> FormStatus:
    """The row locked for the save, with its participant, if this user reaches it (one
    query); otherwise the same refusal (or DoesNotExist) as locking then require_reach."""
    locked = (
        FormStatus.objects.select_for_update()
        .select_related("participant")
        .filter(pk=row.pk, participant__site__in=selectors.visible_sites(user))
        .first()
    )
    if locked is None:
        locked = FormStatus.objects.select_for_update().select_related("participant").get(pk=row.pk)
        require_reach(user, locked.participant)
    return locked


def add_repeat(
    user: Any,
    participant: Participant,
    form: str,
    data: dict[str, Any],
    *,
    complete: bool = True,
) -> FormStatus:
    """Record a new entry of a repeating log form (adverse event, concomitant medication):
    the slot and its data together, so an abandoned "+ Add" leaves nothing behind."""
    _require(user, roles.ENTER_DATA, _("enter data"))
    if form not in schedule.LOG_FORMS:
        raise ActionRefused(_("This form does not repeat."))
    spec = _spec(form)
    with transaction.atomic():
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        require_reach(user, locked)
        if locked.locked_at is not None:
            raise Locked(_("This casebook is locked; a data manager must unlock it first."))
        with audit_context(user, command="add_repeat"):
            row = FormStatus.objects.create(
                participant=locked,
                event=schedule.LOG_EVENT,
                form=form,
                repeat=next_repeat(locked, form).repeat,
            )
            _write_crf(user, spec, row, locked, data, complete=complete)
    return row


def next_repeat(participant: Participant, form: str) -> FormStatus:
    """An unsaved slot for the next entry of a log form: what the "new entry" page shows."""
    entries = participant.forms.filter(event=schedule.LOG_EVENT, form=form)
    last = entries.aggregate(m=Max("repeat"))["m"] or 0
    return FormStatus(participant=participant, event=schedule.LOG_EVENT, form=form, repeat=last + 1)


def _spec(form: str) -> crf_registry.Crf:
    spec = crf_registry.get(form)
    if spec is None:
        raise ActionRefused(_("This form is not available yet."))
    return spec


def _write_crf(
    user: Any,
    spec: crf_registry.Crf,
    row: FormStatus,
    participant: Participant,
    data: dict[str, Any],
    *,
    complete: bool,
) -> Any:
    """The data, the item groups, the status, the journey, then the signatures: inside the
    caller's transaction and audit context."""
    values = crf_registry.derive(spec, {**data, crf_registry.COMPLETE: complete})
    instance = spec.model.objects.filter(form_status=row).first()
    names = [f.name for f in spec.item_fields if f.name in values]
    if instance is None:
        instance = spec.model(form_status=row, **{name: values[name] for name in names})
        instance.save()
    else:
        changed = [name for name in names if getattr(instance, name) != values[name]]
        for name in changed:
            setattr(instance, name, values[name])
        if changed:
            instance.save(update_fields=changed)
    for group in spec.groups:
        if group.name in data:
            _write_group(group, instance, data[group.name])
    mark_saved(user, row, complete=complete)
    if spec.event_date_field:
        event_date = getattr(instance, spec.event_date_field)
        change_journey(user, participant, dates={row.event: event_date})
    if spec.after_save is not None:
        spec.after_save(user, row, instance)
    # Within the same transaction and context: a broken signature carries the user and
    # reason of the change that broke it.
    refresh_signatures(participant, [row])
    return instance


def lock_decision_slot(
    participant: Participant, event: str, form: str, *, missing: str
) -> tuple[Participant, FormStatus]:
    """The participant and a decision's form slot (eligibility sign-off, gate), locked for
    the signing transaction; refused when the slot does not exist (`missing` says why) or
    the casebook or form is locked."""
    participant = (
        Participant.objects.select_for_update().select_related("site").get(pk=participant.pk)
    )
    row = (
        FormStatus.objects.select_for_update()
        .filter(participant=participant, event=event, form=form, repeat=1)
        .first()
    )
    if row is None:
        raise ActionRefused(missing)
    if participant.locked_at is not None or row.locked_at is not None:
        raise Locked(_("This casebook is locked; a data manager must unlock it."))
    return participant, row


def mark_saved(user: Any, row: FormStatus, *, complete: bool = True) -> FormStatus:
    """A save of the row's data: the version moves on, the status says complete or in
    progress, who and when are kept. Inside the caller's transaction and audit context."""
    now = timezone.now()
    row.version += 1
    row.status = FormState.COMPLETE if complete else FormState.IN_PROGRESS
    row.updated_at, row.updated_by = now, user
    if row.first_saved_at is None:
        row.first_saved_at, row.first_saved_by = now, user
    row.save(
        update_fields=[
            "version",
            "status",
            "updated_at",
            "updated_by",
            "first_saved_at",
            "first_saved_by",
        ]
    )
    return row


def _write_group(group: crf_registry.ItemGroup, parent: Any, rows: list[dict[str, Any]]) -> None:
    """Make the group's stored rows those given, matched by repeat key (1, 2, ... in order
    when the rows carry none): added, changed or removed, each recorded by the triggers."""
    if group.max_rows is not None and len(rows) > group.max_rows:
        raise ActionRefused(
            _("At most %(max)s rows can be entered in %(group)s.")
            % {"max": group.max_rows, "group": group.label or group.name}
        )
    fields = {f.name: f for f in group.item_fields}
    existing = {
        getattr(child, group.repeat_key): child
        for child in group.model.objects.filter(**{group.parent_field: parent})
    }
    wanted: dict[int, dict[str, Any]] = {}
    for index, values in enumerate(rows, start=1):
        key = values.get(group.repeat_key) or index
        wanted[key] = {
            name: crf_registry.as_stored(fields[name], values.get(name)) for name in fields
        }
    for key in sorted(existing.keys() - wanted.keys()):
        existing[key].delete()
    for key, values in wanted.items():
        child = existing.get(key)
        if child is None:
            keys = {group.parent_field: parent, group.repeat_key: key}
            group.model.objects.create(**keys, **values)
            continue
        changed = [name for name, value in values.items() if getattr(child, name) != value]
        for name in changed:
            setattr(child, name, values[name])
        if changed:
            child.save(update_fields=changed)


UNCHANGED: Any = object()


def change_journey(
    user: Any,
    participant: Participant,
    *,
    dates: dict[str, date | None] | None = None,
    status: str | None = None,
    enrolment_date: Any = UNCHANGED,
    gate_decision: str | None = None,
) -> Participant:
    """The one writer of a participant's journey: event dates, status, enrolment date and
    gate decision. Apps' actions call it inside their own transaction; the events that now
    apply get their form slots."""
    changed: list[str] = []
    if dates:
        merged = dict(participant.event_dates)
        for event, value in dates.items():
            if value is None:
                merged.pop(event, None)
            else:
                merged[event] = value.isoformat()
        if merged != participant.event_dates:
            participant.event_dates = merged
            changed.append("event_dates")
    if status is not None and status != participant.status:
        participant.status = status
        changed.append("status")
    if enrolment_date is not UNCHANGED and enrolment_date != participant.enrolment_date:
        participant.enrolment_date = enrolment_date
        changed.append("enrolment_date")
    if gate_decision is not None and gate_decision != participant.gate_decision:
        participant.gate_decision = gate_decision
        changed.append("gate_decision")
    if changed:
        with audit_context(user, command="change_journey"):
            participant.save(update_fields=changed)
            ensure_expected_forms(participant)
    return participant


def _require_reason(reason: str) -> None:
    if not reason or not reason.strip():
        raise ReasonRequired(_("Give a reason."))


def require_reach(user: Any, participant: Participant) -> None:
    # Same scoping as the pages: a participant of another site is out of reach.
    if not selectors.participants_for(user).filter(pk=participant.pk).exists():
        raise ActionRefused(_("This participant is not in your sites."))


def delete_crf(
    user: Any, row: FormStatus, *, reason: str, expected_version: int | None = None
) -> FormStatus:
    """Delete an entry of a repeating log (adverse event, medication) with a reason.

    A status change, never a physical delete: the data and its history stay, marked deleted.
    """
    _require(user, roles.ENTER_DATA, _("enter data"))
    _require_reason(reason)
    if row.form not in schedule.LOG_FORMS:
        raise ActionRefused(_("Only an entry of a repeating log can be deleted."))
    with transaction.atomic():
        row = FormStatus.objects.select_for_update().select_related("participant").get(pk=row.pk)
        participant = row.participant
        require_reach(user, participant)
        _check_writable(row, participant)
        if expected_version is not None and row.version != expected_version:
            raise StaleVersion(
                _("Someone else saved this entry meanwhile; review it before deleting it.")
            )
        with audit_context(user, reason=reason, command="delete_crf"):
            row.status = FormState.DELETED
            row.version += 1
            row.updated_at, row.updated_by = timezone.now(), user
            row.save(update_fields=["status", "version", "updated_at", "updated_by"])
            refresh_signatures(participant, [row])
    return row


# --- Locks: what a data manager does before a database freeze ----------------------------


def lock_form(user: Any, row: FormStatus, *, reason: str) -> FormStatus:
    return _set_form_lock(user, row, reason=reason, lock=True)


def unlock_form(user: Any, row: FormStatus, *, reason: str) -> FormStatus:
    return _set_form_lock(user, row, reason=reason, lock=False)


def _set_form_lock(user: Any, row: FormStatus, *, reason: str, lock: bool) -> FormStatus:
    _require(user, roles.LOCK, _("lock or unlock data"))
    _require_reason(reason)
    require_reach(user, row.participant)
    command = "lock_form" if lock else "unlock_form"
    with transaction.atomic(), audit_context(user, reason=reason, command=command):
        row = FormStatus.objects.select_for_update().get(pk=row.pk)
        if row.is_locked == lock:
            return row
        row.locked_at, row.locked_by = (timezone.now(), user) if lock else (None, None)
        row.save(update_fields=["locked_at", "locked_by"])
    return row


def lock_event(user: Any, participant: Participant, event: str, *, reason: str) -> int:
    """Lock every form of one event of the participant; returns how many were locked."""
    return _set_event_lock(user, participant, event, reason=reason, lock=True)


def unlock_event(user: Any, participant: Participant, event: str, *, reason: str) -> int:
    return _set_event_lock(user, participant, event, reason=reason, lock=False)


def _set_event_lock(
    user: Any, participant: Participant, event: str, *, reason: str, lock: bool
) -> int:
    _require(user, roles.LOCK, _("lock or unlock data"))
    _require_reason(reason)
    require_reach(user, participant)
    command = "lock_event" if lock else "unlock_event"
    with transaction.atomic(), audit_context(user, reason=reason, command=command):
        rows = participant.forms.filter(event=event, locked_at__isnull=lock)
        if not participant.forms.filter(event=event).exists():
            raise ActionRefused(_("This participant has no such event."))
        # A bulk update: the triggers still record one event per row, with this context.
        if lock:
            return rows.update(locked_at=timezone.now(), locked_by=user)
        return rows.update(locked_at=None, locked_by=None)


def lock_casebook(user: Any, participant: Participant, *, reason: str) -> Participant:
    return _set_casebook_lock(user, participant, reason=reason, lock=True)


def unlock_casebook(user: Any, participant: Participant, *, reason: str) -> Participant:
    return _set_casebook_lock(user, participant, reason=reason, lock=False)


def _set_casebook_lock(
    user: Any, participant: Participant, *, reason: str, lock: bool
) -> Participant:
    _require(user, roles.LOCK, _("lock or unlock data"))
    _require_reason(reason)
    require_reach(user, participant)
    command = "lock_casebook" if lock else "unlock_casebook"
    with transaction.atomic(), audit_context(user, reason=reason, command=command):
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        if (participant.locked_at is not None) == lock:
            return participant
        participant.locked_at, participant.locked_by = (
            (timezone.now(), user) if lock else (None, None)
        )
        participant.save(update_fields=["locked_at", "locked_by"])
    return participant


# --- Electronic signatures (21 CFR 11.50, 11.70, 11.200) ---------------------------------


@dataclass(frozen=True)
class SignerVerified:
    """Proof that the signer has just re-entered their password (verify_signer)."""

    user_id: int
    at: datetime


# How long a password check stands for the signature that follows it, within one action.
SIGNER_CHECK_VALID = timedelta(minutes=2)


def signable_for(
    user: Any, participant: Participant, kind: str, row: FormStatus | None = None
) -> signatures.Signable:
    """The registered kind, if this user may sign it for this participant (and row)."""
    signable = signatures.get(kind)
    if signable is None:
        raise ActionRefused(_("Nothing of this kind can be signed."))
    if not roles.has_any(user, set(signable.roles)):
        raise ActionRefused(_("Your role does not allow you to sign this."))
    require_reach(user, participant)
    if row is not None and row.participant_id != participant.pk:
        raise ActionRefused(_("This form belongs to another participant."))
    return signable


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
    if not password or not user.check_password(password):
        until = record_failure_durably(AuthEventKind.SIGNATURE_FAILED, username, user=user)
        if until is not None:
            raise WrongPassword(_("Wrong password. %(locked)s") % {"locked": locked_message(until)})
        raise WrongPassword(_("Wrong password: the signature was not recorded."))
    return SignerVerified(user.pk, timezone.now())


def sign(
    user: Any,
    password: str,
    participant: Participant,
    *,
    kind: str,
    meaning: str,
    row: FormStatus | None = None,
) -> Signature:
    """Sign what the registered `kind` computes for the participant, after re-checking the
    signer's password (verify_signer) and before anything else is written."""
    signable_for(user, participant, kind, row)
    verified = verify_signer(user, password)
    return record_signature(user, verified, participant, kind=kind, meaning=meaning, row=row)


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
    and the seal. May run inside the caller's transaction (eligibility's sign-off), which then
    keeps the decision and its signature together.

    Append-only: an earlier signature of the kind is superseded by this one (derived from the
    dates), never updated.
    """
    signable = signable_for(user, participant, kind, row)
    if verified.user_id != user.pk or timezone.now() - verified.at > SIGNER_CHECK_VALID:
        raise ActionRefused(_("Enter your password again to sign."))
    meaning = str(meaning).strip()
    if not meaning:
        raise ActionRefused(_("A signature needs its meaning."))
    with transaction.atomic(), audit_context(user, command="sign", kind=kind):
        # The participant's row lock orders this signature with concurrent saves: a save
        # either happens before (and is signed) or after (and breaks the signature).
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        _check_required(signable, participant)
        content = signatures.normalise(signable.payload(participant))
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
        signature.save(force_insert=True)
        log_auth_event(AuthEventKind.SIGNED, user.get_username(), user=user, detail=kind)
    return signature


def _check_required(signable: signatures.Signable, participant: Participant) -> None:
    """A decision that depends on another signed one waits for that one to stand."""
    for required in signable.requires:
        current = selectors.current_signature(participant, required)
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


def refresh_signatures(
    participant: Participant, rows: Iterable[FormStatus] | None = None
) -> list[SignatureBreak]:
    """Record a break for each current, unbroken signature of the participant whose signed
    data changed. `rows` are the form-status rows the caller's action changed (None: anything
    may have changed). Returns the breaks recorded now.

    Only kinds covering a changed row are looked at; a kind keyed per form (the casebook)
    recomputes those rows' sections only and compares them with the same sections of the
    stored content, read from the database as they are (jsonb keys), never the whole content.
    So a save costs the same number of queries however many forms or signatures there are.

    Runs inside the caller's transaction (save_crf, delete_crf), so the break is recorded
    with the change that caused it (its user and reason), or not at all. The site's
    investigators are told by e-mail once it commits.
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
    for signature in current:
        signable = kinds[signature.kind]
        if rows is not None and signable.sections is not None:
            changes = _section_changes(signature, signable, participant, covered[signature.kind])
        else:
            content = signatures.normalise(signable.payload(participant))
            if signatures.digest(content) == signature.content_hash:
                continue
            # Only now is the stored content read: to name what changed.
            stored = Signature.objects.values_list("content", flat=True).get(pk=signature.pk)
            changes = signatures.diff(stored, content) or {
                "content_hash": (signature.content_hash, signatures.digest(content))
            }
        if changes:
            breaks.append(
                SignatureBreak.objects.create(
                    signature=signature, at=now, changes=_as_lists(changes)
                )
            )
    if breaks:
        ids = [b.pk for b in breaks]
        transaction.on_commit(lambda: notify_signature_breaks(ids))
    return breaks


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


def notify_signature_breaks(break_ids: list[int]) -> int:
    """E-mail the investigators of the participant's site about broken signatures (after
    commit), each in their language (one message per language). Returns how many messages
    were sent; a mail failure is logged, never raised into the page that saved."""
    import logging

    from django.contrib.auth import get_user_model
    from django.core.mail import send_mail
    from django.urls import reverse

    from trial import languages

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
                    sent += send_mail(subject, body, None, sorted(recipients))
                except Exception:  # noqa: BLE001 - the save is committed; the page must not fail
                    logging.getLogger(__name__).exception("Could not e-mail the signature break")
    return sent


def _as_lists(changes: dict[str, tuple]) -> dict[str, list]:
    return {key: [old, new] for key, (old, new) in changes.items()}


# --- Logins, failures and the account lockout ---------------------------------------------


def log_auth_event(
    kind: str,
    username: str,
    *,
    user: Any = None,
    request: Any = None,
    detail: str = "",
    actor: Any = None,
) -> AuthEvent:
    """Append a login, logout, failed attempt or lock to the authentication log."""
    from trial.middleware import client_address

    return AuthEvent.objects.create(
        kind=kind,
        username=(username or "")[:150],
        user=user if getattr(user, "pk", None) else None,
        client_address=client_address(request)[:45] if request is not None else "",
        url=(request.path if request is not None else "")[:200],
        detail=detail[:200],
        actor=actor if getattr(actor, "pk", None) else None,
    )


def lift_lock(actor: Any, username: str, *, reason: str, request: Any = None) -> AuthEvent | None:
    """An administrator ends an account's lock before its 15 minutes are over.

    Appends an UNLOCKED event (who lifted it, why, from where), which also starts the count of
    failures again. Returns None when the account is not locked (nothing to lift).
    """
    from django.contrib.auth import get_user_model

    _require(actor, roles.MANAGE_ACCOUNTS, _("lift account locks"))
    _require_reason(reason)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"edc-auth:{username}"])
        if selectors.locked_until(username) is None:
            return None
        user = get_user_model().objects.filter(username=username).first()
        return log_auth_event(
            AuthEventKind.UNLOCKED,
            username,
            user=user,
            request=request,
            detail=reason.strip(),
            actor=actor,
        )


def record_failure(
    kind: str, username: str, *, user: Any = None, request: Any = None
) -> datetime | None:
    """Log a failed login or signature; lock the account at the fifth consecutive failure.

    Returns the end of the lock when the account is (now) locked, else None.
    """
    from django.contrib.auth import get_user_model

    with transaction.atomic():
        # One lockout decision at a time per username, even under parallel attempts.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"edc-auth:{username}"])
        if user is None:
            user = get_user_model().objects.filter(username=username).first()
        log_auth_event(kind, username, user=user, request=request)
        if selectors.consecutive_failures(username) >= selectors.MAX_FAILURES:
            log_auth_event(AuthEventKind.LOCKED, username, user=user, request=request)
    return selectors.locked_until(username)


def _in_caller_transaction() -> bool:
    """Inside a transaction of the caller (not the test case's own wrapper), whose rollback
    would take a record written now with it."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def record_failure_durably(
    kind: str, username: str, *, user: Any = None, request: Any = None
) -> datetime | None:
    """record_failure, committed even when the caller's transaction later rolls back.

    Outside a transaction it is record_failure. Inside one, the record is written by another
    thread, hence on another database connection, which commits on its own: a rollback of the
    caller cannot erase a failed attempt, so guessing passwords always counts.
    """
    if not _in_caller_transaction():
        return record_failure(kind, username, user=user, request=request)
    outcome: dict[str, Any] = {}

    def write() -> None:
        from django.db import connection as own
        from django.db import connections

        try:
            # Never wait forever on a lock the caller's transaction might hold: the caller
            # waits for this thread.
            with own.cursor() as cursor:
                cursor.execute("SET lock_timeout = '10s'")
            outcome["until"] = record_failure(kind, username, user=user, request=request)
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=write, name="edc-auth-failure")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["until"]


def locked_message(until: datetime) -> str:
    return _(
        "This account is locked after %(count)s failed attempts. Try again after %(time)s, "
        "or ask an administrator."
    ) % {"count": selectors.MAX_FAILURES, "time": timezone.localtime(until).strftime("%H:%M")}


# --- Demo data (seed_demo): the same rules, in bulk --------------------------------------

DEMO_STAFF = (
    # username, first name, last name, role, site, language chosen ("": the site's)
    ("nurse", "Claire", "Dubois", roles.NURSE, "BDX", ""),
    ("investigator", "Marc", "Laurent", roles.INVESTIGATOR, "BDX", ""),
    # The sponsor's monitor reads English, as monitors may: the choice is per person.
    ("monitor", "Sophie", "Martin", roles.MONITOR, "BDX", "en"),
    ("datamanager", "Julien", "Moreau", roles.DATA_MANAGER, "BDX", ""),
    ("admin", "Anne", "Petit", roles.ADMINISTRATOR, "BDX", ""),
    ("nurse2", "Lucie", "Bernard", roles.NURSE, "TLS", ""),
)
DEMO_SITES = (("BDX", "CHU de Bordeaux", "fr"), ("TLS", "CHU de Toulouse", "fr"))


def demo_sites() -> list[Site]:
    with audit_context(command="seed_demo"):
        return [
            Site.objects.get_or_create(code=code, defaults={"name": name, "language": language})[0]
            for code, name, language in DEMO_SITES
        ]


def create_demo_staff(password: str) -> dict[str, Any]:
    """The demo users, one per role (idempotent; an existing user keeps its password)."""
    from django.contrib.auth.models import Group, User

    from trial.models import Membership, UserPreference

    sites = {site.code: site for site in demo_sites()}
    users = {}
    with transaction.atomic(), audit_context(command="seed_demo"):
        for username, first, last, role, site_code, language in DEMO_STAFF:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.org",
                },
            )
            if created:
                user.set_password(password)
                user.is_staff = role == roles.ADMINISTRATOR
                user.save()
                user.groups.add(Group.objects.get(name=role))
                Membership.objects.get_or_create(user=user, site=sites[site_code])
                if language:
                    UserPreference.objects.update_or_create(
                        user=user, defaults={"language": language}
                    )
            users[username] = user
    return users


def import_demo_participant(user: Any, site: Site, journey: Any) -> Participant:
    """Register a participant and bring their form statuses to where the journey stands."""
    participant = register_participant(user, site, journey.screening_date)
    with transaction.atomic(), audit_context(user, command="seed_demo"):
        change_journey(
            user,
            participant,
            dates=dict(journey.dates),
            status=journey.status,
            enrolment_date=journey.enrolment_date,
            gate_decision=journey.gate_decision,
        )
        # Forms whose app has no data model yet stand as the journey says; forms with a model
        # are filled (and so marked complete) by that app's demo hook through save_crf.
        unregistered = [code for code in schedule.FORMS if crf_registry.get(code) is None]
        mark_complete_for_demo(
            user, participant.forms.filter(event__in=journey.done_events, form__in=unregistered)
        )
    return participant


def mark_complete_for_demo(user: Any, rows: Any) -> int:
    """Demo data only: form slots recorded as done without data (forms whose app holds no
    data model yet, decisions not signed for real); never used for entered data."""
    now = timezone.now()
    with audit_context(user, command="mark_complete_for_demo"):
        return rows.filter(status=FormState.NOT_STARTED).update(
            status=FormState.COMPLETE,
            version=1,
            updated_at=now,
            updated_by=user,
            first_saved_at=now,
            first_saved_by=user,
        )


# --- Queries (data clarification) -------------------------------------------------------------

QUERY_TEXT_MAX = 2000


def _query_text(text: str, *, required: bool = True) -> str:
    # Kept as typed (plain text: the pages escape it); only the outer blanks go.
    text = (text or "").strip()
    if required and not text:
        raise ActionRefused(_("Write the message."))
    if len(text) > QUERY_TEXT_MAX:
        raise ActionRefused(
            _("Keep the message under %(max)s characters.") % {"max": QUERY_TEXT_MAX}
        )
    return text


def _locked_query(user: Any, query: Query) -> Query:
    query = Query.objects.select_for_update().select_related("participant").get(pk=query.pk)
    require_reach(user, query.participant)
    return query


def open_query(user: Any, row: FormStatus, *, item: str, text: str) -> Query:
    """Raise a query on one item of a form (its address, see trial.queries.item_key), or on
    the whole form (item ""). The item's value now is kept, to show later changes."""
    from trial import queries

    _require(user, roles.RAISE_QUERIES, _("raise queries"))
    text = _query_text(text)
    with transaction.atomic(), audit_context(user, command="open_query"):
        row = FormStatus.objects.select_related("participant").get(pk=row.pk)
        require_reach(user, row.participant)
        values = queries.item_values(row)
        if item and item not in values:
            raise ActionRefused(_("This form has no such item."))
        query = Query.objects.create(
            participant=row.participant,
            row=row,
            item=item,
            value_when_raised=values.get(item) if item else None,
            opened_by=user,
        )
        QueryMessage.objects.create(
            query=query, kind=QueryMessageKind.RAISED, text=text, author=user
        )
    return query


def answer_query(user: Any, query: Query, *, text: str) -> Query:
    """The site's answer. Allowed on a locked form: the value itself can only change once a
    data manager unlocks it."""
    _require(user, roles.ENTER_DATA, _("answer queries"))
    text = _query_text(text)
    with transaction.atomic(), audit_context(user, command="answer_query"):
        query = _locked_query(user, query)
        if query.state == QueryState.CLOSED:
            raise ActionRefused(_("This query is closed."))
        QueryMessage.objects.create(
            query=query, kind=QueryMessageKind.ANSWERED, text=text, author=user
        )
        query.state = QueryState.ANSWERED
        query.save(update_fields=["state"])
    return query


def close_query(user: Any, query: Query, *, text: str = "") -> Query:
    _require(user, roles.RAISE_QUERIES, _("close queries"))
    text = _query_text(text, required=False)
    with transaction.atomic(), audit_context(user, command="close_query"):
        query = _locked_query(user, query)
        if query.state == QueryState.CLOSED:
            return query
        QueryMessage.objects.create(
            query=query, kind=QueryMessageKind.CLOSED, text=text, author=user
        )
        query.state, query.closed_at = QueryState.CLOSED, timezone.now()
        query.save(update_fields=["state", "closed_at"])
    return query


def reopen_query(user: Any, query: Query, *, text: str) -> Query:
    """Send an answered query back to the site, or re-open a closed one, saying why."""
    _require(user, roles.RAISE_QUERIES, _("send queries back"))
    text = _query_text(text)
    with transaction.atomic(), audit_context(user, command="reopen_query"):
        query = _locked_query(user, query)
        QueryMessage.objects.create(
            query=query, kind=QueryMessageKind.REOPENED, text=text, author=user
        )
        query.state, query.closed_at = QueryState.OPEN, None
        query.save(update_fields=["state", "closed_at"])
    return query


def _record_correction(user: Any, query: Query, row: FormStatus, reason: str) -> None:
    """A save that corrects the value a query is about answers the query."""
    query = Query.objects.select_for_update().get(pk=query.pk)
    if query.row_id != row.pk:
        raise ActionRefused(_("This query belongs to another form."))
    if query.state == QueryState.CLOSED:
        raise ActionRefused(_("This query is closed."))
    QueryMessage.objects.create(
        query=query, kind=QueryMessageKind.CORRECTED, text=reason, author=user
    )
    query.state = QueryState.ANSWERED
    query.save(update_fields=["state"])


# --- Source-data verification -------------------------------------------------------------


def verify_items(user: Any, row: FormStatus, items: list[str] | None = None) -> int:
    """Mark items of a form as verified against the source, as they stand now (all of the
    form's items when `items` is None). Returns how many marks were added: an item already
    verified at its current value gets none."""
    from trial import queries, sdv

    _require(user, roles.VERIFY_SOURCE, _("verify source data"))
    with transaction.atomic(), audit_context(user, command="verify_items"):
        row = FormStatus.objects.select_related("participant").get(pk=row.pk)
        require_reach(user, row.participant)
        values = queries.item_values(row)
        if items is None:
            # Derived values have no source document to verify them against.
            items = sdv.verifiable(row, values)
        unknown = [item for item in items if item not in values]
        if unknown:
            raise ActionRefused(_("This form has no such item: %(item)s.") % {"item": unknown[0]})
        states = sdv.item_states([row]).get(row.pk, {})
        marks = [
            SdvMark(row=row, item=item, value=values[item], verified_by=user)
            for item in items
            if states.get(item) != sdv.VERIFIED
        ]
        SdvMark.objects.bulk_create(marks)
    return len(marks)


def set_email_reminders(user: Any, enabled: bool) -> None:
    """A person's own choice: the daily reminder e-mail, or only the in-app To do list."""
    from trial.models import UserPreference

    with transaction.atomic(), audit_context(user, command="set_email_reminders"):
        pref, _created = UserPreference.objects.select_for_update().get_or_create(user=user)
        if pref.email_reminders != enabled:
            pref.email_reminders = enabled
            pref.save(update_fields=["email_reminders"])


def set_language(user: Any, language: str) -> None:
    """A person's own choice of language; blank means the language of their site."""
    from trial.languages import available
    from trial.models import UserPreference

    if language and language not in available():
        raise ActionRefused(_("This language is not available."))
    with transaction.atomic(), audit_context(user, command="set_language"):
        pref, _created = UserPreference.objects.select_for_update().get_or_create(user=user)
        if pref.language != language:
            pref.language = language
            pref.save(update_fields=["language"])


def request_pdf(
    user: Any,
    kind: str,
    *,
    participant: Participant | None = None,
    row: FormStatus | None = None,
) -> Any:
    """Record a PDF asked for and queue its rendering after commit. If Redis is down the
    job stays queued (the page says jobs are delayed; beat sends it again later)."""
    from trial import jobs, tasks
    from trial.models import PdfJob, PdfKind

    if kind != PdfKind.BLANK:
        _require(user, roles.READ_CLINICAL, _("print participant data"))
        require_reach(user, participant)
    with transaction.atomic():
        job = PdfJob.objects.create(kind=kind, participant=participant, row=row, requested_by=user)
        transaction.on_commit(lambda: jobs.enqueue(tasks.render_pdf, job.pk))
    return job


def retry_pdf(user: Any, job: Any) -> Any:
    """Ask again for a PDF that failed (or never left the queue)."""
    from trial import jobs, tasks
    from trial.models import PdfJobStatus

    with transaction.atomic():
        type(job).objects.filter(pk=job.pk).exclude(status=PdfJobStatus.DONE).update(
            status=PdfJobStatus.QUEUED, progress=0, error="", finished_at=None
        )
        transaction.on_commit(lambda: jobs.enqueue(tasks.render_pdf, job.pk))
    job.refresh_from_db()
    return job


# --- Audit-trail review ---------------------------------------------------------------------


def mark_reviewed(user: Any, entry_ids: Iterable[int], *, comment: str) -> int:
    """Mark audit entries reviewed, with one comment: one AuditReview each, audited like any
    write. Only entries the reviewer may see are marked; the count says how many."""
    from trial import review
    from trial.models import AuditReview

    _require(user, review.REVIEWERS, _("review the audit trail"))
    comment = " ".join(comment.split())
    if len(comment) > 500:
        raise ActionRefused(_("The comment is too long: 500 characters at most."))
    ids = {int(pk) for pk in entry_ids}
    if not ids:
        raise ActionRefused(_("Tick the entries you reviewed."))
    with transaction.atomic(), audit_context(user, reason=comment, command="mark_reviewed"):
        entries = list(
            review.entries_for(user, review.Filters())
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
        if len(entries) != len(ids):
            raise ActionRefused(_("No such audit entry."))
        AuditReview.objects.bulk_create(
            AuditReview(entry_id=pk, reviewer=user, comment=comment) for pk in entries
        )
    return len(entries)
