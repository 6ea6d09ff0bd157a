"""Fixtures the trial-level tests borrow: a participant screened through the real forms."""

from tests.eligibility.conftest import screened  # noqa: F401 - a fixture
