"""How an action's audit context reaches the database: the two settings pghistory's triggers
read (`pghistory.context_id` and `pghistory.context_metadata`), set with SET LOCAL in the
same round trip as each write statement.

pghistory's own `pghistory.context` does the same with a `SELECT set_config(...)` prefix, but
rebuilds the prefix and the metadata's JSON for every statement and asks the server to plan a
SELECT and send back its row. An audited save is mostly that one write, so those costs were a
large share of what the audit trail added to a save. Here each context serialises its
metadata once (again only when a nested action adds to it) and the prefix is two utility
statements, which the server runs without planning and answers with no row.

The statements that carry the context are pghistory's: every statement but those it skips
(reads, DDL, transaction control), never on a named cursor or in a failed transaction.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import psycopg
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

# pghistory's list (IGNORED_SQL_PREFIXES, in its runtime module): statements that cannot
# run in a transaction or write nothing a trigger records.
_SKIPPED = (
    "select",
    "vacuum",
    "analyze",
    "checkpoint",
    "discard",
    "load",
    "cluster",
    "reindex",
    "create",
    "alter",
    "drop",
    "set transaction",
    "set session",
    "begin",
    "start",
)
_POSITIONAL = "SET LOCAL pghistory.context_id = %s; SET LOCAL pghistory.context_metadata = %s; "
_NAMED = (
    "SET LOCAL pghistory.context_id = %(edc__context_id)s; "
    "SET LOCAL pghistory.context_metadata = %(edc__context_metadata)s; "
)
# One statement of its own, for what cannot take a prefix: several parameter sets, or a
# cursor binding on the server (no parameters in SET, no two statements in one call).
_ON_ITS_OWN = (
    "SELECT set_config('pghistory.context_id', %s, true), "
    "set_config('pghistory.context_metadata', %s, true)"
)


# One encoder for every context: json.dumps(..., cls=...) builds one per call. Encoding keeps
# no state, so threads may share it; its output is json.dumps's with DjangoJSONEncoder.
_ENCODER = DjangoJSONEncoder()


def new_context_id() -> str:
    """A random (version 4) UUID as text, as str(uuid.uuid4()) gives it, built without the
    UUID object: every action opens one, and uuid4() and its str() cost as much as the rest
    of opening the action."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class OpenContext:
    """One action's context: its id and its metadata, serialised once."""

    __slots__ = ("id", "metadata", "values")

    def __init__(self, metadata: dict[str, Any]) -> None:
        self.id = new_context_id()
        self.metadata = metadata
        self._serialise()

    def add(self, more: dict[str, Any]) -> None:
        """Add keys from a nested action; the next statement carries them."""
        self.metadata.update(more)
        self._serialise()

    def _serialise(self) -> None:
        self.values = (self.id, _ENCODER.encode(self.metadata))


def carries_context(sql: str, cursor: Any) -> bool:
    """True if the statement must carry the context (pghistory's rule); `cursor` is psycopg's."""
    if sql.lstrip()[:16].lower().startswith(_SKIPPED) or getattr(cursor, "name", None):
        return False
    status = cursor.connection.info.transaction_status
    return status != psycopg.pq.TransactionStatus.INERROR


def _with_context(open_context: OpenContext) -> Callable[..., Any]:
    def execute_with_context(
        execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: dict
    ) -> Any:
        is_bytes = isinstance(sql, bytes)
        text = sql.decode() if is_bytes else sql
        # Django's wrapper: its `cursor` is psycopg's, which runs a statement past the wrappers.
        db_cursor = getattr(context["cursor"], "cursor", context["cursor"])
        if not carries_context(text, db_cursor):
            return execute(sql, params, many, context)
        context_id, metadata = open_context.values
        if many or not isinstance(db_cursor, psycopg.ClientCursor):
            db_cursor.execute(_ON_ITS_OWN, (context_id, metadata))
            return execute(sql, params, many, context)
        if isinstance(params, dict):
            prefix = _NAMED
            params = {
                **params,
                "edc__context_id": context_id,
                "edc__context_metadata": metadata,
            }
        else:
            prefix = _POSITIONAL
            if params is None:
                # Without parameters a % in the statement was literal; with them it must be
                # doubled to stay so.
                text = text.replace("%", "%%")
            params = (context_id, metadata, *(params or ()))
        text = prefix + text
        result = execute(text.encode() if is_bytes else text, params, many, context)
        # psycopg 3 stays on the first statement's result: move to the write's own, so that
        # rowcount and RETURNING rows are the write's.
        while result is not None and result.nextset():
            pass
        return result

    return execute_with_context


def sending(open_context: OpenContext) -> AbstractContextManager[None]:
    """Send `open_context` with every write statement of the block."""
    return _Sending(_with_context(open_context))


class _Sending:
    """Django's connection.execute_wrapper, as a class: it is entered for every action."""

    __slots__ = ("_wrapper", "_wrappers")

    def __init__(self, wrapper: Callable[..., Any]) -> None:
        self._wrapper = wrapper
        self._wrappers: list[Any] = []

    def __enter__(self) -> None:
        self._wrappers = connection.execute_wrappers
        self._wrappers.append(self._wrapper)

    def __exit__(self, *exc_info: Any) -> None:
        self._wrappers.pop()
