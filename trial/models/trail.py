"""What the database itself records beside each audit context: facts the application's
role cannot choose (trial/guards.py, edc_stamp_context)."""

from __future__ import annotations

import pgtrigger
from django.db import models
from pghistory.models import Context


class ContextStamp(models.Model):
    """One per (audit context, transaction that attached events to it), written by a
    trigger on pghistory_context: the database login role (`session_user`, which `SET ROLE`
    does not change), the transaction id, the transaction's start (the events' time) and the
    server's clock when the context was first attached in it.

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
