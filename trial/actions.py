"""Every write of the trial app. Views and commands call these; nothing else writes.

Each action: one transaction, the audit context (user, reason) set, the optimistic-version
check, status updates, then side effects on commit.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
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
    Signature,
    Site,
)


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
) -> Any:
    """Save a CRF's cleaned data (`CrfForm.crf_data()`) against its form-status row: the one
    door through which CRF data is written.

    The first save needs no reason; any later change does. A save based on a version other
    than the current one is refused: someone else saved in between, and nothing is overwritten.
    Item groups are saved with the form, in the same transaction and audit context; derived
    values are computed from the values as stored.
    """
    _require(user, roles.ENTER_DATA, _("enter data"))
    spec = _spec(row.form)
    with transaction.atomic():
        row = FormStatus.objects.select_for_update().select_related("participant").get(pk=row.pk)
        participant = row.participant
        require_reach(user, participant)
        _check_writable(row, participant)
        if row.version != expected_version:
            raise StaleVersion(
                _(
                    "Someone else saved this form while you were editing it. Your entries are "
                    "still on the page; review the saved version and save again."
                )
            )
        if row.version > 0 and not reason:
            raise ReasonRequired(_("Give a reason for changing data that was already saved."))
        with audit_context(user, reason=reason, command="save_crf"):
            return _write_crf(user, spec, row, participant, data, complete=complete)


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
    if spec.event_date_field:
        event_date = getattr(instance, spec.event_date_field)
        change_journey(user, participant, dates={row.event: event_date})
    if spec.after_save is not None:
        spec.after_save(user, row, instance)
    # Within the same transaction and context: a broken signature carries the user and
    # reason of the change that broke it.
    refresh_signatures(participant, [row])
    return instance


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
    signer's password.

    A wrong password raises WrongPassword, is logged and counts towards the lockout shared
    with logins (5 consecutive failures lock the account for 15 minutes). Call it outside
    any enclosing transaction, as views do: a rollback of an enclosing transaction would
    also erase the record of the failed attempt.
    """
    signable = signatures.get(kind)
    if signable is None:
        raise ActionRefused(_("Nothing of this kind can be signed."))
    if not roles.has_any(user, set(signable.roles)):
        raise ActionRefused(_("Your role does not allow you to sign this."))
    require_reach(user, participant)
    if row is not None and row.participant_id != participant.pk:
        raise ActionRefused(_("This form belongs to another participant."))
    username = user.get_username()
    until = selectors.locked_until(username)
    if until is not None:
        raise AccountLocked(locked_message(until))
    if not password or not user.check_password(password):
        until = record_failure(AuthEventKind.SIGNATURE_FAILED, username, user=user)
        if until is not None:
            raise WrongPassword(_("Wrong password. %(locked)s") % {"locked": locked_message(until)})
        raise WrongPassword(_("Wrong password: the signature was not recorded."))
    meaning = str(meaning).strip()
    if not meaning:
        raise ActionRefused(_("A signature needs its meaning."))
    with transaction.atomic(), audit_context(user, command="sign", kind=kind):
        # The participant's row lock orders this signature with concurrent saves: a save
        # either happens before (and is signed) or after (and breaks the signature).
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        content = signatures.normalise(signable.payload(participant))
        now = timezone.now()
        signature = Signature.objects.create(
            participant=participant,
            row=row,
            kind=kind,
            meaning=meaning,
            signer=user,
            signer_name=user.get_full_name() or username,
            signed_at=now,
            content=content,
            content_hash=signatures.digest(content),
        )
        for previous in Signature.objects.filter(
            participant=participant, kind=kind, broken_at__isnull=True
        ).exclude(pk=signature.pk):
            previous.broken_at = now
            previous.broken_changes = _as_lists(signatures.diff(previous.content, content))
            previous.superseded_by = signature
            previous.save(update_fields=["broken_at", "broken_changes", "superseded_by"])
        log_auth_event(AuthEventKind.SIGNED, username, user=user, detail=kind)
    return signature


def refresh_signatures(
    participant: Participant, rows: list[FormStatus] | None = None
) -> list[Signature]:
    """Recompute what each valid signature of the participant signed; mark broken those
    whose data changed since, with the changes. Returns the signatures broken now.

    Runs inside the caller's transaction (save_crf, delete_crf), so the break is recorded
    with the change that caused it, or not at all.
    """
    broken = []
    valid = list(Signature.objects.filter(participant=participant, broken_at__isnull=True))
    if not valid:
        return broken
    now = timezone.now()
    payloads: dict[str, dict] = {}
    for signature in valid:
        signable = signatures.get(signature.kind)
        if signable is None:
            continue
        if signature.kind not in payloads:
            payloads[signature.kind] = signatures.normalise(signable.payload(participant))
        content = payloads[signature.kind]
        if signatures.digest(content) == signature.content_hash:
            continue
        signature.broken_at = now
        signature.broken_changes = _as_lists(signatures.diff(signature.content, content))
        signature.save(update_fields=["broken_at", "broken_changes"])
        broken.append(signature)
    return broken


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


def locked_message(until: datetime) -> str:
    return _(
        "This account is locked after %(count)s failed attempts. Try again after %(time)s, "
        "or ask an administrator."
    ) % {"count": selectors.MAX_FAILURES, "time": timezone.localtime(until).strftime("%H:%M")}


# --- Demo data (seed_demo): the same rules, in bulk --------------------------------------

DEMO_STAFF = (
    # username, first name, last name, role, site
    ("nurse", "Claire", "Dubois", roles.NURSE, "BDX"),
    ("investigator", "Marc", "Laurent", roles.INVESTIGATOR, "BDX"),
    ("monitor", "Sophie", "Martin", roles.MONITOR, "BDX"),
    ("datamanager", "Julien", "Moreau", roles.DATA_MANAGER, "BDX"),
    ("admin", "Anne", "Petit", roles.ADMINISTRATOR, "BDX"),
    ("nurse2", "Lucie", "Bernard", roles.NURSE, "TLS"),
)
DEMO_SITES = (("BDX", "CHU de Bordeaux"), ("TLS", "CHU de Toulouse"))


def demo_sites() -> list[Site]:
    with audit_context(command="seed_demo"):
        return [
            Site.objects.get_or_create(code=code, defaults={"name": name})[0]
            for code, name in DEMO_SITES
        ]


def create_demo_staff(password: str) -> dict[str, Any]:
    """The demo users, one per role (idempotent; an existing user keeps its password)."""
    from django.contrib.auth.models import Group, User

    from trial.models import Membership

    sites = {site.code: site for site in demo_sites()}
    users = {}
    with transaction.atomic(), audit_context(command="seed_demo"):
        for username, first, last, role, site_code in DEMO_STAFF:
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
