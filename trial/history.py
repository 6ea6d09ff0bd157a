"""The audit trail as people read it: a form's history field by field, and the system log.

Read-only views over the pghistory event tables and AuthEvent. Nothing here filters values
out: every value a field ever had is listed, the current one marked as such.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import models
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from pghistory.core import event_models
from pghistory.models import Events

from trial import signatures, trail_context

# The account event models are made by pghistory at import time; the stubs cannot see them.
from trial.models import (  # type: ignore[attr-defined]
    AuthEventKind,
    FormStatus,
    MembershipEvent,
    RoleAssignment,
    RoleAssignmentEvent,
    Site,
    SiteEvent,
    TOTPDeviceEvent,
    UserEvent,
    UserGroupsEvent,
)
from trial.origins import SYSTEM_ACTION, origin_label
from trial.readable import FIELD_LABELS, field_label, shown_marked, shown_value, yes_no
from trial.reasons import shown_reason

HIDDEN_FIELDS = {"id", "form_status"}


@dataclass
class Entry:
    """One recorded value (or status change), with who, when, why and through what."""

    at: datetime
    value: str
    who: str
    reason: str
    how: str
    label: str
    empty: bool = False
    current: bool = False


@dataclass
class FieldHistory:
    name: str
    label: str
    entries: list[Entry] = field(default_factory=list)


def event_model_for(model: type[models.Model]) -> type[Any] | None:
    """The pghistory event model recording every insert, update and delete of `model`."""
    candidates = event_models(tracks_model=model)
    return candidates[0] if candidates else None


def event_model_of(model: type[models.Model]) -> type[Any]:
    """The same, for a model that must be audited: a missing trail is a defect, not a case."""
    event_model = event_model_for(model)
    if event_model is None:
        raise LookupError(f"{model.__name__} is not audited")
    return event_model


def _names(user_ids: Iterable[Any]) -> dict[str, str]:
    ids = {int(pk) for pk in user_ids if str(pk).isdigit()}
    users = get_user_model().objects.filter(pk__in=ids) if ids else []
    return {
        str(u.pk): f"{u.get_full_name() or u.get_username()} ({u.get_username()})" for u in users
    }


def _context(event: Any) -> dict[str, Any]:
    return trail_context.metadata(event)


def _who(meta: dict[str, Any], names: dict[str, str]) -> str:
    user = meta.get("user")
    if user is not None and str(user) in names:
        return names[str(user)]
    if meta.get("username"):
        return str(meta["username"])
    return _("system")


def _how(meta: dict[str, Any]) -> str:
    """Where the change came from, in words (the stored code stays in the trail)."""
    return origin_label(str(meta.get("command") or "")) or (
        _("Web page") if meta.get("url") else ""
    )


def display(model_field: models.Field, value: Any, unit: str = "") -> tuple[str, bool]:
    """A stored value as a reader sees it (trial/readable.py), and whether it is empty."""
    if value is None or value == "":
        return _("(empty)"), True
    return shown_marked(model_field, value, unit), False


def item_label(model_field: models.Field, unit: str = "") -> str:
    """An item's label as History, the PDFs and the query and SDV lists show it: capitalised
    (not lowered: "SUVmax"), with its unit in brackets."""
    label = str(model_field.verbose_name)
    label = label[:1].upper() + label[1:]
    return f"{label} ({unit})" if unit else label


def form_history(
    row: FormStatus, model: type[models.Model], units: dict[str, str] | None = None
) -> list[FieldHistory]:
    """For each data field of the form, every value it had, oldest first (`units`: the unit
    of each item that has one)."""
    event_model = event_model_for(model)
    if event_model is None:
        return []
    fields = [f for f in model._meta.concrete_fields if f.name not in HIDDEN_FIELDS]
    events = list(
        event_model._default_manager.filter(form_status_id=row.pk)
        .select_related("pgh_context")
        .order_by("pgh_id")
    )
    names = _names(_context(e).get("user") for e in events)
    units = units or {}
    histories = [FieldHistory(f.name, item_label(f, units.get(f.name, ""))) for f in fields]
    previous: dict[str, Any] = {}
    for event in events:
        meta = _context(event)
        who, reason, how = _who(meta, names), shown_reason(meta.get("reason", "")), _how(meta)
        for history, model_field in zip(histories, fields, strict=True):
            value = getattr(event, model_field.attname)
            if (
                event.pgh_label != "delete"
                and history.name in previous
                and (previous[history.name] == value)
            ):
                continue
            previous[history.name] = value
            text, empty = display(model_field, value, units.get(model_field.name, ""))
            if event.pgh_label == "delete":
                text = mark_safe(_("(row deleted) %(value)s") % {"value": conditional_escape(text)})
                empty = False
            history.entries.append(
                Entry(event.pgh_created_at, text, who, reason, how, event.pgh_label, empty)
            )
    for history in histories:
        if history.entries:
            history.entries[-1].current = True
    return histories


@dataclass
class RowChange:
    """One change to a row of an item group: added, changed or removed, field by field."""

    at: datetime
    key: str
    kind: str  # "added", "changed" or "removed"
    changes: list[tuple[str, str, str]]  # (item label, old value, new value)
    who: str
    reason: str
    how: str
    # The row's name, as on the form: "L2 (segment IV)", "Left kidney", "4 h".
    name: str = ""


@dataclass
class GroupHistory:
    name: str
    label: str
    entries: list[RowChange] = field(default_factory=list)


def group_history(row: FormStatus, spec: Any) -> list[GroupHistory]:
    """For each repeating item group of the form, every row added, changed or removed,
    oldest first: one query for the form's data row, one per group."""
    parent_ids = list(spec.model.objects.filter(form_status=row).values_list("pk", flat=True))
    result = []
    for group in spec.groups:
        history = GroupHistory(group.name, str(group.label or group.name))
        result.append(history)
        event_model = event_model_for(group.model)
        if event_model is None or not parent_ids:
            continue
        naming = group.naming(row.participant)
        events = list(
            event_model._default_manager.filter(**{f"{group.parent_field}_id__in": parent_ids})
            .select_related("pgh_context")
            .order_by("pgh_id")
        )
        names = _names(_context(e).get("user") for e in events)
        fields = group.item_fields
        previous: dict[Any, Any] = {}
        for event in events:
            meta = _context(event)
            before = previous.get(event.pgh_obj_id)
            kind = {"insert": "added", "delete": "removed"}.get(event.pgh_label, "changed")
            changes = []
            for model_field in fields:
                new = getattr(event, model_field.attname)
                old = getattr(before, model_field.attname) if before is not None else None
                if kind == "removed":
                    old, new = new, None
                if kind == "changed" and old == new:
                    continue
                if kind != "changed" and old is None and new in (None, ""):
                    continue
                changes.append(
                    (
                        naming.item(model_field.name),
                        display(model_field, old)[0] if kind != "added" else "",
                        display(model_field, new)[0] if kind != "removed" else "",
                    )
                )
            previous[event.pgh_obj_id] = event
            if kind == "changed" and not changes:
                continue
            key = getattr(event, group.repeat_key)
            history.entries.append(
                RowChange(
                    event.pgh_created_at,
                    str(key),
                    kind,
                    changes,
                    _who(meta, names),
                    shown_reason(meta.get("reason", "")),
                    _how(meta),
                    naming.row(key),
                )
            )
    return result


# The status row's changes that a reader cares about, in words.
def _status_changes(old: Any, new: Any) -> list[str]:
    changes = []
    if old is None:
        return [_("Form expected")]
    if old.status != new.status:
        changes.append(
            _("Status: %(old)s → %(new)s")
            % {"old": old.get_status_display(), "new": new.get_status_display()}
        )
    if old.locked_at is None and new.locked_at is not None:
        changes.append(_("Locked"))
    if old.locked_at is not None and new.locked_at is None:
        changes.append(_("Unlocked"))
    if old.sdv_at is None and new.sdv_at is not None:
        changes.append(_("Source-verified"))
    if old.sdv_at is not None and new.sdv_at is None:
        changes.append(_("Source verification withdrawn"))
    if old.version != new.version and not changes:
        changes.append(_("Data saved (version %(v)s)") % {"v": new.version})
    return changes


def status_history(row: FormStatus) -> list[Entry]:
    """Saves, status changes, locks and source verification of the form, oldest first."""
    event_model = event_model_of(FormStatus)
    events = list(
        event_model._default_manager.filter(pgh_obj_id=row.pk)
        .select_related("pgh_context")
        .order_by("pgh_id")
    )
    names = _names(_context(e).get("user") for e in events)
    entries, previous = [], None
    for event in events:
        meta = _context(event)
        for text in _status_changes(previous, event):
            entries.append(
                Entry(
                    event.pgh_created_at,
                    text,
                    _who(meta, names),
                    shown_reason(meta.get("reason", "")),
                    _how(meta),
                    event.pgh_label,
                )
            )
        previous = event
    return entries


# --- The system audit view: accounts, roles and site access ------------------------------


@dataclass
class SystemEntry:
    at: datetime
    what: str
    subject: str
    details: str
    who: str
    reason: str
    how: str
    address: str
    # The origin as stored (command, page), for the data manager who looks it up.
    origin: str = ""


def account_changes(limit: int = 200) -> list[SystemEntry]:
    """The latest changes to accounts, roles, role assignments, site memberships, sites and
    second factors, newest first."""
    events = list(
        Events.objects.across(
            UserEvent,
            UserGroupsEvent,
            MembershipEvent,
            SiteEvent,
            RoleAssignmentEvent,
            TOTPDeviceEvent,
        ).order_by("-pgh_created_at", "-pgh_id")[:limit]
    )
    user_ids: set[Any] = set()
    for e in events:
        data = e.pgh_data or {}
        user_ids.update(str(v) for v in (data.get("user_id"), data.get("id")) if v is not None)
        user_ids.add(str(_context(e).get("user", "")))
    names = _names(user_ids)
    groups = dict(Group.objects.values_list("pk", "name"))
    sites = dict(Site.objects.values_list("pk", "code"))
    return [_describe(e, names, groups, sites) for e in events]


def _changes(model: type[models.Model], diff: dict[str, Any] | None) -> str:
    """An account's or a site's change in words: "Access to administration: no → yes"."""
    changes = []
    for key, pair in sorted((diff or {}).items()):
        old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        try:
            model_field: Any = model._meta.get_field(key)
        except Exception:  # noqa: BLE001 - a column since removed: its own name is all we have
            model_field = None
        # The trail's labels first: Django's own speak of its admin site ("staff status").
        label = FIELD_LABELS.get(key) or field_label(model_field, key)
        label = str(label)[:1].upper() + str(label)[1:]
        changes.append(
            _("%(field)s: %(old)s → %(new)s")
            % {"field": label, "old": _inline(model_field, old), "new": _inline(model_field, new)}
        )
    return ", ".join(changes)


def _inline(model_field: Any, value: Any) -> str:
    """A value inside a sentence: yes and no in lower case, an empty one as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return yes_no(value).lower()
    return shown_value(model_field, value)


def _signed(detail: str) -> str:
    """A signature's login-log detail (its kind, "eligibility") as the decision's label and
    the role that signs it: "Eligibility — role: Investigator"."""
    signable = signatures.get(detail)
    if signable is None:
        return detail
    label = str(signable.label) if signable.label else str(SYSTEM_ACTION)
    if not signable.roles:
        return label
    return _("%(decision)s — role: %(role)s") % {
        "decision": label,
        # A role's stored name is its English msgid (trial/roles.py).
        "role": " / ".join(sorted(_(role) for role in signable.roles)),
    }


def auth_detail(event: Any) -> str:
    """The detail of a login-log event as the page shows it."""
    if event.kind == AuthEventKind.SIGNED:
        return _signed(event.detail)
    return str(event.detail or "")


def _describe(e: Any, names: dict, groups: dict, sites: dict) -> SystemEntry:
    data, meta = trail_context.tracked_only(e.pgh_data), _context(e)
    model, label = e.pgh_model.split(".")[-1], e.pgh_label
    user = names.get(str(data.get("user_id")), str(data.get("user_id", "")))
    if model == "UserEvent":
        subject = names.get(str(data.get("id")), str(data.get("username", "")))
        what = {
            "insert": _("Account created"),
            "update": _("Account changed"),
            "delete": _("Account deleted"),
            "password_change": _("Password changed"),
        }.get(label, label)
        details = _changes(get_user_model(), trail_context.tracked_only(e.pgh_diff))
    elif model == "UserGroupsEvent":
        subject = user
        what = _("Role granted") if label == "role.add" else _("Role removed")
        # A role's stored name is its English msgid (trial/roles.py): shown in the reader's.
        name = groups.get(data.get("group_id"))
        details = _(name) if name else str(data.get("group_id"))
    elif model == "RoleAssignmentEvent":
        subject = user
        what = {
            "insert": _("Role assigned"),
            "update": _("Role assignment changed"),
            "delete": _("Role assignment deleted"),
        }.get(label, label)
        role = str(data.get("role", ""))
        details = _("%(role)s at %(site)s, from %(start)s to %(end)s") % {
            "role": _(role) if role else "",
            "site": sites.get(data.get("site_id"), str(data.get("site_id"))),
            "start": _inline(RoleAssignment._meta.get_field("starts_on"), data.get("starts_on")),
            "end": _inline(RoleAssignment._meta.get_field("ends_on"), data.get("ends_on") or "")
            if data.get("ends_on")
            else "…",
        }
    elif model == "TOTPDeviceEvent":
        subject = user
        what = {
            "totp.add": _("Second factor set up"),
            "totp.change": _("Second factor changed"),
            "totp.remove": _("Second factor removed"),
        }.get(label, label)
        details = str(data.get("name", ""))
    elif model == "MembershipEvent":
        subject = user
        what = {
            "insert": _("Site access granted"),
            "delete": _("Site access removed"),
        }.get(label, _("Site access changed"))
        details = sites.get(data.get("site_id"), str(data.get("site_id")))
    else:
        subject = str(data.get("code", ""))
        what = {"insert": _("Site created"), "delete": _("Site deleted")}.get(
            label, _("Site changed")
        )
        details = _changes(Site, trail_context.tracked_only(e.pgh_diff))
    return SystemEntry(
        at=e.pgh_created_at,
        what=what,
        subject=subject,
        details=details,
        who=_who(meta, names),
        reason=shown_reason(meta.get("reason", "")),
        how=_how(meta),
        address=str(meta.get("client_address", "")),
        origin=str(meta.get("command") or meta.get("url") or ""),
    )
