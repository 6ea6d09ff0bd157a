"""The write session: one object under every change of the trial's data.

    with write(user, participant, rows=[row], reason="transcription error",
               command="save_crf") as w:
        ...  # checks, then the data written, the status moved on through `w`

A session owns, for everything written in its block:

- the transaction (one `atomic` block);
- the row locks: an advisory lock first when asked (`serialize`, the gate's IAH slots), then
  the participant, then its form-status rows in primary-key order;
- the audit context (user, reason, command), through trial.audit;
- the form-status transitions (`saved`, `missed`, `deleted`): recorded on the rows, written
  once per row at the end (a row's version moves on once per session);
- the record of what was touched (`touched`: rows, forms, item groups, event dates, journey).

When the block ends without an error, it refreshes, once each and in this order:

1. the form statuses (one UPDATE per changed row);
2. the derived values: each registered `trial.registry.Refresh` whose inputs were touched;
3. the journey: the participant saved once, the slots of the events that now apply created;
4. the signatures: a break for each signature whose signed data changed, then the
   signatures asked for in the session (`at_end`) recorded;

then hands its notifications to `transaction.on_commit`. Domain hooks (a form's `on_save`, a
decision's `decide`, a refresh) return what they changed; only the session writes trial's
tables.

A session opened inside another one for the same participant (or for none) joins it: one
transaction, one audit context, one end. For another participant it is a session of its own,
nested in the outer transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NoReturn, TypeVar

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trial import crf, registry, selectors
from trial.actions import formstatus, statements
from trial.actions.errors import ActionRefused
from trial.actions.signature_breaks import refresh_signatures
from trial.audit import audit_context
from trial.changes import UNCHANGED, Effects, JourneyChange, Touched
from trial.models import FormState, FormStatus, Participant, Site
from trial.rowsql import Columns, build_row

T = TypeVar("T")

_current: ContextVar[WriteSession | None] = ContextVar("edc_write_session", default=None)
# Inside batch_transaction(): the sessions join the batch's transaction without a savepoint.
_batch: ContextVar[bool] = ContextVar("edc_write_batch", default=False)


@contextmanager
def batch_transaction() -> Iterator[None]:
    """One transaction for a batch of write sessions (seed_demo: one per participant).

    Each session in the block still has its own locks, audit context and end, but joins the
    batch's transaction without a savepoint of its own (two round trips fewer per session):
    any error rolls the whole batch back, so the block must not go on after a refusal.
    """
    with transaction.atomic():
        token = _batch.set(True)
        try:
            yield
        finally:
            _batch.reset(token)


class WriteSession:
    """The state of one write session; see the module's docstring. Made by `write()`."""

    def __init__(self, user: Any, participant: Participant | None, command: str) -> None:
        self.user = user
        self._participant = participant
        self.command = command
        self.touched = Touched()
        self.rows: dict[int, FormStatus] = {}
        self._pending: dict[int, formstatus.Transition] = {}
        self._journey_fields: set[str] = set()
        self._slots_due = False
        self._at_end: list[Callable[[], Any]] = []
        self._on_commit: list[Callable[[], Any]] = []
        self._memo: dict[str, Any] = {}
        # Whether the participant had any signature when locked (None: not known). Without
        # one, a change has nothing to break: the end skips the signatures' query. Signatures
        # are recorded only under the participant's lock, so none can appear meanwhile but
        # this session's own, which are recorded after the check.
        self.signed: bool | None = None
        # The data rows saved in the session, as saved (row pk -> (row, data row)): the
        # signatures' check at the end takes them as stored rather than reading them again,
        # unless something else changed the row since (a hook, a derived value).
        self._stored: dict[int, tuple[FormStatus, Any]] = {}
        self.now = timezone.now()

    @property
    def participant(self) -> Participant:
        """The session's participant, locked (a session with none raises RuntimeError)."""
        if self._participant is None:
            raise RuntimeError("This write session has no participant.")
        return self._participant

    @property
    def has_participant(self) -> bool:
        return self._participant is not None

    # --- Locks ---------------------------------------------------------------------------

    def lock(self, rows: Iterable[FormStatus]) -> list[FormStatus]:
        """The given rows of the session's participant, locked (in primary-key order) and
        read again; rows the session already holds are returned as held."""
        participant = self.participant
        rows = list(rows)
        missing = [row.pk for row in rows if row.pk not in self.rows]
        locked = formstatus.lock_rows(participant.pk, missing)
        for pk, row in locked.items():
            row.participant = participant
            self.rows[pk] = row
        found = [self.rows.get(row.pk) for row in rows]
        if any(row is None for row in found):
            raise FormStatus.DoesNotExist
        return found  # type: ignore[return-value]

    def slot(self, event: str, form: str, repeat: int = 1) -> FormStatus | None:
        """The participant's form slot, locked, or None when it does not exist."""
        row = self.participant.forms.filter(event=event, form=form, repeat=repeat).first()
        return None if row is None else self.lock([row])[0]

    def adopt(self, participant: Participant) -> None:
        """The participant the session just created (a registration): its own row lock."""
        if self._participant is not None:
            raise RuntimeError("This write session has a participant already.")
        self._participant = participant

    # --- Form-status transitions (the one writer of FormStatus) ---------------------------

    def saved(
        self,
        row: FormStatus,
        *,
        complete: bool = True,
        groups: Iterable[str] = (),
        instance: Any = None,
    ) -> None:
        """The row's data (`instance`) was saved: complete or in progress, by this user, now."""
        status = FormState.COMPLETE if complete else FormState.IN_PROGRESS
        formstatus.transition(self._pending, row, status, self.user, self.now, first_save=True)
        self.touched.add(row, groups)
        if instance is not None:
            self.touched.data[row.pk] = instance
            self._stored[row.pk] = (row, instance)
        else:
            self._stored.pop(row.pk, None)

    def missed(self, rows: Iterable[FormStatus]) -> None:
        """These slots become MISSED: done for the journey and the reminders."""
        rows = list(rows)
        for row in self.lock(rows):
            formstatus.transition(self._pending, row, FormState.MISSED, self.user, self.now)
            self.touched.add(row)
            self._stored.pop(row.pk, None)

    def deleted(self, row: FormStatus) -> None:
        """A log entry marked deleted: its data and history stay."""
        formstatus.transition(self._pending, row, FormState.DELETED, self.user, self.now)
        self.touched.add(row)
        self._stored.pop(row.pk, None)

    def touch(self, row: FormStatus, groups: Iterable[str] = ()) -> None:
        """The row's data changed without a status transition (a derived value, a decision's
        own record): its signatures are checked at the end."""
        self.touched.add(row, groups)
        self._stored.pop(row.pk, None)

    def create_log_slot(self, form: str) -> FormStatus:
        """The slot of a new log entry (adverse event, medication), held by the session."""
        row = formstatus.create_log_slot(self.participant, form)
        self.rows[row.pk] = row
        return row

    # --- The journey ---------------------------------------------------------------------

    def journey(self, change: JourneyChange | None = None, **fields: Any) -> None:
        """Change the participant's journey (event dates, status, enrolment date, gate
        decision): applied to the participant object now, saved once at the end."""
        change = change or JourneyChange(**fields)
        participant = self.participant
        if change.dates:
            merged = dict(participant.event_dates)
            for event, value in change.dates.items():
                if value is None:
                    merged.pop(event, None)
                else:
                    merged[event] = value.isoformat()
            changed = {
                event
                for event in merged.keys() | participant.event_dates.keys()
                if merged.get(event) != participant.event_dates.get(event)
            }
            if changed:
                participant.event_dates = merged
                self.touched.event_dates |= changed
                self._journey_fields.add("event_dates")
        journey_fields: tuple[tuple[str, Any], ...] = (
            ("status", change.status),
            ("gate_decision", change.gate_decision),
        )
        for name, value in journey_fields:
            if value is not None and value != getattr(participant, name):
                setattr(participant, name, value)
                self._journey_fields.add(name)
                self.touched.journey.add(name)
        if change.enrolment_date is not UNCHANGED and (
            change.enrolment_date != participant.enrolment_date
        ):
            participant.enrolment_date = change.enrolment_date
            self._journey_fields.add("enrolment_date")
            self.touched.journey.add("enrolment_date")

    def expect_forms(self) -> None:
        """Create the slots of the events that apply at the end, even if nothing changed
        (a newly registered participant)."""
        self._slots_due = True

    # --- Effects of domain hooks, and what runs at the end --------------------------------

    def apply(self, effects: Effects) -> None:
        """What a domain hook returned: rows it changed, slots to mark missed, the journey."""
        for row in effects.changed:
            self.touch(row)
        if effects.missed:
            self.missed(effects.missed)
        if effects.journey is not None:
            self.journey(effects.journey)

    def at_end(self, step: Callable[[], T]) -> Callable[[], T | None]:
        """Run `step` after the signatures are refreshed (a new signature is recorded on the
        data as the session leaves it). Returns a reader of its result, once run."""
        result: dict[str, T] = {}

        def run() -> None:
            result["value"] = step()

        self._at_end.append(run)
        return lambda: result.get("value")

    def on_commit(self, notify: Callable[[], Any]) -> None:
        """Send something (an e-mail, a task) once the session's transaction commits."""
        self._on_commit.append(notify)

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """A value read once per session, inside its locks (derived values' inputs)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def serialize(self, key: int) -> None:
        """Take a transaction-wide advisory lock: writers that take the same key are served
        one after the other (the gate's count of IAH slots)."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])

    # --- The end ---------------------------------------------------------------------------

    def finish(self) -> None:
        participant = self._participant
        formstatus.flush(self._pending)
        if participant is not None:
            self._refresh_derived(participant)
            formstatus.flush(self._pending)
            if self._journey_fields:
                statements.update_fields(participant, sorted(self._journey_fields))
            if self._journey_fields or self._slots_due:
                formstatus.ensure_expected_forms(participant)
            if self.touched.rows and self.signed is not False:
                stored = {
                    pk: (row, instance)
                    for pk, (row, instance) in self._stored.items()
                    if crf.holds_stored_values(row.form, instance)
                }
                with crf.stored_rows(stored):
                    refresh_signatures(participant, list(self.touched.rows.values()))
        for step in self._at_end:
            step()
        for notify in self._on_commit:
            transaction.on_commit(notify)

    def _refresh_derived(self, participant: Participant) -> None:
        context = registry.RefreshContext(participant, self.user, self.touched, self.memo)
        for refresh in registry.refreshes():
            if not self.touched.reaches(refresh.inputs):
                continue
            for row in refresh.run(context):
                self.touched.add(row)
                self._stored.pop(row.pk, None)


def current() -> WriteSession | None:
    """The write session open in this context, if any."""
    return _current.get()


@contextmanager
def write(
    user: Any,
    participant: Participant | int | None = None,
    *,
    rows: Iterable[FormStatus] = (),
    reason: str = "",
    command: str = "",
    reach: bool = True,
    serialize: int | None = None,
    **extra: Any,
) -> Iterator[WriteSession]:
    """Open (or join) the write session for `participant`; see the module's docstring.

    `participant` is locked first (with `rows`, in primary-key order, in the same statement),
    after the advisory lock `serialize` when given. `reach`: refuse a participant of a site the
    user does not reach (as a 404 would on the page). Extra keywords go to the audit context.
    """
    outer = _current.get()
    participant_id = participant.pk if isinstance(participant, Participant) else participant
    joins = outer is not None and (
        participant_id is None or (outer.has_participant and outer.participant.pk == participant_id)
    )
    if joins:
        assert outer is not None
        with audit_context(user, reason=reason, command=command, **extra):
            if serialize is not None:
                outer.serialize(serialize)
            if rows:
                outer.lock(rows)
            yield outer
        return
    savepoint = not _batch.get()
    with (
        transaction.atomic(savepoint=savepoint),
        audit_context(user, reason=reason, command=command, **extra),
    ):
        session = WriteSession(user, None, command)
        if serialize is not None:
            session.serialize(serialize)
        if participant_id is not None:
            _lock_participant(session, user, participant_id, list(rows), reach=reach)
        token = _current.set(session)
        try:
            yield session
            session.finish()
        finally:
            _current.reset(token)


# --- The participant's lock: hand-written SQL ----------------------------------------------
#
# Every save opens with this statement. Built by the ORM (select_for_update "of", two
# select_related joins, an Exists annotation, the reach's subquery), it took the ORM longer to
# compile than PostgreSQL to run it, on every save and every seeded form; its text is the same
# every time but for the reach, so it is written out once per process.


_LOCK_ROWS_SQL = """SELECT {rows}, {participants}, {sites},
    EXISTS (SELECT 1 FROM "trial_signature" s
            WHERE s."participant_id" = "trial_formstatus"."participant_id") AS signed
FROM "trial_formstatus"
INNER JOIN "trial_participant" ON "trial_formstatus"."participant_id" = "trial_participant"."id"
INNER JOIN "trial_site" ON "trial_participant"."site_id" = "trial_site"."id"
WHERE "trial_formstatus"."participant_id" = %s AND "trial_formstatus"."id" = ANY(%s){reach}
ORDER BY "trial_formstatus"."id"
FOR UPDATE OF "trial_participant", "trial_formstatus"
"""
_LOCK_PARTICIPANT_SQL = """SELECT {participants}, {sites},
    EXISTS (SELECT 1 FROM "trial_signature" s
            WHERE s."participant_id" = "trial_participant"."id") AS signed
FROM "trial_participant"
INNER JOIN "trial_site" ON "trial_participant"."site_id" = "trial_site"."id"
WHERE "trial_participant"."id" = %s{reach}
FOR UPDATE OF "trial_participant"
"""


@functools.cache
def _lock_sql(with_rows: bool, reach: str) -> tuple[str, tuple[Columns, ...]]:
    """The lock statement (with `reach`, a selectors.reach_condition text) and the models of
    its columns, in their order."""
    models = (FormStatus, Participant, Site) if with_rows else (Participant, Site)
    columns = tuple(Columns(model) for model in models)
    names = ("rows", "participants", "sites")[-len(models) :]
    template = _LOCK_ROWS_SQL if with_rows else _LOCK_PARTICIPANT_SQL
    sql = template.format(
        **{name: c.sql for name, c in zip(names, columns, strict=True)},
        reach=reach,
    )
    return sql, columns


def _locked(
    user: Any, participant_id: int, pks: list[int] | None, reach: bool
) -> list[tuple[Any, ...]]:
    """The lock statement run: with `pks` the rows (each with its participant), else the
    participant alone; each result row as built instances, then whether it has a signature."""
    condition: tuple[str, list[Any]] | None = ("", [])
    if reach and user is not None:
        condition = selectors.reach_condition(user)
    if condition is None:
        return []  # as the ORM does for an empty reach: nothing to read, no statement
    sql, columns = _lock_sql(pks is not None, condition[0])
    params: list[Any] = [participant_id]
    if pks is not None:
        params.append(pks)
    params += condition[1]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    # The signature test is the statement's last column.
    return [(*build_row(values, columns), values[-1]) for values in fetched]


def _lock_participant(
    session: WriteSession, user: Any, participant_id: int, rows: list[FormStatus], *, reach: bool
) -> None:
    """The participant locked first, then the rows, in one statement when there are rows."""
    if rows:
        # FOR UPDATE OF the participant, then the rows: PostgreSQL takes the row locks in the
        # order of this list, for each row returned (ordered by primary key).
        pks = sorted({row.pk for row in rows})
        locked = _locked(user, participant_id, pks, reach)
        if len(locked) != len(pks):
            _refuse_out_of_reach(user, participant_id, rows)
        _row, participant, site, signed = locked[0]
        Participant.site.field.set_cached_value(participant, site)
        session.adopt(participant)
        session.signed = signed
        for row, *_rest in locked:
            row.participant = participant
            session.rows[row.pk] = row
        return
    found = _locked(user, participant_id, None, reach)
    if not found:
        if reach and user is not None:
            _refuse_out_of_reach(user, participant_id, [])
        raise Participant.DoesNotExist("Participant matching query does not exist.")
    participant, site, signed = found[0]
    Participant.site.field.set_cached_value(participant, site)
    session.adopt(participant)
    session.signed = signed


def _refuse_out_of_reach(user: Any, participant_id: int, rows: list[FormStatus]) -> NoReturn:
    """The same refusal (or DoesNotExist) as looking the participant and rows up one by one."""
    participant = Participant.objects.get(pk=participant_id)
    for row in rows:
        FormStatus.objects.get(pk=row.pk, participant_id=participant_id)
    if not selectors.participants_for(user).filter(pk=participant.pk).exists():
        raise ActionRefused(_("This participant is not in your sites."))
    raise FormStatus.DoesNotExist
