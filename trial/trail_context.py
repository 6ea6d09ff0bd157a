"""An audit event's context (who, why, from where) and the database's stamp, wherever they
are kept: in the event row's own columns since trial migration 0020 (trial/models/trail.py),
in its context row (pghistory_context) and its stamp (ContextStamp) for events written
before. Every reader goes through here, so that old and new events read alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db import connection
from pghistory.models import Context

from trial.guards import event_tables

# The event columns that carry the context and the stamp (trial.models.trail.Event).
TRAIL_COLUMNS = ("edc_context", "edc_txid", "edc_clock_at", "edc_db_role", "edc_client_address")


def metadata(event: Any) -> dict[str, Any]:
    """The event's context: its own column, else its context row (an event read with
    `select_related("pgh_context")`, or pghistory's aggregate `Events`, whose pgh_context is
    the row's JSON and whose pgh_data holds the event's own columns)."""
    own = getattr(event, "edc_context", None)
    if own is None:
        own = (getattr(event, "pgh_data", None) or {}).get("edc_context")
    if own is not None:
        return own
    context = getattr(event, "pgh_context", None)
    if context is None:
        return {}
    return context if isinstance(context, dict) else (context.metadata or {})


def tracked_only(data: dict[str, Any] | None) -> dict[str, Any]:
    """pghistory's `pgh_data` or `pgh_diff` of an event without the trail's own columns,
    which are facts about the event, not values of the tracked row."""
    return {k: v for k, v in (data or {}).items() if k not in TRAIL_COLUMNS}


def metadata_sql(event: str, context: str) -> str:
    """SQL of an event's context: event row `event`'s own, else its context row `context`
    (LEFT JOINed on the event's pgh_context_id)."""
    return f"coalesce({event}.edc_context, {context}.metadata)"


def metadata_of_events(events: Iterable[tuple[str, int]]) -> dict[tuple[str, int], dict]:
    """The context of each (event table, pgh_id), in one query: the review page's entries
    name their event so. Tables that are not event tables are left out."""
    known = set(event_tables())
    wanted: dict[str, set[int]] = {}
    for table, pgh_id in events:
        if table in known:
            wanted.setdefault(table, set()).add(pgh_id)
    if not wanted:
        return {}
    q = connection.ops.quote_name
    branches: list[str] = []
    params: list[Any] = []
    for table, ids in sorted(wanted.items()):
        branches.append(
            f"SELECT %s::text, e.pgh_id::bigint, {metadata_sql('e', 'c')} FROM {q(table)} e "
            f"LEFT JOIN {q(Context._meta.db_table)} c ON c.id = e.pgh_context_id "
            f"AND e.edc_context IS NULL "
            f"WHERE e.pgh_id = ANY(%s)"
        )
        params += [table, sorted(ids)]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(branches), params)
        # Django reads jsonb as text (its JSONField decodes it); a raw cursor gets the text.
        return {
            (table, pgh_id): json.loads(meta) if isinstance(meta, str) else (meta or {})
            for table, pgh_id, meta in cursor.fetchall()
        }
