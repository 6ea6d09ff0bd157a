from __future__ import annotations

import pytest

from tests.imaging import helpers as h


@pytest.fixture
def enrolled(nurse, investigator, bdx):
    return h.enrolled(nurse, investigator, bdx)


@pytest.fixture
def scanned(nurse, enrolled):
    """Both PETs entered, ratio 3.80."""
    h.enter_pets(nurse, enrolled)
    return enrolled
