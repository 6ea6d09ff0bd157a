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
(the audit ledger's counts, to which only the newer entries are added; each participant's
part of a read, oversight.study), and `running_sum` a sum over participants brought up to
date by the contributions of those changed only (the figures' tallies, the lab shifts).

Values are kept per process (gunicorn workers each keep their own), the last few of each
kind. None is used inside a transaction that is already open (a save's, a test's): one that
might write, then roll back, could leave a value keyed by data that never was.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection

T = TypeVar("T")
S = TypeVar("S")

# A whole read of the trial (megabytes with 500 participants): the last few.
KEEP_READS = 4
# Parts of a read (each participant's, the ledger counts, the sums kept up to date), per
# scope and date.
KEEP_PARTS = 32
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


@dataclass(frozen=True)
class _Sum:
    shares: dict[Hashable, tuple[object, object]]  # owner -> (share, its contribution)
    total: object


def running_sum(
    key: Hashable,
    shares: Mapping[Any, Any],
    contribution: Callable[[Any], S],
    copy: Callable[[S | None], S],
    add: Callable[[S, S, int], None],
) -> S:
    """The sum of the contributions of `shares` (one per owner: a participant), kept under
    `key` with each share and its contribution: from a copy of the last sum (`copy(None)`:
    an empty one), the contributions of the shares that changed since (compared with ==) are
    taken away and their new ones added (`add(total, one, sign)`, in place), so that the work
    follows the shares changed, not their number; the sum kept is never changed (one may be
    read elsewhere). The sum must be exact (integers, counts), so that it equals the sum
    counted afresh."""
    kept = peek(key)
    before = kept.shares if isinstance(kept, _Sum) else {}
    total = copy(kept.total if isinstance(kept, _Sum) else None)  # type: ignore[arg-type]
    now: dict[Hashable, tuple[object, object]] = {}
    for owner, (share, given) in before.items():
        if owner in shares and shares[owner] == share:
            now[owner] = (share, given)
        else:
            add(total, given, -1)  # type: ignore[arg-type]
    for owner, share in shares.items():
        if owner not in now:
            given = contribution(share)
            now[owner] = (share, given)
            add(total, given, 1)
    put(key, _Sum(now, total))
    return total


def clear() -> None:
    with _lock:
        _reads.clear()
        _parts.clear()


def clear_reads() -> None:
    """Forget the whole reads only, as a write anywhere does (for the benchmark)."""
    with _lock:
        _reads.clear()
