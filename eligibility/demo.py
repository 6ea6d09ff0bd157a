"""Demo data of the screening forms (seed_demo hook). Invented values only."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from eligibility.forms import DemographicsForm
from trial import actions
from trial.demo import Journey
from trial.models import Participant


def fill(participant: Participant, journey: Journey, rng: random.Random, user: Any) -> None:
    row = participant.forms.get(event="SCR", form="DEMOG")
    sex = rng.choice("FM")
    data = {
        "crf-birth_date": (
            journey.screening_date - timedelta(days=rng.randint(35 * 365, 78 * 365))
        ).isoformat(),
        "crf-sex": sex,
        "crf-height_cm": str(rng.randint(152, 172) if sex == "F" else rng.randint(163, 188)),
        "crf-weight_kg": str(rng.randint(50, 85) if sex == "F" else rng.randint(60, 98)),
    }
    form = DemographicsForm(data, prefix="crf")
    if not form.is_valid():  # a bug in this generator, not in the data: say which
        raise ValueError(f"Demo demographics invalid for {participant}: {form.errors.as_text()}")
    actions.save_crf(user, row, form, expected_version=row.version)
