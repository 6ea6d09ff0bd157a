"""CRF data in and out of its form: saving a form (items and item groups), a new entry of a
repeating log, the deletion of one. Each runs in one write session (trial/actions/session.py).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from trial import crf as crf_registry
from trial import roles, schedule
from trial.actions import statements
from trial.actions.errors import (
    ActionRefused,
    Locked,
    ReasonRequired,
    StaleVersion,
    check_writable,
    require_reason,
    require_role,
)
from trial.actions.formstatus import next_repeat
from trial.actions.queries import record_correction
from trial.actions.session import WriteSession, write
from trial.models import FormStatus, Participant, Query
from trial.reasons import QUERY_REASON

__all__ = ["add_repeat", "delete_crf", "next_repeat", "save_crf", "write_form"]


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
    Item groups are saved with the form, in the same session; derived values are computed
    from the values as stored. A save made to answer a query (`query`) records the correction
    on it, with "data clarified by query #N" as the reason. Returns the data row.
    """
    require_role(user, roles.ENTER_DATA, _("enter data"))
    spec = _spec(row.form)
    if query is not None:
        # The reason names the query, so the trail links the change to it.
        reason = f"{QUERY_REASON} #{query.pk}"
    with write(user, row.participant_id, rows=[row], reason=reason, command="save_crf") as w:
        (row,) = w.lock([row])
        check_writable(row, w.participant)
        if row.version != expected_version:
            raise StaleVersion(
                _(
                    "Someone else saved this form while you were editing it. Your entries are "
                    "still on the page; review the saved version and save again."
                )
            )
        if row.version > 0 and not reason:
            raise ReasonRequired(_("Give a reason for changing data that was already saved."))
        instance = write_form(w, spec, row, data, complete=complete)
        if query is not None:
            record_correction(user, query, row, reason)
        return instance


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
    require_role(user, roles.ENTER_DATA, _("enter data"))
    if form not in schedule.LOG_FORMS:
        raise ActionRefused(_("This form does not repeat."))
    spec = _spec(form)
    with write(user, participant, command="add_repeat") as w:
        if w.participant.locked_at is not None:
            raise Locked(_("This casebook is locked; a data manager must unlock it first."))
        row = w.create_log_slot(form)
        write_form(w, spec, row, data, complete=complete)
    return row


def delete_crf(
    user: Any, row: FormStatus, *, reason: str, expected_version: int | None = None
) -> FormStatus:
    """Delete an entry of a repeating log (adverse event, medication) with a reason.

    A status change, never a physical delete: the data and its history stay, marked deleted.
    """
    require_role(user, roles.ENTER_DATA, _("enter data"))
    require_reason(reason)
    if row.form not in schedule.LOG_FORMS:
        raise ActionRefused(_("Only an entry of a repeating log can be deleted."))
    with write(user, row.participant_id, rows=[row], reason=reason, command="delete_crf") as w:
        (row,) = w.lock([row])
        check_writable(row, w.participant)
        if expected_version is not None and row.version != expected_version:
            raise StaleVersion(
                _("Someone else saved this entry meanwhile; review it before deleting it.")
            )
        w.deleted(row)
    return row


def _spec(form: str) -> crf_registry.Crf:
    spec = crf_registry.get(form)
    if spec is None:
        raise ActionRefused(_("This form is not available yet."))
    return spec


def write_form(
    w: WriteSession,
    spec: crf_registry.Crf,
    row: FormStatus,
    data: dict[str, Any],
    *,
    complete: bool,
) -> Any:
    """The data and its item groups written, the row saved (status, version), the event's
    date put on the journey, then the form's domain hook: inside the caller's session."""
    participant = w.participant
    assert participant is not None
    looked_up = {
        name: read(crf_registry.Lookup(participant, row, w.memo)) for name, read in spec.lookups
    }
    values = crf_registry.derive(spec, {**data, **looked_up, crf_registry.COMPLETE: complete})
    # A slot never saved (version 0) has no data row: every data row is written here, and
    # its first save moves the version on. One query fewer on every first save.
    instance = None if row.version == 0 else statements.data_row(spec.model, row.pk)
    names = [f.name for f in spec.item_fields if f.name in values]
    created = instance is None
    if instance is None:
        instance = spec.model(form_status=row, **{name: values[name] for name in names})
        statements.insert(instance)
    else:
        changed = [name for name in names if getattr(instance, name) != values[name]]
        for name in changed:
            setattr(instance, name, values[name])
        if changed:
            statements.update_fields(instance, changed)
    groups = [
        group.name
        for group in spec.groups
        if group.name in data
        and _write_group(w, spec, group, instance, data[group.name], created=created)
    ]
    w.saved(row, complete=complete, groups=groups, instance=instance)
    if spec.event_date_field:
        w.journey(dates={row.event: getattr(instance, spec.event_date_field)})
    if spec.on_save is not None:
        w.apply(spec.on_save(crf_registry.Saved(w.user, participant, row, instance)))
    return instance


def _write_group(
    w: WriteSession,
    spec: crf_registry.Crf,
    group: crf_registry.ItemGroup,
    parent: Any,
    rows: list[dict[str, Any]],
    *,
    created: bool,
) -> bool:
    """Make the group's stored rows those given, matched by repeat key: added, changed or
    removed, each recorded by the triggers. Returns whether any row changed. A parent
    `created` now has no rows yet: none is read.

    The repeat key is the row's permanent identity (its label, T1, E2): a row given with its
    key is that row; a row given without one is new and takes the lowest key that no row,
    kept or removed by this save, holds, so no row is ever renumbered and a new lesion never
    takes the label of one removed in the same save. A row that other data depend on (a
    baseline lesion measured at follow-up) is not removed: the save is refused, naming them.
    """
    if group.max_rows is not None and len(rows) > group.max_rows:
        raise ActionRefused(
            _("At most %(max)s rows can be entered in %(group)s.")
            % {"max": group.max_rows, "group": group.label or group.name}
        )
    fields = {f.name: f for f in group.item_fields}
    key_field = crf_registry.model_field(group.model, group.repeat_key)
    existing = (
        {}
        if created
        else {
            getattr(child, group.repeat_key): child
            for child in group.model._default_manager.filter(**{group.parent_field: parent})
        }
    )
    wanted: dict[Any, dict[str, Any]] = {}
    new_rows = []
    for values in rows:
        stored = {name: crf_registry.as_stored(fields[name], values.get(name)) for name in fields}
        key = values.get(group.repeat_key)
        if key not in (None, ""):
            key = key_field.to_python(key)
        if key in (None, ""):
            new_rows.append(stored)
        else:
            wanted[key] = stored
    taken = set(existing) | set(wanted)
    free = (n for n in range(1, len(taken) + len(new_rows) + 2) if n not in taken)
    for stored in new_rows:
        wanted[next(free)] = stored
    removed = sorted(existing.keys() - wanted.keys())
    assert w.participant is not None
    refusals = crf_registry.removal_refusals(w.participant, spec.code, group, removed)
    if refusals:
        raise ActionRefused(" ".join(refusals[key] for key in sorted(refusals)))
    touched = False
    for key in removed:
        existing[key].delete()
        touched = True
    # New rows in one INSERT: the row triggers record each of them all the same.
    new = []
    for key, values in wanted.items():
        child = existing.get(key)
        if child is None:
            keys = {group.parent_field: parent, group.repeat_key: key}
            new.append(group.model(**keys, **values))
            continue
        changed = [name for name, value in values.items() if getattr(child, name) != value]
        for name in changed:
            setattr(child, name, values[name])
        if changed:
            child.save(update_fields=changed)
            touched = True
    if new:
        group.model._default_manager.bulk_create(new)
        touched = True
    return touched
