"""The audit context attached once per transaction, and pgtrigger's skip check made cheap.

pghistory's `_pgh_attach_context()` runs for every row event: it reads the context from the
session (in a PL/pgSQL exception block, so a subtransaction per row) and upserts the context
row, whose insert trigger stamps it (trial/guards.py, edc_stamp_context); an upsert that
conflicts still locks and rewrites nothing. `install_attach` replaces it with a version that:

- reads the settings with `current_setting(name, true)`: no exception block;
- stamps the transaction itself (the stamp trigger, kept for any other writer of contexts,
  is told by a setting that this function did it: one trigger call fewer);
- after it has attached the context in a transaction, marks it in a transaction-local
  setting (id and metadata, as the session sent them), and for the next rows of the
  transaction only checks the mark and that the transaction's stamp is there.

The mark is a setting, which any role may set. It is therefore only a hint: a row is
attached without the upsert only if the stamp of this context and this transaction exists,
and only this function (as the owner) writes stamps. A mark set by hand, or one that
survived a rollback to a savepoint that undid the attach, finds no stamp and the context is
attached again. A mark naming other metadata than the stored context's changes nothing the
database asserts (role, transaction, time): the metadata is what the application asserts,
and the stored metadata is what the first attach of the transaction wrote. A rollback to a
savepoint also rolls the mark back (settings follow subtransactions). A change of metadata
within the transaction (a nested action adding the reason) differs from the mark, so it is
upserted as before, under the same guard (edc_guard_context).

`_pgtrigger_should_ignore(name)` is pgtrigger's check, called by every pgtrigger trigger
function on every row: PL/pgSQL with an exception block. Its replacement is one SQL
expression, which the planner inlines into the caller. A value of pgtrigger.ignore that is
not an array raises instead of being ignored; only the owner may set one at all
(edc_refuse_trigger_skip).

Migrations re-create both functions (pghistory after every migrate, pgtrigger with each
trigger it installs): install_guards calls install_attach after every migrate, and until
then pghistory's and pgtrigger's own versions run, slower but with the same records.
"""

from __future__ import annotations

from typing import Any

from pghistory.models import Context

from trial.models import ContextStamp

# The setting that marks the context attached in the running transaction.
ATTACHED = "edc.context_attached"
# The setting that tells the stamp trigger this function stamped the context itself.
STAMPED = "edc.context_stamped"

_ATTACH_SQL = f"""
CREATE OR REPLACE FUNCTION _pgh_attach_context() RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
  _id uuid := nullif(pg_catalog.current_setting('pghistory.context_id', true), '')::uuid;
  _metadata text := nullif(pg_catalog.current_setting('pghistory.context_metadata', true), '');
BEGIN
  IF _id IS NULL OR _metadata IS NULL THEN
    RETURN NULL;
  END IF;
  -- Nested, not one AND: the stamp query is planned only when the mark is there, and the
  -- mark is only set once a stamp was written, so the table exists.
  IF pg_catalog.current_setting('{ATTACHED}', true) = _id::text || _metadata THEN
    IF EXISTS (SELECT 1 FROM {{stamps}}
               WHERE context_id = _id AND txid = pg_catalog.txid_current()) THEN
      RETURN _id;
    END IF;
  END IF;
  -- The first row of a transaction only: a database migrated back before the stamp table
  -- (a data migration running then) gets pghistory's own upsert, as the stamp trigger does
  -- without its table.
  IF pg_catalog.to_regclass('{{stamps_name}}') IS NULL THEN
    INSERT INTO {{contexts}} (id, metadata, created_at, updated_at)
    VALUES (_id, _metadata::jsonb, NOW(), NOW())
    ON CONFLICT (id) DO UPDATE
      SET metadata = EXCLUDED.metadata, updated_at = EXCLUDED.updated_at;
    RETURN _id;
  END IF;
  INSERT INTO {{stamps}}
    (context_id, txid, transaction_started_at, clock_at, db_role, client_address)
  VALUES (
    _id, pg_catalog.txid_current(), pg_catalog.transaction_timestamp(),
    pg_catalog.clock_timestamp(), session_user,
    COALESCE(pg_catalog.host(pg_catalog.inet_client_addr()), 'local')
  )
  ON CONFLICT (context_id, txid) DO NOTHING;
  PERFORM pg_catalog.set_config('{STAMPED}', _id::text, true);
  INSERT INTO {{contexts}} (id, metadata, created_at, updated_at)
  VALUES (_id, _metadata::jsonb, NOW(), NOW())
  ON CONFLICT (id) DO UPDATE
    SET metadata = EXCLUDED.metadata, updated_at = EXCLUDED.updated_at
    WHERE {{contexts}}.metadata != EXCLUDED.metadata;
  PERFORM pg_catalog.set_config('{ATTACHED}', _id::text || _metadata, true);
  RETURN _id;
END
$fn$"""

# pgtrigger's own test of its setting, without the exception block: false when unset or
# empty, else whether the trigger is named in it.
_SHOULD_IGNORE_SQL = """
CREATE OR REPLACE FUNCTION _pgtrigger_should_ignore(trigger_name name) RETURNS boolean
LANGUAGE sql STABLE AS $fn$
  SELECT CASE WHEN COALESCE(pg_catalog.current_setting('pgtrigger.ignore', true), '') = ''
    THEN false
    ELSE trigger_name = ANY (pg_catalog.current_setting('pgtrigger.ignore', true)::text[])
  END
$fn$"""

# The stamp trigger fires only for a context this function did not stamp itself.
STAMP_TRIGGER_WHEN = f"pg_catalog.current_setting('{STAMPED}', true) IS DISTINCT FROM NEW.id::text"


def install_attach(connection: Any, existing: set[str]) -> None:
    """Replace pghistory's context upsert and pgtrigger's skip check (idempotent). Without
    the stamp table (a database migrated back before it), pghistory's own upsert stays."""
    q = connection.ops.quote_name
    stamps = ContextStamp._meta.db_table
    with connection.cursor() as cursor:
        # pgtrigger creates its check with its first trigger.
        cursor.execute("SELECT pg_catalog.to_regprocedure('_pgtrigger_should_ignore(name)')")
        if cursor.fetchone()[0] is not None:
            cursor.execute(_SHOULD_IGNORE_SQL)
        if stamps not in existing:
            Context.install_pgh_attach_context_func(using=connection.alias)
            return
        cursor.execute(
            _ATTACH_SQL.format(
                stamps=q(stamps), stamps_name=stamps, contexts=q(Context._meta.db_table)
            )
        )
