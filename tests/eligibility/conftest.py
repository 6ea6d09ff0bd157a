"""Fixtures of the eligibility tests: participants entered through the real forms."""

from __future__ import annotations

import pytest

from tests.eligibility import helpers as h
from trial import actions


@pytest.fixture
def screened(nurse, bdx):
    """Registered on the consent day, with C1-C4 given; no screening form entered yet."""
    participant = actions.register_participant(nurse, bdx, h.CONSENT_DAY)
    h.enter_cycles(nurse, participant)
    participant.refresh_from_db()
    return participant


@pytest.fixture
def eligible(nurse, bdx):
    """Every form entered with values that meet every criterion."""
    return h.eligible_participant(nurse, bdx)


@pytest.fixture
def investigator_client(client, investigator):
    client.force_login(investigator)
    return client
