"""Where the audited save's cost goes: bench_audit's ratio with parts of the audit trail taken
off the save path, one at a time, in one database and one run (a diagnostic, not a target).

    .venv/bin/python bench/bench_audit_parts.py [--saves 1000] [--rounds 3]

Each variant changes the database (or the save) only while it is measured, then puts it back
exactly as it was. The variants run in turn within each round, so that a busy moment of the
machine weighs on all of them alike; the table gives each round's ratio and their median, and
how much of the full trail's extra cost the variant leaves.

- everything: the save as bench_audit times it (the event, carrying its context and the
  database's stamp in its own columns, and the review queue's batch);
- without the review queue: the event table's statement trigger (ledger.edc_review_enqueue)
  disabled;
- without the stamp: the event table's stamp columns' defaults dropped (the context kept);
- no audit context: the save outside `audit_context` (no settings sent: the event, its stamp
  and its queue);
- no context, no queue: the event and its stamp alone.

At the end the run checks that the full trail's events carry the nurse's reason and the
stamp, so that a variant left in place by mistake cannot pass for the trail.
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
# The stamp's columns (trial.models.trail.Event), the context's aside.
STAMP_COLUMNS = ("edc_txid", "edc_clock_at", "edc_db_role", "edc_client_address")


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
def _unstamped(cursor) -> Iterator[None]:
    cursor.execute(
        "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d "
        "JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
        "WHERE d.adrelid = %s::regclass AND a.attname = ANY(%s)",
        [EVENT_TABLE, list(STAMP_COLUMNS)],
    )
    defaults = cursor.fetchall()
    assert len(defaults) == len(STAMP_COLUMNS), defaults
    for column, _default in defaults:
        cursor.execute(f"ALTER TABLE {EVENT_TABLE} ALTER COLUMN {column} DROP DEFAULT")
    try:
        yield
    finally:
        for column, default in defaults:
            cursor.execute(f"ALTER TABLE {EVENT_TABLE} ALTER COLUMN {column} SET DEFAULT {default}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=1000)
    parser.add_argument("--warm-up", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    save_audited, save_plain, count_events = twins("edc_bench_audit_parts")
    from django.db import connection

    # (label, the database's change while measured, whether the save opens an audit context)
    variants: list[tuple[str, Callable, bool]] = [
        ("everything", lambda _cursor: nullcontext(), True),
        ("without the review queue", _queue_disabled, True),
        ("without the stamp", _unstamped, True),
        ("no audit context", lambda _cursor: nullcontext(), False),
        ("no context, no queue", _queue_disabled, False),
    ]
    ratios: dict[str, list[float]] = {label: [] for label, _change, _context in variants}
    # The events the full trail wrote (a save that repeats the last value, as the first
    # measured one after an odd warm-up does, writes none).
    full_events = 0
    for round_ in range(1, args.rounds + 1):
        for label, change, context in variants:

            def audited(i: int, context: bool = context) -> float:
                return save_audited(i, context=context)

            with connection.cursor() as cursor, change(cursor):
                interleaved(audited, save_plain, args.warm_up)
                before = count_events()
                audited_ms, plain_ms = interleaved(audited, save_plain, args.saves)
            if label == "everything":
                full_events += count_events() - before
            ratio = summary(audited_ms)[0] / summary(plain_ms)[0]
            ratios[label].append(ratio)
            print(f"round {round_}: {label:30} {ratio:.2f}", flush=True)

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FILTER (WHERE edc_context ->> 'reason' = 'transcription error' "
            f"AND edc_txid IS NOT NULL AND edc_clock_at IS NOT NULL AND edc_db_role IS NOT NULL "
            f"AND pgh_context_id IS NOT NULL) FROM {EVENT_TABLE}"
        )
        (complete,) = cursor.fetchone()
    # Every measured save but the first changes the value, so writes an event.
    assert full_events >= args.rounds * (args.saves - 1), full_events
    assert complete >= full_events, f"{complete} complete events, {full_events} saved in full"
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
