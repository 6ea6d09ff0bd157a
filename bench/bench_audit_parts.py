"""Where the audited save's cost goes: bench_audit's ratio with parts of the audit trail taken
off the save path, one at a time, in one database and one run (a diagnostic, not a target).

    .venv/bin/python bench/bench_audit_parts.py [--saves 1000] [--rounds 3]

Each variant changes the database (or the save) only while it is measured, then puts it back
exactly as it was (a function's own definition, read from the catalog, is re-created). The
variants run in turn within each round, so that a busy moment of the machine weighs on all of
them alike; the table gives each round's ratio and their median, and how much of the full
trail's extra cost the variant leaves.

- everything: the save as bench_audit times it (event, context, stamp, queue);
- without the review queue: the event table's statement trigger (ledger.edc_review_enqueue)
  disabled;
- context without its stamp: `_pgh_attach_context` writes the context row only (and the
  context table's stamp trigger is disabled);
- context sent, no row written: `_pgh_attach_context` only returns the context's id;
- no audit context: the save outside `audit_context` (no settings sent, no context nor stamp:
  the event only, and its queue);
- no context, no queue: the event alone;
- in the event row, queue kept / in the event row, no queue: the redesign proposed for the
  ratio (a prototype, not the application's trail): the context's metadata and the stamp's
  facts written into the event row itself, in columns this run adds to the event table, so
  that a save writes no context row and no stamp row; then also without the queue (a filer
  would read the event tables from a watermark instead). The event table's own update
  trigger function is rewritten while measured: `_pgh_attach_context()` replaced by the id
  read from the setting.

The events that a variant records differ from the application's: this runs on its own
database (edc_bench_audit_parts), dropped and made again by every run.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from statistics import median

from _setup import summary
from bench_audit import interleaved, twins

# The event table whose statement trigger queues the saves' events for the review ledger.
EVENT_TABLE = "eligibility_demographicsevent"

_ATTACH_HEAD = """
CREATE OR REPLACE FUNCTION _pgh_attach_context() RETURNS uuid LANGUAGE plpgsql AS $fn$
DECLARE
  _id uuid := nullif(pg_catalog.current_setting('pghistory.context_id', true), '')::uuid;
BEGIN
"""
# The context row as pghistory's upsert writes it, without the stamp.
_CONTEXT_ONLY = (
    _ATTACH_HEAD
    + """  IF _id IS NOT NULL THEN
    INSERT INTO pghistory_context (id, metadata, created_at, updated_at)
    VALUES (_id, pg_catalog.current_setting('pghistory.context_metadata')::jsonb, NOW(), NOW())
    ON CONFLICT (id) DO UPDATE SET metadata = EXCLUDED.metadata, updated_at = EXCLUDED.updated_at
    WHERE pghistory_context.metadata != EXCLUDED.metadata;
  END IF;
  RETURN _id;
END
$fn$"""
)
_NO_ROW = _ATTACH_HEAD + "  RETURN _id;\nEND\n$fn$"

# The prototype's columns of the event row: the context's metadata and the stamp's facts.
_ROW_COLUMNS = {
    "edc_context": (
        "jsonb",
        "nullif(current_setting('pghistory.context_metadata', true), '')::jsonb",
    ),
    "edc_txid": ("bigint", "pg_catalog.txid_current()"),
    "edc_clock": ("timestamptz", "pg_catalog.clock_timestamp()"),
    "edc_role": ("text", "session_user"),
    "edc_client": ("text", "COALESCE(pg_catalog.host(pg_catalog.inet_client_addr()), 'local')"),
}
_CONTEXT_ID = "nullif(pg_catalog.current_setting('pghistory.context_id', true), '')::uuid"


@contextmanager
def _attach_replaced(cursor, definition: str) -> Iterator[None]:
    cursor.execute("SELECT pg_get_functiondef('_pgh_attach_context()'::regprocedure)")
    (original,) = cursor.fetchone()
    cursor.execute(definition)
    try:
        yield
    finally:
        cursor.execute(original)


@contextmanager
def _trigger_disabled(cursor, table: str, trigger: str) -> Iterator[None]:
    cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
    try:
        yield
    finally:
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")


def _queue_disabled(cursor) -> AbstractContextManager[None]:
    return _trigger_disabled(cursor, EVENT_TABLE, "edc_review")


@contextmanager
def _context_unstamped(cursor) -> Iterator[None]:
    # The context table's own stamp trigger would otherwise stamp the row the replaced
    # function inserts (trial/guards.py, edc_stamp_context).
    with (
        _attach_replaced(cursor, _CONTEXT_ONLY),
        _trigger_disabled(cursor, "pghistory_context", "edc_stamp_context"),
    ):
        yield


def _add_row_columns(cursor) -> None:
    columns = ", ".join(f"ADD COLUMN {name} {kind}" for name, (kind, _v) in _ROW_COLUMNS.items())
    cursor.execute(f"ALTER TABLE {EVENT_TABLE} {columns}")


@contextmanager
def _in_the_event_row(cursor, queue: bool) -> Iterator[None]:
    """The tracked table's update trigger function writes the context and the stamp's facts
    into the event row, and no context row (the save the bench times is an update)."""
    cursor.execute(
        "SELECT p.oid::regprocedure::text FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE t.tgrelid = 'eligibility_demographics'::regclass "
        "AND p.proname LIKE 'pgtrigger_update_update%%'"
    )
    (function,) = cursor.fetchone()
    cursor.execute("SELECT pg_get_functiondef(%s::regprocedure)", [function])
    (original,) = cursor.fetchone()
    names = "".join(f'"{name}", ' for name in _ROW_COLUMNS)
    values = "".join(f"{value}, " for _kind, value in _ROW_COLUMNS.values())
    changed = original.replace("_pgh_attach_context()", _CONTEXT_ID)
    changed = changed.replace(
        f'INSERT INTO "{EVENT_TABLE}" (', f'INSERT INTO "{EVENT_TABLE}" ({names}', 1
    )
    changed = changed.replace("VALUES (", f"VALUES ({values}", 1)
    assert "_pgh_attach_context" not in changed and changed.count("edc_client") == 1
    cursor.execute(changed)
    try:
        with nullcontext() if queue else _queue_disabled(cursor):
            yield
    finally:
        cursor.execute(original)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=1000)
    parser.add_argument("--warm-up", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    save_audited, save_plain, count_events = twins("edc_bench_audit_parts")
    from django.db import connection

    with connection.cursor() as cursor:
        _add_row_columns(cursor)
    # (label, the database's change while measured, whether the save opens an audit context)
    variants: list[tuple[str, Callable, bool]] = [
        ("everything", lambda _cursor: nullcontext(), True),
        ("without the review queue", _queue_disabled, True),
        ("context without its stamp", _context_unstamped, True),
        ("context sent, no row written", lambda c: _attach_replaced(c, _NO_ROW), True),
        ("no audit context", lambda _cursor: nullcontext(), False),
        ("no context, no queue", _queue_disabled, False),
        ("in the event row, queue kept", lambda c: _in_the_event_row(c, queue=True), True),
        ("in the event row, no queue", lambda c: _in_the_event_row(c, queue=False), True),
    ]
    ratios: dict[str, list[float]] = {label: [] for label, _change, _context in variants}
    # The events the prototype's variants wrote (a save that repeats the last value, as the
    # first measured one after an odd warm-up does, writes none).
    prototype_events = 0
    for round_ in range(1, args.rounds + 1):
        for label, change, context in variants:

            def audited(i: int, context: bool = context) -> float:
                return save_audited(i, context=context)

            before = count_events()
            with connection.cursor() as cursor, change(cursor):
                interleaved(audited, save_plain, args.warm_up)
                audited_ms, plain_ms = interleaved(audited, save_plain, args.saves)
            if label.startswith("in the event row"):
                prototype_events += count_events() - before
            ratio = summary(audited_ms)[0] / summary(plain_ms)[0]
            ratios[label].append(ratio)
            print(f"round {round_}: {label:30} {ratio:.2f}", flush=True)

    with connection.cursor() as cursor:
        # The prototype's rows carry what the context and stamp rows would have: checked, so
        # that a variant that silently wrote nothing cannot pass for a fast one.
        cursor.execute(
            f"SELECT count(*) FILTER (WHERE edc_context ->> 'reason' = 'transcription error' "
            f"AND edc_txid IS NOT NULL AND edc_clock IS NOT NULL AND edc_role IS NOT NULL "
            f"AND pgh_context_id IS NOT NULL) FROM {EVENT_TABLE}"
        )
        (in_rows,) = cursor.fetchone()
    # Every measured save but the first changes the value, so writes an event.
    assert prototype_events >= 2 * args.rounds * (args.saves - 1), prototype_events
    assert in_rows == prototype_events, (
        f"{in_rows} events carry their context, of {prototype_events} the prototype wrote"
    )
    full = median(ratios["everything"]) - 1
    print(f"\nAudited save / untracked twin (medians), {args.saves} saves each, per round")
    print(f"{'variant':32} {'rounds':>18} {'median':>7} {'extra cost left':>16}")
    for label, found in ratios.items():
        rounds = " / ".join(f"{r:.2f}" for r in found)
        middle = median(found)
        left = f"{(middle - 1) / full:.0%}" if full > 0 else "-"
        print(f"{label:32} {rounds:>18} {middle:7.2f} {left:>16}")


if __name__ == "__main__":
    main()
