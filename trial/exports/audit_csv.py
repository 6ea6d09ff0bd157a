"""The audit trail as CSV: one row per changed item, oldest first, streamed.

insert: every item of the new row (old value empty); update: each changed item, old → new;
delete: every item of the removed row (new value empty). Records that are not CRF items
(form statuses, signatures, queries, SDV marks) come the same way, their record name in the
item-group column and their id as its repeat.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from trial.exports.common import SYSTEM, Scope, people, sources, stream_changes

HEADER = (
    "timestamp_utc",
    "user",
    "role",
    "site",
    "participant",
    "event",
    "form",
    "form_repeat",
    "item_group",
    "item_group_repeat",
    "item",
    "old_value",
    "new_value",
    "reason",
    "change",
    "audit_event",
)


class _Line:
    """A file-like target for csv.writer that hands back what was written."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


def rows(scope: Scope) -> Iterator[tuple[Any, ...]]:
    """The CSV rows (without the header), one per changed item."""
    persons = people()
    tables = [source.event_table for source in sources()]
    for (
        src,
        pgh_id,
        stamp,
        label,
        user_id,
        username,
        reason,
        site,
        participant,
        event,
        form,
        repeat,
        group,
        key,
        item,
        old,
        new,
    ) in stream_changes(scope):
        person = persons.get(user_id) if user_id else None
        yield (
            stamp,
            person.username if person else (username or SYSTEM),
            person.roles if person else "",
            site or "",
            participant or "",
            event or "",
            form or "",
            repeat or "",
            group,
            key if group else "",
            item,
            "" if old is None else old,
            "" if new is None else new,
            reason or "",
            label,
            f"{tables[src]}:{pgh_id}",
        )


def chunks(scope: Scope, counter: list[int] | None = None, size: int = 1000) -> Iterator[str]:
    """The CSV text in pieces of about `size` rows (for a streamed HTTP response or a file).
    `counter[0]` counts the rows written."""
    line = _Line()
    writer = csv.writer(line, lineterminator="\n")
    writer.writerow(HEADER)
    n = 0
    for row in rows(scope):
        writer.writerow(row)
        n += 1
        if n % size == 0:
            if counter is not None:
                counter[0] = n
            yield line.take()
    if counter is not None:
        counter[0] = n
    yield line.take()


def write(scope: Scope, target: Any) -> int:
    """Write the CSV to a text file; returns the number of changed items written."""
    counter = [0]
    for text in chunks(scope, counter):
        target.write(text)
    return counter[0]
