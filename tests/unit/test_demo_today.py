"""The demo's "today" leaves every moment it seeds in the past: seeded in the morning, before
the PET injections (08:00, 10:00) and the IAH dose (10:00) it places on its days, the demo
ends yesterday (a form refuses a time in the future)."""

from __future__ import annotations

from datetime import date, datetime, time
from unittest import mock
from zoneinfo import ZoneInfo

from django.utils import timezone

from trial import demo

PARIS = ZoneInfo("Europe/Paris")


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, tzinfo=PARIS)


def test_seeded_in_the_morning_the_demo_ends_yesterday():
    with timezone.override(PARIS), mock.patch("trial.demo.timezone.now", return_value=_at(7, 30)):
        today = demo.demo_today()
    assert today == date(2026, 3, 1)
    # The latest moment the demo places on a day of its own is past.
    latest = datetime.combine(today, time(11, 15), tzinfo=PARIS)
    assert latest < _at(7, 30)


def test_seeded_in_the_afternoon_the_demo_ends_today():
    with timezone.override(PARIS), mock.patch("trial.demo.timezone.now", return_value=_at(13, 0)):
        assert demo.demo_today() == date(2026, 3, 2)
    assert time(11, 15) < demo.DEMO_DAY_FROM
