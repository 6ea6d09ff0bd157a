"""Invented demo journeys for seed_demo: every stage of the trial, with realistic dates.

No real patient data: codes, dates and values are generated from a seeded random generator.
Apps add their forms' demo data through a `demo.fill(participant, journey, rng, user)` hook.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from django.utils import timezone

from trial import schedule

STAGES = (
    "screening",  # consented, cycles still running
    "awaiting_eligibility",  # C4 given, eligibility not signed
    "screen_failure",
    "enrolled",  # PET-IAH due or done
    "gate_proceed",  # IAH dose given, dosimetry done, early follow-up
    "follow_up",  # months into follow-up, no IAH dose
    "follow_up_iah",  # months into follow-up after an IAH dose
    "completed",
    "withdrawn",
)


# The demo places moments on its days up to late morning (a PET injected at 08:00 or 10:00,
# an IAH dose started at 10:00, a consent until 11:15). Seeded before this hour, the demo's
# "today" is yesterday, so that every moment it seeds is past (a form refuses a time in the
# future).
DEMO_DAY_FROM = time(12, 0)


def demo_today() -> date:
    """The demo's "today": the local date, or the day before until DEMO_DAY_FROM, so that
    every moment seeded on it is already past."""
    now = timezone.localtime()
    if now.time() < DEMO_DAY_FROM:
        return now.date() - timedelta(days=1)
    return now.date()


# The showcase: the first BDX participants, one for each stage a newcomer should find on the
# nurse's list, in the trial's order; the random spread over STAGES follows them. Each showcase
# stage is a spread stage (what the apps' hooks fill) stopped at a given step.
SHOWCASE_STAGES = (
    "screening_started",  # consented, screening forms under way, C1 not given yet
    "in_cycles",  # C1 to C3 given; a serious adverse event not yet reported
    "eligibility_ready",  # C4 given, every eligibility item entered: the sign-off to sign
    "awaiting_pets",  # eligible (signed), PET-IAH and PET-IV to do; an open query
    "gate_to_sign",  # both PETs done, the gate decision to sign
    "iah_due",  # gate passed (signed), the IAH dose to give
    "dosimetry_due",  # IAH dose given, the SPECT/CT dosimetry to enter
    "follow_up_overdue",  # in follow-up, M6 past due; the eligibility signature broken
    "end_of_study",  # completed at M18
)
# The showcase needs nine BDX participants: twelve, a quarter of them at TLS. A smaller demo
# (the tests' and benchmarks' small ones) is the random spread alone, as it always was.
SHOWCASE_FROM = 12
# What else each showcase participant carries, read by the hooks that write it.
UNREPORTED_SAE = "unreported_sae"
OPEN_QUERY = "open_query"
BROKEN_SIGNATURE = "broken_signature"
SHOWCASE_EXTRAS = {
    "in_cycles": {UNREPORTED_SAE},
    "awaiting_pets": {OPEN_QUERY},
    "follow_up_overdue": {BROKEN_SIGNATURE},
}


@dataclass
class Journey:
    stage: str
    status: str
    screening_date: date
    dates: dict[str, date] = field(default_factory=dict)
    enrolment_date: date | None = None
    gate_decision: str = ""
    done_events: set[str] = field(default_factory=set)
    # The showcase stage ("" in the random spread); `stage` is then the spread stage it stops in.
    showcase: str = ""
    extras: set[str] = field(default_factory=set)
    # How many journeys planned before this one took each turn (DemoHooks.turns).
    turns: dict[str, int] = field(default_factory=dict)


def plan_journey(
    stage: str, today: date, rng: random.Random, *, first_cycle_days: int | None = None
) -> Journey:
    """Dates of a participant at `stage` today, working back from where they stand."""
    jitter = lambda days: timedelta(days=rng.randint(-days, days))  # noqa: E731
    if first_cycle_days is not None:  # a showcase participant: C1 exactly that long ago
        c1 = today - timedelta(days=first_cycle_days)
    elif stage == "screening":
        c1 = today - timedelta(weeks=rng.choice([9, 17, 25])) + jitter(3)
    elif stage in ("awaiting_eligibility", "screen_failure"):
        c1 = today - timedelta(weeks=26) + jitter(3)
    elif stage == "enrolled":
        c1 = today - timedelta(weeks=28) + jitter(2)
    elif stage == "gate_proceed":
        c1 = today - timedelta(weeks=36) + jitter(2)
    elif stage in ("follow_up", "follow_up_iah"):
        c1 = today - timedelta(weeks=rng.choice([45, 60, 80, 100])) + jitter(5)
    elif stage == "withdrawn":
        c1 = today - timedelta(weeks=55) + jitter(5)
    else:  # completed
        c1 = today - timedelta(weeks=24 + 8 + 80) + jitter(5)
    cycles = {
        f"C{n}": c1 + timedelta(weeks=8 * (n - 1)) + jitter(3) * (n > 1) for n in (1, 2, 3, 4)
    }
    c4 = cycles["C4"]
    screening_date = min(c4 - timedelta(days=14), today)
    journey = Journey(stage, schedule.SCREENING, screening_date)
    journey.dates["SCR"] = screening_date
    for code, day in cycles.items():
        if day <= today:
            journey.dates[code] = day
    if stage == "screening":
        journey.screening_date = journey.dates["SCR"] = min(screening_date, today)
        return _done(journey, today)
    elig = c4 + timedelta(days=rng.randint(10, 20))
    if stage == "awaiting_eligibility":
        return _done(journey, today)
    if stage == "screen_failure":
        journey.status = schedule.SCREEN_FAILURE
        journey.dates["ELIG"] = elig
        return _done(journey, today)
    journey.dates["ELIG"] = elig
    journey.enrolment_date = elig
    journey.status = schedule.ENROLLED
    pet_iah = elig + timedelta(days=rng.randint(5, 15))
    if pet_iah <= today:
        journey.dates["PET-IAH"] = pet_iah
        journey.dates["PET-IV"] = pet_iah + timedelta(days=rng.randint(1, 7))
    if stage == "enrolled":
        return _done(journey, today)
    gate = journey.dates["PET-IV"] + timedelta(days=2)
    journey.dates["GATE"] = gate
    proceed = stage in ("gate_proceed", "follow_up_iah") or (
        stage == "completed" and rng.random() < 0.4
    )
    journey.gate_decision = schedule.PROCEED if proceed else "not_eligible"
    if proceed:
        iah = max(c4 + timedelta(weeks=8), gate + timedelta(days=3))
        journey.dates["IAH"] = iah
        journey.dates["DOSI"] = iah + timedelta(days=7)
        anchor = iah
    else:
        anchor = journey.dates["PET-IV"]
    journey.status = schedule.FOLLOW_UP
    for month in schedule.FOLLOW_UP_MONTHS:
        visit = schedule.add_months(anchor, month) + jitter(3)
        if visit <= today and not (stage == "withdrawn" and month > 6):
            journey.dates[f"M{month}"] = visit
    if stage == "withdrawn":
        journey.status = schedule.WITHDRAWN
        # Ended by now (never in the future), so every demo has a withdrawal to show.
        journey.dates["EOS"] = min(max(journey.dates.values()) + timedelta(days=10), today)
    if stage == "completed":
        journey.status = schedule.COMPLETED
        journey.dates["EOS"] = journey.dates.get("M18", today)
    return _done(journey, today)


def _done(journey: Journey, today: date) -> Journey:
    journey.dates = {k: v for k, v in journey.dates.items() if v <= today}
    journey.done_events = set(journey.dates)
    return journey


# Showcase stage -> (spread stage, days since C1, events left undone although their day came).
# The days put each one's next step in its window today: C4 two weeks ago for the sign-off,
# the IAH dose four days ago for the dosimetry (its window is eight days), M6 closed two weeks
# ago for the visit past due.
_SHOWCASE_PLANS: dict[str, tuple[str, int, tuple[str, ...]]] = {
    "screening_started": ("screening", -7, ()),
    "in_cycles": ("screening", 17 * 7, ()),
    "eligibility_ready": ("awaiting_eligibility", 26 * 7, ()),
    "awaiting_pets": ("enrolled", 28 * 7, ("PET-IAH", "PET-IV")),
    "gate_to_sign": ("enrolled", 30 * 7, ()),
    "iah_due": ("gate_proceed", 31 * 7, ("IAH", "DOSI", "M1")),
    "dosimetry_due": ("gate_proceed", 32 * 7 + 4, ("DOSI",)),
    "follow_up_overdue": ("follow_up_iah", 62 * 7, tuple(f"M{m}" for m in (6, 9, 12, 15, 18))),
    "end_of_study": ("completed", (24 + 8 + 80) * 7, ()),
}


def showcase_rng(showcase: str) -> random.Random:
    """A generator of the showcase participant's own: their journey and values are the same
    whatever the demo's seed and size, so the README can name them."""
    return random.Random(f"showcase-{showcase}")


def plan_showcase(showcase: str, today: date, rng: random.Random) -> Journey:
    """The journey of a showcase participant, from `showcase_rng(showcase)`."""
    stage, days, undone = _SHOWCASE_PLANS[showcase]
    journey = plan_journey(stage, today, rng, first_cycle_days=days)
    if showcase == "screening_started":  # registered three days ago, C1 next week
        journey.screening_date = journey.dates["SCR"] = today - timedelta(days=3)
    if showcase == "in_cycles":  # consented after C2, screening done: C4 is the next step
        journey.screening_date = journey.dates["SCR"] = journey.dates["C2"] + timedelta(days=14)
    if showcase == "gate_to_sign":  # both PETs done by now: the gate is the next step
        pet_iah = journey.dates.setdefault("PET-IAH", today - timedelta(days=9))
        journey.dates.setdefault("PET-IV", min(pet_iah + timedelta(days=3), today))
    if showcase == "iah_due":  # follow-up starts at the IAH dose
        journey.status = schedule.ENROLLED
    for event in undone:
        journey.dates.pop(event, None)
    journey = _done(journey, today)
    journey.showcase = showcase
    journey.extras = set(SHOWCASE_EXTRAS.get(showcase, ()))
    return journey


# After the showcase, BDX's spread takes the stages in this order: first those the showcase
# does not stop in, and a follow-up after the IAH dose as its last "in follow-up", so that the
# tests' 18-participant demo still has every stage; TLS keeps stage_for's.
BDX_SPREAD_AFTER_SHOWCASE = (
    "awaiting_eligibility",
    "withdrawn",
    "follow_up",
    "gate_proceed",
    "enrolled",
    "screen_failure",
    "completed",
    "follow_up_iah",
    "screening",
)


def stage_for(index: int, count: int) -> str:
    """Spread participants over every stage, so even a small demo shows them all."""
    return STAGES[index % len(STAGES)]


def number_turns(journeys: list[Journey], turns: dict[str, Callable[[Journey], bool]]) -> None:
    """Tell each journey, for each turn, how many journeys before it take that turn."""
    taken = dict.fromkeys(turns, 0)
    for journey in journeys:
        journey.turns = dict(taken)
        for name, takes in turns.items():
            taken[name] += takes(journey)
