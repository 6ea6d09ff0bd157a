"""What the database itself records with each audit event: the action's context (who, why,
from where) and facts the application's role cannot choose (the login role, the
transaction, the server's clock).

Since migration 0020 each event row carries them (trail.Event, the base of every event
model). Events written before it name a context row (pghistory_context) and its stamp
(ContextStamp), which stay as read-only history: the readers take the row's own columns
and fall back to those for older events (trial/trail_context.py).
"""

from __future__ import annotations

import pgtrigger
from django.db import models
from django.db.models.expressions import RawSQL
from pghistory.models import Context
from pghistory.models import Event as PghistoryEvent

# The column defaults that fill an event's context and stamp. pghistory's trigger names only
# the tracked columns and its own pgh_* in its INSERT, so PostgreSQL fills these in, inside
# the trigger, which runs as the trail's owner: the application's role has no INSERT on an
# event table (trial.guards.grant_statements) and so cannot choose them. The metadata is
# what the application sent for the action (trial/audit_wire.py); the rest the database
# asserts. No context row and no stamp row are written: a save pays for one row, not three.
CONTEXT_DEFAULT = (
    "nullif(pg_catalog.current_setting('pghistory.context_metadata', true), '')::jsonb"
)
TXID_DEFAULT = "pg_catalog.txid_current()"
CLOCK_DEFAULT = "pg_catalog.clock_timestamp()"
ROLE_DEFAULT = "session_user::text"
CLIENT_DEFAULT = "coalesce(pg_catalog.host(pg_catalog.inet_client_addr()), 'local')"


def _default(sql: str) -> RawSQL:
    return RawSQL(sql, [])


class Event(PghistoryEvent):
    """The base of every event model (settings.PGHISTORY_BASE_MODEL): pghistory's event, with
    the action's context and the database's stamp in the row itself. Named Event, as
    pghistory's own: pghistory names each event model after its base ("SiteEvent").

    Null in the events written before these columns existed: migrations add each column
    without a default first and set the default after, so that old events are not stamped
    with the migration's own transaction (a volatile default given with the column is
    computed for every existing row)."""

    edc_context = models.JSONField(null=True, db_default=_default(CONTEXT_DEFAULT))
    edc_txid = models.BigIntegerField(null=True, db_default=_default(TXID_DEFAULT))
    edc_clock_at = models.DateTimeField(null=True, db_default=_default(CLOCK_DEFAULT))
    edc_db_role = models.TextField(null=True, db_default=_default(ROLE_DEFAULT))
    edc_client_address = models.TextField(null=True, db_default=_default(CLIENT_DEFAULT))

    class Meta:
        abstract = True


class ContextStamp(models.Model):
    """Written until migration 0020 (since then the event row holds the stamp, and only a
    context row written by pghistory's own upsert still gets one): one per (audit context,
    transaction that attached events to it), written by a trigger on pghistory_context: the
    database login role (`session_user`, which `SET ROLE` does not change), the transaction
    id, the transaction's start (the events' time) and the server's clock when the context
    was first attached in it.

    The who and why in the context are what the application asserts; these the database
    asserts. The application's role may only read this table (trial.guards.grant_statements).
    """

    # Indexed first in contextstamp_unique, which also serves the exports' lookup of a
    # context's stamp by its transaction's start (a context has one stamp per transaction,
    # nearly always one): another index would only cost every transaction one more entry.
    context = models.ForeignKey(
        Context, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False
    )
    txid = models.BigIntegerField()
    transaction_started_at = models.DateTimeField()
    clock_at = models.DateTimeField()
    db_role = models.CharField(max_length=63)
    client_address = models.CharField(max_length=45, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["context", "txid"], name="contextstamp_unique")
        ]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.context_id} tx {self.txid} as {self.db_role}"
