"""Clean exits: `trial.embedded run` stops every private server its commands started, whatever
their end (success, failure, SIGTERM), and leaves alone one that already ran before it.

Each test uses private servers of its own (EDC_VAR_DIR), never the ones this test run uses.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
START_BOTH = "from trial import embedded; embedded.postgres_url(); embedded.redis_url()"
STATE = "from trial import embedded; print(embedded.postgres_running(), embedded.redis_running())"


@pytest.fixture(scope="module")
def var_dir():
    # Under the checkout's var/ (as root, PostgreSQL runs as its own user, which must reach it).
    path = ROOT / "var" / f"clean-exit-{uuid.uuid4().hex[:8]}"
    yield path
    subprocess.run(
        [sys.executable, "-m", "trial.embedded", "stop"], cwd=ROOT, env=env_for(path), check=False
    )
    shutil.rmtree(path, ignore_errors=True)


def env_for(var_dir: Path) -> dict[str, str]:
    drop = ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["EDC_VAR_DIR"] = str(var_dir)
    return env


def python(var_dir: Path, code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env_for(var_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )


def state(var_dir: Path) -> tuple[bool, bool]:
    result = python(var_dir, STATE)
    assert result.returncode == 0, result.stderr
    postgres, redis = result.stdout.split()
    return postgres == "True", redis == "True"


def run(var_dir: Path, *commands: list[str]) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "trial.embedded", "run", "--"]
    for index, command in enumerate(commands):
        argv += (["&&"] if index else []) + command
    return subprocess.run(argv, cwd=ROOT, env=env_for(var_dir), timeout=180)


def test_run_stops_what_its_commands_started(var_dir):
    assert state(var_dir) == (False, False)
    result = run(var_dir, [sys.executable, "-c", START_BOTH], [sys.executable, "-c", STATE])
    assert result.returncode == 0
    assert state(var_dir) == (False, False)


def test_run_stops_them_when_a_command_fails_and_runs_no_further(var_dir, tmp_path):
    marker = tmp_path / "ran"
    fail = START_BOTH + "; raise SystemExit(3)"
    touch = f"open({str(marker)!r}, 'w').close()"
    result = run(var_dir, [sys.executable, "-c", fail], [sys.executable, "-c", touch])
    assert result.returncode == 3
    assert not marker.exists()
    assert state(var_dir) == (False, False)


def test_run_stops_them_on_sigterm(var_dir):
    hang = START_BOTH + "; print('ready', flush=True); import time; time.sleep(120)"
    process = subprocess.Popen(
        [sys.executable, "-m", "trial.embedded", "run", "--", sys.executable, "-c", hang],
        cwd=ROOT,
        env=env_for(var_dir),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "ready"
        assert state(var_dir) == (True, True)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 128 + signal.SIGTERM
    finally:
        if process.poll() is None:
            process.kill()
    assert state(var_dir) == (False, False)


def test_run_stops_them_on_ctrl_c(var_dir):
    # Ctrl-C in a terminal: SIGINT to the whole foreground process group, run and command.
    hang = START_BOTH + "; print('ready', flush=True); import time; time.sleep(120)"
    process = subprocess.Popen(
        [sys.executable, "-m", "trial.embedded", "run", "--", sys.executable, "-c", hang],
        cwd=ROOT,
        env=env_for(var_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout.readline().strip() == "ready"
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=60) == 128 + signal.SIGINT
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert state(var_dir) == (False, False)


def test_a_server_that_ran_before_is_left_running(var_dir):
    # Someone (a demo) runs PostgreSQL; the command starts Redis too. Only Redis is stopped.
    assert python(var_dir, "from trial import embedded; embedded.postgres_url()").returncode == 0
    try:
        assert run(var_dir, [sys.executable, "-c", START_BOTH]).returncode == 0
        assert state(var_dir) == (True, False)
    finally:
        subprocess.run(
            [sys.executable, "-m", "trial.embedded", "stop"], cwd=ROOT, env=env_for(var_dir)
        )
    assert state(var_dir) == (False, False)


def test_make_test_checks_migrations_inside_the_run():
    # Started before `run`, the servers would be taken for someone else's and left running.
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    for line in recipe.splitlines():
        if "manage.py" in line or "pytest" in line:
            assert "-m trial.embedded run --" in line, line


def test_the_type_check_starts_no_server(var_dir):
    # mypy's Django plugin imports the settings before `run`: with no URL they would start the
    # private servers, which `run` then takes for someone else's and leaves running.
    makefile = (ROOT / "Makefile").read_text()
    line = next(x for x in makefile.splitlines() if x.startswith("MYPY :="))
    assignments = dict(word.split("=", 1) for word in line.split(":=", 1)[1].split() if "=" in word)
    assert {"DATABASE_URL", "REDIS_URL"} <= set(assignments)
    for recipe in ("\ntest:", "\nlint:"):
        body = makefile.split(recipe, 1)[1].split("\n\n", 1)[0]
        assert "$(MYPY)" in body and "bin/mypy" not in body, body
    settings = "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'trial.settings'; "
    result = subprocess.run(
        [sys.executable, "-c", settings + "django.setup()"],
        cwd=ROOT,
        env={**env_for(var_dir), **assignments},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert state(var_dir) == (False, False)
