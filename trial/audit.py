"""The audit trail's plumbing: which models are tracked, and the context each event carries.

Every clinical model is decorated with `@audited`: PostgreSQL triggers (django-pghistory) then
record each insert, update and delete, bulk updates and raw SQL included. Who, why, from where
and through which page or command travel in pghistory's context: the middleware and the
management commands name the origin (`audit_origin`), and each action opens its own context
(`audit_context`) with the acting user and the reason for change; trial/audit_wire.py sends
it to the triggers with each write, and each event row keeps it in a column of its own
(trial/models/trail.py).

The event tables are append-only: pgtrigger's `append_only` triggers (PGHISTORY_APPEND_ONLY)
refuse UPDATE and DELETE; `install_guards` adds what pghistory does not: TRUNCATE refused on
every event table, the context rows of older events (who, why, from where) protected from
deletion and from any change once their transaction is over, writes to audited tables
refused while a session asks pgtrigger to skip its triggers, and the functions that write
the trail run as their owner, so the application's role itself needs no write privilege on
it (trial/guards.py installs them).
README.md, "The database role", explains the database role that makes this hold against a
determined user too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar, Token
from typing import Any

import pghistory

from trial.audit_wire import OpenContext, sending


def audited(model_class: type) -> type:
    return pghistory.track(
        pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent()
    )(model_class)


# Where the current work comes from (the page and client address of a request, or the
# management command), set by the middleware and by commands; every action's context starts
# from it. The pages name each origin by a label (trial/origins.py), never by its code. Kept
# here rather than in a pghistory context, so that each action can open a
# context of its own through pghistory's public API.
_origin: ContextVar[dict[str, Any] | None] = ContextVar("edc_audit_origin", default=None)
# The context of the action running now, if any: a nested action joins it.
_action: ContextVar[OpenContext | None] = ContextVar("edc_audit_action", default=None)


@contextmanager
def audit_origin(**values: Any) -> Iterator[None]:
    """Name where the work in the block comes from (url and client address, or command),
    without opening an audit context: each action in the block opens its own."""
    outer = _origin.get() or {}
    token = _origin.set({**outer, **{k: v for k, v in values.items() if v not in (None, "")}})
    try:
        yield
    finally:
        _origin.reset(token)


def _user_values(user: Any) -> dict[str, Any]:
    if user is None or getattr(user, "pk", None) is None:
        return {}
    return {"user": user.pk, "username": user.get_username()}


def audit_context(user: Any = None, reason: str = "", **extra: Any) -> AbstractContextManager[None]:
    """Attach the acting user, the reason for change and the command to every row event in
    the block: one action, one pghistory context.

    Each top-level action opens a context of its own, starting from the origin (page and
    client address, or command), so two actions of one request keep their own reasons. An
    action called by another joins the caller's context and adds only what it lacks: it is
    part of the same change, and must not relabel it.
    """
    values: dict[str, Any] = {**extra, **_user_values(user)}
    if reason:
        values["reason"] = reason
    return _Action(values)


class _Action:
    """audit_context's block. A class rather than a generator: every save opens one, and
    the generator's machinery cost as much as the rest of opening it."""

    __slots__ = ("_values", "_opened")

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values
        # Once a top-level action is open: the token that closes it and its sending.
        self._opened: tuple[Token[OpenContext | None], AbstractContextManager[None]] | None = None

    def __enter__(self) -> None:
        values = self._values
        running = _action.get()
        if running is not None:
            missing = {k: v for k, v in values.items() if k not in running.metadata}
            if missing:
                running.add(missing)
            return
        origin = _origin.get() or {}
        # An action run by a management command keeps both names: "seed_demo > save_crf".
        outer_command, command = origin.get("command"), values.get("command")
        if outer_command and command and command != outer_command:
            values["command"] = f"{outer_command} > {command}"
        opened = OpenContext({**origin, **values})
        sent = sending(opened)
        sent.__enter__()
        self._opened = (_action.set(opened), sent)

    def __exit__(self, *exc_info: Any) -> None:
        if self._opened is None:  # joined the caller's action, which closes it
            return
        token, sent = self._opened
        try:
            sent.__exit__(*exc_info)
        finally:
            _action.reset(token)
