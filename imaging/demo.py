"""Demo data of the imaging forms (seed_demo hook). Invented values only.

Entered through the real forms and save_crf: the index lesions and PET-IAH once it is done;
PET-IV after it, with SUVs giving a ratio above the threshold when the journey proceeds to the
IAH dose, below it otherwise; the SPECT/CT dosimetry after the IAH dose (which the dosing hook
enters before this one). Participants still "enrolled" wait for their second PET.

The gate is signed for real (sign_gate) when the eligibility signature stands and the site has
an investigator; the other decided gates are marked decided without a signature, as the
eligibility demo does for its sign-offs.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from imaging import actions as imaging_actions
from imaging import selectors
from imaging.models import REGION_KEYS, TIME_POINTS, VOLUMES
from trial import actions, roles
from trial import crf as crf_registry
from trial.demo import Journey
from trial.models import FormStatus, Participant

DEMO_INVESTIGATOR = "investigator"
WAITING_STAGE = "enrolled"


def fill(participant: Participant, journey: Journey, rng: random.Random, user: Any) -> None:
    with transaction.atomic():
        _fill(participant, journey, rng, user)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _text(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def _save(user: Any, participant: Participant, row: FormStatus, values: dict, groups: dict):
    participant.refresh_from_db()
    form = crf_registry.bind(
        row, participant, crf_registry.post_data({**values, "confirm_unusual": "on"}, groups)
    )
    if not form.is_valid():  # a bug in this generator, not in the data: say which
        raise ValueError(f"Demo {row.form} invalid for {participant}: {form.errors.as_text()}")
    actions.save_crf(user, row, form.crf_data(), expected_version=row.version)


def _pet(injection: datetime, suvs: list[tuple[float, float]], rng: random.Random, iah: bool):
    values: dict[str, Any] = {
        "radiopharmaceutical": "DOTATOC",
        "measured_activity_mbq": f"{rng.uniform(150, 200):.1f}",
        "measured_at": _text(injection - timedelta(minutes=15)),
        "residual_activity_mbq": f"{rng.uniform(3, 10):.1f}",
        "residual_at": _text(injection + timedelta(minutes=10)),
        "injection_at": _text(injection),
        "scan_start_at": _text(injection + timedelta(minutes=60)),
        "weight_kg": f"{rng.uniform(55, 90):.1f}",
    }
    if iah:
        values.update(catheter_position="proper_hepatic", angiography_complications="False")
    organs = [rng.uniform(8, 14), rng.uniform(8, 14), rng.uniform(6, 10), rng.uniform(4, 7)]
    organs.append(rng.uniform(0.8, 1.6))
    groups = {
        "lesion_suvs": [{"suv_max": f"{a:.2f}", "suv_mean": f"{b:.2f}"} for a, b in suvs],
        "organ_suvs": [{"suv_mean": f"{v * (1.4 if iah else 1):.2f}"} for v in organs],
        "extrahepatic": [{"location": "bone", "suv_max": f"{rng.uniform(5, 15):.2f}"}]
        if rng.random() < 0.3
        else [],
    }
    return values, groups


def _fill(participant: Participant, journey: Journey, rng: random.Random, user: Any) -> None:
    rows = {
        (row.event, row.form): row
        for row in participant.forms.filter(form__in=("PETLES", "PET_IAH", "PET_IV", "DOSI"))
    }
    if ("PET-IAH", "PET_IAH") not in rows:
        return
    pet_iah = journey.dates.get("PET-IAH")
    if pet_iah is None and journey.stage == WAITING_STAGE and "ELIG" in journey.dates:
        # Every waiting participant has had the first PET, so the demo shows the gate waiting.
        pet_iah = min(journey.dates["ELIG"] + timedelta(days=3), timezone.localdate())
        pet_iah -= timedelta(days=1) if pet_iah > journey.dates["ELIG"] else timedelta(0)
    if pet_iah is None:
        return
    _save(
        user,
        participant,
        rows[("PET-IAH", "PETLES")],
        {"mri_date": pet_iah - timedelta(days=10)},
        {
            "index_lesions": [
                {"segment": segment, "diameter_mm": f"{rng.uniform(12, 45):.1f}"}
                for segment in rng.sample(range(1, 9), 5)
            ]
        },
    )
    iv_max = [rng.uniform(4, 12) for _ in range(5)]
    proceed = journey.gate_decision == "proceed"
    factor = (lambda: rng.uniform(3.3, 4.6)) if proceed else (lambda: rng.uniform(1.3, 2.7))
    iah_max = [v * factor() for v in iv_max]
    iah_injection = _at(pet_iah, 8)
    suvs = [(v, v * rng.uniform(0.5, 0.7)) for v in iah_max]
    _save(user, participant, rows[("PET-IAH", "PET_IAH")], *_pet(iah_injection, suvs, rng, True))
    if journey.stage == WAITING_STAGE:
        # Waiting for the second PET: it is not dated yet.
        with transaction.atomic():
            actions.change_journey(user, participant, dates={"PET-IV": None})
        return
    if "PET-IV" not in journey.done_events:
        return
    iv_injection = _at(journey.dates["PET-IV"], 10)
    suvs = [(v, v * rng.uniform(0.5, 0.7)) for v in iv_max]
    _save(user, participant, rows[("PET-IV", "PET_IV")], *_pet(iv_injection, suvs, rng, False))
    if "DOSI" in journey.done_events and ("DOSI", "DOSI") in rows and "IAH" in journey.dates:
        # The volumes draw from a generator of their own, so the rest of the demo (every
        # later participant's journey) stays what it was before they existed.
        volumes = random.Random(f"voi-{participant.code}")
        _save(user, participant, rows[("DOSI", "DOSI")], {}, _dosimetry(journey, rng, volumes))


def _dosimetry(
    journey: Journey, rng: random.Random, volumes_rng: random.Random
) -> dict[str, list[dict]]:
    start = _at(journey.dates["IAH"], 10)
    # A bi-phasic-looking uptake: rises to 24 h in the lesions, then clears.
    peaks = {
        name: rng.uniform(20, 90) if name.startswith("act_l") else rng.uniform(30, 300)
        for name in VOLUMES
    }
    clearance = {name: rng.uniform(0.006, 0.02) for name in VOLUMES}
    rows = []
    for number, (hours, _window) in TIME_POINTS.items():
        row: dict[str, Any] = {"acquired_at": _text(start + timedelta(hours=hours))}
        for name in VOLUMES:
            rise = 0.8 if number == 1 else 1.0
            row[name] = f"{peaks[name] * rise * 2.718 ** (-clearance[name] * hours):.2f}"
        rows.append(row)
    # CT volumes (mL) in plausible ranges: lesions, healthy liver, kidneys, spleen, marrow;
    # the marrow's density entered (red marrow, 1.03 g/mL), the others at the default.
    ranges = {"act_liver": (1200, 1800), "act_kidney_l": (130, 190)}
    ranges |= {"act_kidney_r": (130, 190), "act_spleen": (150, 260), "act_marrow": (800, 1100)}
    volumes = [
        {
            "volume_ml": f"{volumes_rng.uniform(*ranges.get(name, (5, 40))):.1f}",
            "density_g_ml": "1.03" if name == "act_marrow" else "",
        }
        for name in REGION_KEYS
    ]
    return {"time_points": rows, "volumes": volumes}


def finish(created: list[tuple[Participant, Journey]]) -> None:
    """Sign each decided gate for real when it can be (the eligibility signature stands, an
    investigator of the site, a free slot for "proceed"); mark the others decided."""
    investigators = {
        user.username: user
        for user in User.objects.filter(groups__name=roles.INVESTIGATOR).order_by("username")
    }
    signer = investigators.get(DEMO_INVESTIGATOR)
    for participant, journey in created:
        if "GATE" not in journey.done_events or not journey.gate_decision:
            continue
        row = participant.forms.filter(event="GATE", form="GATE").first()
        if row is None:
            continue
        eligibility = selectors.trial_selectors.current_signature(participant, "eligibility")
        signed = False
        if signer is not None and eligibility is not None and eligibility.is_valid:
            try:
                imaging_actions.sign_gate(
                    signer,
                    settings.DEMO_PASSWORD,
                    participant,
                    journey.gate_decision,
                    on=journey.dates["GATE"],
                )
                signed = True
            except actions.ActionRefused:
                signed = False
        if not signed:
            actions.mark_complete_for_demo(None, FormStatus.objects.filter(pk=row.pk))
