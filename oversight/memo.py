"""Reads of the whole trial kept while nothing could have changed them.

`read` keys a value by PostgreSQL's snapshot (`pg_current_snapshot()`: the oldest transaction
still running, the next transaction id, and those in progress). It moves as soon as any
transaction that writes is given an id or ends, so a value read under one snapshot is exactly
what a fresh read gives for as long as the snapshot stays the same: no lag, no time-to-live.
Reads assign no transaction id, so a monitor reading the page again reads from memory; a
nurse's save, an import or a login starts a new read. The snapshot is taken before the value
is read, which only errs towards reading again.

`keyed` keeps a value under a key the caller reads from the data itself, which any change
moves (the count and the summed versions of the lab forms, which every save raises): a save
elsewhere leaves it in memory. `peek` and `put` keep what a caller brings up to date itself
(the audit ledger's counts, to which only the newer entries are added).

Values are kept per process (gunicorn workers each keep their own), the last few of each
kind. None is used inside a transaction that is already open (a save's, a test's): one that
might write, then roll back, could leave a value keyed by data that never was.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")

# A whole read of the trial (megabytes with 500 participants): the last few.
KEEP_READS = 4
# Parts of a read (lab grades, ledger counts), per scope and date.
KEEP_PARTS = 16
_reads: OrderedDict[Hashable, object] = OrderedDict()
_parts: OrderedDict[Hashable, object] = OrderedDict()
_lock = threading.Lock()


def snapshot() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        return cursor.fetchone()[0]


def _get(store: OrderedDict, key: Hashable) -> object | None:
    with _lock:
        if key in store:
            store.move_to_end(key)
            return store[key]
    return None


def _put(store: OrderedDict, key: Hashable, value: object, keep: int) -> None:
    with _lock:
        store[key] = value
        store.move_to_end(key)
        while len(store) > keep:
            store.popitem(last=False)


def read(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or the value it gave under the same database snapshot (one query)."""
    if connection.in_atomic_block:
        return compute()
    full = (snapshot(), key)
    found = _get(_reads, full)
    if found is not None:
        return found  # type: ignore[return-value]
    value = compute()
    _put(_reads, full, value, KEEP_READS)
    return value


def keyed(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or the value it gave under the same key."""
    found = _get(_parts, ("keyed", key))
    if found is not None:
        return found  # type: ignore[return-value]
    value = compute()
    _put(_parts, ("keyed", key), value, KEEP_PARTS)
    return value


def peek(key: Hashable) -> object | None:
    """The value kept under `key` by put, if any."""
    return _get(_parts, ("put", key))


def put(key: Hashable, value: object) -> None:
    _put(_parts, ("put", key), value, KEEP_PARTS)


def clear() -> None:
    with _lock:
        _reads.clear()
        _parts.clear()


def clear_reads() -> None:
    """Forget the whole reads only, as a write anywhere does (for the benchmark)."""
    with _lock:
        _reads.clear()
