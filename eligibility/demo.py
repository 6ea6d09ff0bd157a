"""Demo data of the screening forms (seed_demo hook). Invented values only.

Every participant gets the screening forms their stage implies, entered through the real forms
and save_crf; from C4 on, the eligibility vital signs too. Screen failures fail one criterion of
these forms; the "awaiting eligibility" stage leaves the ECOG out (a missing item).

Signatures: a signature re-checks the investigator's password (about 0.3 s of hashing), so only
the showcase's decided participants and the first few others of each decision are signed for
real, through the sign-off action;
the other decided ones get their ELIGSIGN slot marked complete, as seed_demo does for forms
without data. Eligible sign-offs read the IV cycles and the eligibility lab, which the dosing
app's demo hook enters after this one: they are signed at the next participant's turn.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from eligibility import actions as eligibility_actions
from eligibility import forms as f
from eligibility import rules
from eligibility.models import Decision
from trial import actions, roles
from trial import crf as crf_registry
from trial.demo import Journey, demo_today
from trial.models import FormStatus, Participant

SIGNED_PER_DECISION = 2
DEMO_INVESTIGATOR = "investigator"
DECIDED_ELIGIBLE: tuple[str, ...] = (
    "enrolled",
    "gate_proceed",
    "follow_up",
    "follow_up_iah",
    "completed",
)
DECIDED_ELIGIBLE += ("withdrawn",)
SCREENING_ONLY = ("CONSENT", "DEMOG", "DISEASE", "CARDIO", "IAHCI")
FAILURES = ("ecog", "mri", "child_pugh", "complete_response", "carcinoid_heart")

MAX_FAILED_ATTEMPTS = 5  # per decision: invented data that cannot be signed stop costing time


def fill(participant: Participant, journey: Journey, rng: random.Random, user: Any) -> None:
    today = demo_today()
    failure = rng.choice(FAILURES) if journey.stage == "screen_failure" else None
    forms = _screening_data(journey, rng, today, failure)
    rows = {
        (row.event, row.form): row
        for row in participant.forms.filter(event__in=("SCR", "ELIG"), repeat=1)
    }
    # One transaction per participant: a few hundred commits fewer for the whole demo.
    # Screening under way: part of the forms; the showcase's "in the cycles" has finished it.
    partial = journey.stage == "screening" and journey.showcase != "in_cycles"
    with transaction.atomic():
        for code, data in forms.items():
            if partial and code not in SCREENING_ONLY:
                continue
            _save(user, participant, rows[("SCR", code)], data)
        c4 = journey.dates.get("C4")
        latest = min(journey.dates.get("ELIG", today), today)
        # Eligibility follows C4: no vital signs until the day after it.
        if journey.stage != "screening" and c4 and latest > c4 and ("ELIG", "VITALS") in rows:
            vitals = _vitals(rng, c4, latest, failure)
            # The showcase's "ready to sign" has every item; the others miss one.
            draft = journey.stage == "awaiting_eligibility" and not journey.showcase
            if draft:
                vitals["ecog"] = ""  # the missing item the sign-off page points to
            _save(user, participant, rows[("ELIG", "VITALS")], vitals, complete=not draft)
    # The decision is signed in finish(), once every app has entered its data (labs, cycles).


def _save(
    user: Any, participant: Participant, row: FormStatus, data: dict, complete: bool = True
) -> None:
    form = crf_registry.bind(row, participant, crf_registry.post_data(data), complete=complete)
    if not form.is_valid():  # a bug in this generator, not in the data: say which
        errors = [str(form.errors.as_text())]
        errors += [
            str(fs.errors) + str(fs.non_form_errors()) for fs in getattr(form, "formsets", ())
        ]
        raise ValueError(f"Demo {row.form} invalid for {participant}: {' '.join(errors)}")
    actions.save_crf(user, row, form.crf_data(), expected_version=row.version, complete=complete)
    row.version += 1


def finish(created: list[tuple[Participant, Journey]]) -> None:
    """Sign a few decisions for real, by an investigator of the site; mark the others decided.

    Each signature re-checks a password, deliberately slow (about 0.3 s), so the demo signs
    SIGNED_PER_DECISION of each kind and records the rest as decided without a signature.
    """
    signed = dict.fromkeys((Decision.ELIGIBLE, Decision.SCREEN_FAILURE), 0)
    failed = dict.fromkeys(signed, 0)
    for participant, journey in created:
        decision = _decision(journey)
        if decision is None:
            continue
        on = journey.dates.get("ELIG")
        if journey.showcase and on is not None and _sign(participant, decision, on):
            continue  # the showcase's later steps (gate, dosimetry, a broken signature) need it
        wanted = signed[decision] < SIGNED_PER_DECISION and failed[decision] < MAX_FAILED_ATTEMPTS
        if wanted and on is not None and not journey.showcase:
            if _sign(participant, decision, on):
                signed[decision] += 1
                continue
            failed[decision] += 1
        _mark_decided(participant.forms.get(event="ELIG", form="ELIGSIGN"))


def _decision(journey: Journey) -> Decision | None:
    if journey.stage == "screen_failure":
        return Decision.SCREEN_FAILURE
    if journey.stage in DECIDED_ELIGIBLE:
        return Decision.ELIGIBLE
    return None


def _signer(participant: Participant) -> Any:
    """The demo investigator when the participant is at their site, else another investigator
    of that site (the demo has none at TLS: its decisions stay unsigned)."""
    investigators = User.objects.filter(
        groups__name=roles.INVESTIGATOR, memberships__site=participant.site_id
    )
    by_name = {user.username: user for user in investigators.order_by("username")}
    return by_name.get(DEMO_INVESTIGATOR) or next(iter(by_name.values()), None)


def _sign(participant: Participant, decision: str, on: date) -> bool:
    signer = _signer(participant)
    if signer is None:
        return False
    try:
        eligibility_actions.sign_eligibility(
            signer, settings.DEMO_PASSWORD, participant, decision=decision, on=on
        )
    except actions.ActionRefused:
        # Not signable as invented (e.g. the dosing demo gave a dose-limiting toxicity): the
        # slot is marked decided like the unsigned ones, and another participant is signed.
        return False
    return True


def _mark_decided(row: FormStatus) -> None:
    actions.mark_complete_for_demo(None, FormStatus.objects.filter(pk=row.pk))


# --- Invented values --------------------------------------------------------------------------


def _consent_time(day: date, rng: random.Random) -> datetime:
    moment = timezone.make_aware(datetime.combine(day, time(rng.randint(8, 11), 15)))
    if moment > timezone.now():  # registered today, before that time: consent just now
        midnight = timezone.make_aware(datetime.combine(day, time(0, 0)))
        moment = max(timezone.now() - timedelta(minutes=5), midnight)
    return moment


def _yn(value: bool) -> str:
    return "True" if value else "False"


def _screening_data(
    journey: Journey, rng: random.Random, today: date, failure: str | None
) -> dict[str, dict[str, Any]]:
    consent_day = journey.screening_date
    consent = timezone.localtime(_consent_time(consent_day, rng))
    sex = rng.choice("FM")
    birth = consent_day - timedelta(days=rng.randint(35 * 365, 78 * 365))
    diagnosis = consent_day - timedelta(days=rng.randint(500, 2500))
    ssa_start = diagnosis + timedelta(days=rng.randint(20, 120))
    progression = consent_day - timedelta(days=rng.randint(30, 330))
    invasion = rng.random() < 0.2
    grade = rng.choice(("G1", "G2", "G2", "G3"))
    ki67 = {"G1": rng.uniform(0.5, 2.5), "G2": rng.uniform(3, 18), "G3": rng.uniform(21, 35)}[grade]
    potential = sex == "F" and rng.random() < 0.3
    imaging_day = min(consent_day + timedelta(days=rng.randint(1, 6)), today)
    targets = [("liver", str(rng.randint(15, 60))), ("liver", str(rng.randint(12, 40)))]
    if rng.random() < 0.4:
        targets.append(("lymph_node", str(rng.randint(15, 25))))
    data: dict[str, dict[str, Any]] = {
        "CONSENT": {
            "consent_datetime": consent.strftime("%Y-%m-%dT%H:%M"),
            "form_version": rng.choice(("2.0", "2.1")),
            "copy_given": "True",
        },
        "DEMOG": {
            "birth_date": birth.isoformat(),
            "sex": sex,
            "height_cm": str(rng.randint(152, 172) if sex == "F" else rng.randint(163, 188)),
            "weight_kg": str(rng.randint(50, 85) if sex == "F" else rng.randint(60, 98)),
        },
        "DISEASE": {
            "diagnosis_date": diagnosis,
            "well_differentiated": "True",
            "primary_site": rng.choice(sorted(rules.GEP_PRIMARY_SITES)),
            "who_grade": grade,
            "ki67_percent": f"{ki67:.1f}",
            "functioning_syndrome": _yn(rng.random() < 0.6),
            "liver_involvement_percent": str(rng.randint(10, 70)),
            "extrahepatic_sites": rng.choice(("none", "mesenteric nodes", "bone")),
            "extrahepatic_dominant_or_threatening": "False",
            "cold_ssa_drug": rng.choice(("octreotide", "lanreotide")),
            "cold_ssa_start_date": ssa_start,
            "ssa_progression_date": max(progression, ssa_start + timedelta(days=60)),
            "hepatic_invasion_over_50": _yn(invasion),
        },
        "CARDIO": {
            "carcinoid_heart_disease": _yn(failure == "carcinoid_heart"),
            "lvef_percent": "35" if failure == "carcinoid_heart" else str(rng.randint(50, 70)),
            **{key.split(".")[1]: "False" for key in rules.CARDIO_EVENT_KEYS},
        },
        "IAHCI": {
            **{name.split(".")[1]: "False" for name in rules.IAH_CONTRAINDICATION_KEYS},
            "bilirubin_entered": "45" if failure == "child_pugh" else str(rng.randint(5, 20)),
            "bilirubin_unit": "umol/L",
            "albumin_g_l": "30" if failure == "child_pugh" else str(rng.randint(36, 46)),
            "inr": "1.9" if failure == "child_pugh" else f"{rng.uniform(0.9, 1.2):.2f}",
            "ascites": "none",
            "encephalopathy": "none",
        },
        "REPRO": {
            "childbearing_potential": "" if sex == "M" else _yn(potential),
            "contraception_method": (
                rng.choice(("iud", "implant", "combined_pill"))
                if potential
                else ("vasectomy" if sex == "M" else "")
            ),
            "pregnancy_test_result": "negative" if potential else "",
            "breast_feeding": "False" if sex == "F" else "",
            "social_security": "True",
            "legal_protection": "False",
            "able_to_consent": "True",
            "other_interventional_trial": "False",
            "mri_contraindication": _yn(failure == "mri"),
            "lutathera_contraindication": "False",
        },
        "IMAGING": {
            "ct_date": imaging_day,
            "mri_date": imaging_day,
            "liver_dominant_or_exclusive": "True",
            "resectable": "False",
            "complete_response": _yn(failure == "complete_response"),
            **_lesions(targets, ["bone"] if rng.random() < 0.3 else []),
        },
    }
    return data


def _lesions(targets: list[tuple[str, str]], non_targets: list[str]) -> dict[str, str]:
    data = {
        "target-TOTAL_FORMS": str(f.MAX_TARGET_LESIONS),
        "target-INITIAL_FORMS": "0",
        "nontarget-TOTAL_FORMS": str(len(non_targets) + 1),
        "nontarget-INITIAL_FORMS": "0",
    }
    for index, (organ, diameter) in enumerate(targets):
        data[f"target-{index}-organ"] = organ
        data[f"target-{index}-diameter_mm"] = diameter
    for index, organ in enumerate(non_targets):
        data[f"nontarget-{index}-organ"] = organ
    return data


def _vitals(rng: random.Random, c4: date, latest: date, failure: str | None) -> dict[str, Any]:
    return {
        "assessment_date": min(c4 + timedelta(days=rng.randint(1, 9)), latest),
        "systolic_bp": str(rng.randint(110, 145)),
        "diastolic_bp": str(rng.randint(65, 88)),
        "on_antihypertensive": _yn(rng.random() < 0.3),
        "heart_rate": str(rng.randint(58, 90)),
        "weight_kg": str(Decimal(rng.randint(550, 900)) / 10),
        "ecog": "3" if failure == "ecog" else str(rng.choice((0, 0, 1, 1, 2))),
    }
