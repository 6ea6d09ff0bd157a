"""The lab import's story: two BDX participants who had cycle 1, BDX-002 known to the hospital
by its patient number; the files under data/ are invented exports of their C2 panels."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dosing.labimport import actions as lab_actions
from tests.dosing.conftest import cycle, lab, save
from trial import actions

DATA = Path(__file__).resolve().parent / "data"
HOSPITAL_SYSTEM = "urn:oid:1.2.250.1.218.1.1"


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


@pytest.fixture
def second(nurse, bdx, c1):
    """BDX-002: cycle 1 on 10 Nov 2025, patient IPP-778812 at the hospital."""
    participant = actions.register_participant(nurse, bdx, date(2026, 3, 3))
    save(nurse, participant, "C1", "LAB", lab(sample_date=date(2025, 11, 6)))
    save(nurse, participant, "C1", "CYCLE", cycle(date(2025, 11, 10)))
    lab_actions.add_identifier(nurse, participant, HOSPITAL_SYSTEM, "IPP-778812")
    participant.refresh_from_db()
    return participant


def import_data(user, name: str, **kwargs):
    return lab_actions.import_file(user, name, data(name), **kwargs)


# The browser tests' fixtures (Chromium through Playwright, the login through the real form).
from tests.browser.conftest import (  # noqa: E402, F401
    browser_context_args,
    browser_type_launch_args,
    login,
)
