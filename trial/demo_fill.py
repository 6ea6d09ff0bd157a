"""Filling seed_demo's participants, in this process or in worker processes.

Each participant's journey and values come from a random generator of their own (the
showcase's from its stage, the spread's from the seed and their index), planned here and
registered here in index order, so their codes and values are the same whatever the number
of workers and the order they finish in. Each participant is then filled in one transaction
of its own; participants share nothing while they are filled (the steps that read several,
such as a gate's count of IAH slots, run afterwards in the command, in order).
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from trial import actions, registry
from trial import demo as trial_demo
from trial.models import Participant, Site

# The apps whose demo hooks fill a participant, in the journey's order.
DEMO_APPS = ("eligibility", "dosing", "imaging", "followup")
# Below this many participants a worker's start (Django and every app imported, ~2 s) costs
# more than it saves.
PARALLEL_FROM = 100
# Workers wait on PostgreSQL part of the time: one more than the cores keeps them busy.
MAX_JOBS = 8


@dataclass
class Planned:
    """One participant to register and fill: where, by whom, their journey and generator."""

    index: int
    site: Site
    nurse: str  # the demo staff's username
    journey: trial_demo.Journey
    rng: random.Random


def plan(participants: int, seed: int, sites: list[Site], today: date) -> list[Planned]:
    """Every participant's site, nurse, journey and generator, in index order."""
    showcase = list(trial_demo.SHOWCASE_STAGES if participants >= trial_demo.SHOWCASE_FROM else ())
    spread = 0
    planned = []
    for index in range(participants):
        # A quarter at TLS, whose stages follow the index: 4 and the 9 stages share no
        # factor, so TLS sees every stage of a large enough demo.
        site = sites[1] if index % 4 == 3 else sites[0]
        nurse = "nurse" if site.code == "BDX" else "nurse2"
        if site.code == "BDX" and showcase:
            # The first BDX participants show one stage each (README, "The demo's
            # participants"), with values of their own whatever the seed.
            rng = trial_demo.showcase_rng(showcase[0])
            journey = trial_demo.plan_showcase(showcase.pop(0), today, rng)
        else:
            stage = trial_demo.stage_for(index, participants)
            if site.code == "BDX" and participants >= trial_demo.SHOWCASE_FROM:
                order = trial_demo.BDX_SPREAD_AFTER_SHOWCASE
                stage, spread = order[spread % len(order)], spread + 1
            # The participant's own generator: their values do not depend on who was filled
            # before them, so the workers may fill them in any order.
            rng = random.Random(f"{seed}-{index}")
            journey = trial_demo.plan_journey(stage, today, rng)
        planned.append(Planned(index, site, nurse, journey, rng))
    turns = {name: takes for hooks in registry.demo_hooks(DEMO_APPS) for name, takes in hooks.turns}
    trial_demo.number_turns([p.journey for p in planned], turns)
    return planned


def default_jobs(participants: int) -> int:
    """Workers for a demo of this size: one per core plus one, or none for a small demo."""
    if participants < PARALLEL_FROM:
        return 1
    return max(1, min(MAX_JOBS, (os.cpu_count() or 1) + 1))


def register(planned: list[Planned], users: dict[str, Any]) -> list[Task]:
    """Register every planned participant, in order (their codes follow the index): what is
    left to fill each of them."""
    return [
        Task(
            actions.register_participant(users[p.nurse], p.site, p.journey.screening_date).pk,
            p.nurse,
            p.journey,
            p.rng,
        )
        for p in planned
    ]


@dataclass
class Task:
    """A registered participant to fill, as a worker receives it (no model instance: a new
    process unpickles it)."""

    participant: int
    nurse: str
    journey: trial_demo.Journey
    rng: random.Random


def fill_one(task: Task, users: dict[str, Any]) -> None:
    """Fill one registered participant, in a transaction of its own."""
    nurse = users[task.nurse]
    hooks = _fill_hooks()
    # One transaction per participant: its dozens of actions commit (and flush the
    # write-ahead log) once, each still in its own write session and audit context,
    # without a savepoint each.
    with actions.batch_transaction():
        participant = Participant.objects.select_related("site").get(pk=task.participant)
        participant = actions.import_demo_journey(nurse, participant, task.journey)
        for hook in hooks:
            hook(participant, task.journey, task.rng, nurse)


def _fill_hooks() -> list[Callable[[Participant, trial_demo.Journey, random.Random, Any], None]]:
    return [h.fill for h in registry.demo_hooks(DEMO_APPS) if h.fill is not None]


def in_order(tasks: list[Task]) -> list[tuple[Participant, trial_demo.Journey]]:
    """The filled participants, read afresh, with their journeys, in index order."""
    found = Participant.objects.select_related("site").in_bulk([task.participant for task in tasks])
    return [(found[task.participant], task.journey) for task in tasks]
