"""`make test` and `make run` on a bare machine (issue 25): scripts/system-packages installs the
Debian packages as root, and otherwise stops at once with the exact command to run."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "system-packages"
# What the script itself runs; everything else (chromium, msgfmt, xgettext, apt-get) is
# left out of the PATH, as on a machine without them.
TOOLS = ("bash", "grep", "awk", "id", "ldconfig", "fc-list", "env")


@pytest.fixture
def bare() -> Iterator[Path]:
    """A folder an unprivileged user can read (pytest's tmp_path is root's own)."""
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o755)
        yield Path(folder)


def _bare_path(folder: Path) -> str:
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool, path="/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
        assert found, f"{tool} is needed by the test itself"
        (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


def _as_unprivileged(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    # As root the script would install; the test is about an ordinary user.
    return [
        shutil.which("setpriv") or "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        *command,
    ]


def test_without_root_and_packages_it_stops_at_once_with_the_install_command(bare):
    env = {"PATH": _bare_path(bare), "CHROMIUM_BIN": str(bare / "no-chromium")}
    started = time.monotonic()
    result = subprocess.run(
        _as_unprivileged(["/bin/bash", str(SCRIPT), "test"]),
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    assert "apt-get install -y chromium gettext" in result.stderr
    assert "make test needs Debian packages that are not installed: chromium gettext" in (
        result.stderr
    )
    assert elapsed < 10, "it must stop at once, not after trying anything"


def test_make_run_asks_only_for_what_the_pdfs_need(bare):
    env = {"PATH": _bare_path(bare), "CHROMIUM_BIN": str(bare / "no-chromium")}
    result = subprocess.run(
        _as_unprivileged(["/bin/bash", str(SCRIPT), "run"]),
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    # Fonts and Pango are on this machine (the PDF tests need them): nothing to ask for.
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_with_every_package_present_it_says_nothing():
    result = subprocess.run(
        ["/bin/bash", str(SCRIPT), "test"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
