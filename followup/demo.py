"""Demo data of the follow-up forms (seed_demo hook). Invented values only.

Participants in follow-up get their visits (FU) and, from M3, a RECIST assessment through the
real forms and trial.actions.save_crf, following one of three courses in turn: a partial
response, stable disease, or progression at M6. Completed participants end with an EOS
"completed" at M18; withdrawn ones alternate between a death (date and cause), a withdrawal of
consent and a loss to follow-up. Each save goes through the same checks as the pages.
"""

from __future__ import annotations

import random
from typing import Any

from django.db import transaction

from followup import actions as followup_actions
from followup import selectors
from trial import actions, schedule
from trial import crf as crf_registry
from trial.demo import Journey
from trial.models import FormStatus, Participant

STAGES = ("follow_up", "follow_up_iah", "completed", "withdrawn")
# Sum of diameters as a fraction of the baseline at M3, M6, ... M18 for each course.
COURSES = {
    "PR": (0.68, 0.62, 0.60, 0.58, 0.60, 0.62),
    "SD": (0.95, 0.91, 0.93, 0.90, 0.94, 0.96),
    "PD": (0.92, 1.18, 1.30, 1.40, 1.50, 1.60),
}
COURSE_ORDER = ("PR", "SD", "PD")
# The showcase's courses are fixed: its end of study shows a progression, so every demo does.
SHOWCASE_COURSES = {"follow_up_overdue": "PR", "end_of_study": "PD"}
ENDINGS = ("death", "withdrew_consent", "lost_to_follow_up")
# One follow-up participant in this many misses M1 (marked missed with a reason).
MISSED_M1_EVERY = 5


def has_imaging(journey: Journey) -> bool:
    """A follow-up participant whose M3 came: their RECIST assessments start there."""
    return journey.stage in STAGES and "M3" in journey.done_events


def ends_early(journey: Journey) -> bool:
    """A follow-up participant whose end of study came before M18's completion."""
    return journey.stage in STAGES and journey.stage != "completed" and "EOS" in journey.done_events


# Counted over the demo's plan (trial.registry.DemoHooks.turns), not over what is stored: the
# participants may be filled in any order.
TURNS = (("recist_course", has_imaging), ("early_end", ends_early))


def next_course(journey: Journey) -> str:
    """PR, SD, PD in turn over the participants with follow-up imaging, so that even a small
    demo shows all three."""
    return COURSE_ORDER[journey.turns.get("recist_course", 0) % len(COURSE_ORDER)]


def next_ending(journey: Journey) -> str:
    """The first withdrawn participant dies; the next ones withdraw consent or are lost."""
    return ENDINGS[journey.turns.get("early_end", 0) % len(ENDINGS)]


def fill(participant: Participant, journey: Journey, rng: random.Random, user: Any) -> None:
    if journey.stage not in STAGES:
        return
    with transaction.atomic():
        _fill(participant, journey, rng, user)


def _save(user: Any, row: FormStatus, participant: Participant, values: dict, groups=None):
    participant.refresh_from_db()
    row.refresh_from_db()
    form = crf_registry.bind(row, participant, crf_registry.post_data(values, groups))
    if not form.is_valid():  # a bug in this generator: say which
        raise ValueError(f"Demo {row.form} {row.event} invalid for {participant}: {form.errors}")
    actions.save_crf(user, row, form.crf_data(), expected_version=row.version)


# In the stable course, the first target lesion splits from M12 on and, from M15, the second
# merges into it (RECIST 1.1 section 4.3.2): the sums stay those of the course, and the demo
# and its SDTM package show both states.
SPLIT_FROM, MERGED_FROM = 12, 15


def _split_and_merge(sizes: list[dict[str, Any]], month: int) -> None:
    if month >= SPLIT_FROM and sizes:
        sizes[0]["state"] = "split"
    if month >= MERGED_FROM and len(sizes) > 1:
        first, second = sizes[0], sizes[1]
        first["size_mm"] = round(first["size_mm"] + second["size_mm"], 1)
        second.update(present="", size_mm="", state="merged", merged_into=f"T{first['number']}")


def _fill(participant: Participant, journey: Journey, rng: random.Random, user: Any) -> None:
    rows = {
        (row.event, row.form): row
        for row in participant.forms.filter(form__in=("FU", "RECIST", "EOS"), repeat=1)
    }
    baseline = selectors.baseline_of(participant)
    course = COURSES[SHOWCASE_COURSES.get(journey.showcase) or next_course(journey)]
    weight = rng.randint(55, 90)
    for index, month in enumerate(schedule.FOLLOW_UP_MONTHS):
        event = f"M{month}"
        if event not in journey.done_events or (event, "FU") not in rows:
            continue
        day = journey.dates[event]
        if month == 1 and participant.sequence % MISSED_M1_EVERY == 0:
            followup_actions.mark_visit_missed(user, participant, event, "patient hospitalised")
            continue
        visit = {
            "visit_date": day,
            "ecog": rng.choice((0, 0, 1, 1, 2)),
            "systolic_bp": rng.randint(110, 145),
            "diastolic_bp": rng.randint(65, 88),
            "heart_rate": rng.randint(60, 90),
            "weight_kg": weight + rng.randint(-2, 2),
            "missed": "False",
        }
        _save(user, rows[(event, "FU")], participant, visit)
        if month < 3 or baseline is None or not baseline["targets"]:
            continue
        fraction = course[index - 1]
        sizes = [
            {
                "number": t["number"],
                "present": "True",
                "size_mm": max(round(float(t["diameter_mm"]) * fraction, 1), 1.0),
            }
            for t in baseline["targets"]
        ]
        if course is COURSES["SD"]:
            _split_and_merge(sizes, month)
        progressed = fraction > 1.1
        values = {
            "imaging_date": day,
            "non_target_status": ("NON-CR/NON-PD" if baseline["non_targets"] else "NONE"),
            "new_lesions": str(progressed and month >= 9),
            "new_lesion_site": "liver segment II" if progressed and month >= 9 else "",
            "unequivocal_progression": "False",
        }
        _save(user, rows[(event, "RECIST")], participant, values, {"measurements": sizes})
    if "EOS" in journey.done_events and ("EOS", "EOS") in rows:
        end = journey.dates["EOS"]
        if journey.stage == "completed":
            values = {"status": "completed", "end_date": end}
        else:
            ending = next_ending(journey)
            values = {"status": ending, "end_date": end}
            if ending == "death":
                values.update(death_date=end, death_cause="hepatic failure (disease progression)")
        _save(user, rows[("EOS", "EOS")], participant, values)
