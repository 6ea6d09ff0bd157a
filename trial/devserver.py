"""`make run`: the whole demo with one command.

Starts the private PostgreSQL and Redis (unless DATABASE_URL / REDIS_URL are set), migrates,
loads the demo data when the database has no participant, then runs the web server and a
Celery worker with beat, until Ctrl-C stops them all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from trial import embedded

HOST, PORT = "127.0.0.1", "8000"


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _worker(python: str) -> list[str]:
    schedule = str(embedded.VAR / "celerybeat-schedule")
    return [python, "-m", "celery", "-A", "trial", "worker", "--beat"] + [
        "--loglevel",
        "WARNING",
        "--concurrency",
        "1",
        "--schedule",
        schedule,
    ]


def main() -> int:
    # Ctrl-C in a terminal, or SIGTERM from a supervisor: both stop everything cleanly.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    env = dict(os.environ)
    # Each private server this command starts, it stops (whatever the end: Ctrl-C, a failed
    # migration...); one that already ran is left alone.
    stop_postgres = "DATABASE_URL" not in env and not embedded.postgres_running()
    stop_redis = "REDIS_URL" not in env and not embedded.redis_running()
    children: list[subprocess.Popen] = []
    status = 0
    try:
        env.setdefault("DATABASE_URL", embedded.postgres_url())
        env.setdefault("REDIS_URL", embedded.redis_url())
        python = sys.executable
        manage = [python, "manage.py"]
        subprocess.run([*manage, "migrate", "--no-input"], env=env, check=True)
        subprocess.run([*manage, "seed_demo", "--if-empty"], env=env, check=True)
        children.append(
            subprocess.Popen([*manage, "runserver", f"{HOST}:{PORT}", "--noreload"], env=env)
        )
        children.append(subprocess.Popen(_worker(python), env=env))
        password = env.get("DEMO_PASSWORD", "trial-demo-2026")
        print(
            f"\n  The EDC runs at http://{HOST}:{PORT}\n"
            f"  Logins (password {password}): nurse, investigator, monitor, datamanager, admin "
            f"(site BDX), nurse2 (site TLS)\n  Ctrl-C stops everything.\n",
            flush=True,
        )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    except subprocess.CalledProcessError as error:
        status = error.returncode or 1
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        if stop_redis:
            embedded.stop_redis()
        if stop_postgres:
            embedded.stop_postgres()
        print("Stopped.", flush=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
