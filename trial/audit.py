"""The audit trail's plumbing: which models are tracked, and the context each event carries.

Every clinical model is decorated with `@audited`: PostgreSQL triggers (django-pghistory) then
record each insert, update and delete, bulk updates and raw SQL included. Who, why, from where
and through which page or command travel in `pghistory.context`, set by the middleware for
requests and by `audit_context` for actions and management commands.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pghistory


def audited(model_class: type) -> type:
    return pghistory.track(
        pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent()
    )(model_class)


@contextmanager
def audit_context(user: Any = None, reason: str = "", **extra: Any) -> Iterator[None]:
    """Attach the acting user and the reason for change to every row event in the block.

    Nested inside a request's context, the values are merged into it (pghistory keeps one
    context per transaction), so the page address and client address set by the middleware stay.
    """
    values: dict[str, Any] = dict(extra)
    if user is not None and getattr(user, "pk", None) is not None:
        values["user"] = user.pk
        values["username"] = user.get_username()
    if reason:
        values["reason"] = reason
    with pghistory.context(**values):
        yield
