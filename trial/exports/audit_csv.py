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

from trial.exports.common import SYSTEM, Scope, changes_sql, stream_changes

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
    # Asserted by the database, not the application (trial/guards.py, edc_stamp_context): the
    # login role that wrote the change, its transaction id and the server's clock.
    "db_role",
    "db_transaction",
    "db_time_utc",
    "client_address",
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


# The CSV's columns, formatted by PostgreSQL (changes_sql's aliases): the export writes what
# the cursor gives, and the benchmark hands this very SQL to COPY.
CSV_SELECT = f"""
  to_char(u.pgh_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
  COALESCE(au.username, c.metadata ->> 'username', '{SYSTEM}'), COALESCE(r.roles, ''),
  COALESCE(s.code, ''), COALESCE(p.code, ''), COALESCE(fs.event, ''), COALESCE(fs.form, ''),
  COALESCE(fs.repeat::text, ''), u.grp,
  CASE WHEN u.grp = '' THEN '' ELSE COALESCE(u.grp_key, '') END, u.item,
  COALESCE(u.old_value, ''), COALESCE(u.new_value, ''), COALESCE(c.metadata ->> 'reason', ''),
  u.pgh_label, u.tbl || ':' || u.pgh_id, COALESCE(st.db_role, ''),
  COALESCE(st.txid::text, ''),
  COALESCE(to_char(st.clock_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), ''),
  COALESCE(c.metadata ->> 'client_address', '')"""


def csv_sql(scope: Scope) -> tuple[str, dict]:
    """The CSV rows' SQL and parameters (for COPY in the benchmark)."""
    return changes_sql(scope, select=CSV_SELECT)


def rows(scope: Scope) -> Iterator[tuple[Any, ...]]:
    """The CSV rows (without the header), one per changed item, oldest first."""
    return stream_changes(scope, select=CSV_SELECT)


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
