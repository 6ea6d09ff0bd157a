"""A read of the whole trial kept while nothing could have changed it.

The key is PostgreSQL's snapshot (`pg_current_snapshot()`: the oldest transaction still
running, the next transaction id, and those in progress). It moves as soon as any transaction
that writes is given an id or ends, so a value read under one snapshot is exactly what a fresh
read gives for as long as the snapshot stays the same: no lag, no time-to-live. Reads assign no
transaction id, so a monitor reading the page again reads from memory; a nurse's save, an
import or the ledger's trigger starts a new read. The snapshot is taken before the value is
read, which only errs towards reading again.

One value per key and per process (gunicorn workers each keep their own), the last few kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")

KEEP = 8
_values: OrderedDict[tuple, object] = OrderedDict()
_lock = threading.Lock()


def snapshot() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        return cursor.fetchone()[0]


def read(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or the value it gave under the same database snapshot (one query)."""
    if connection.in_atomic_block:
        # Inside a transaction the snapshot may hide this transaction's own writes from the
        # key (they have no id until they write): read afresh.
        return compute()
    full = (snapshot(), key)
    with _lock:
        if full in _values:
            _values.move_to_end(full)
            return _values[full]  # type: ignore[return-value]
    value = compute()
    with _lock:
        _values[full] = value
        while len(_values) > KEEP:
            _values.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        _values.clear()
