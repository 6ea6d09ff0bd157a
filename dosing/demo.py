"""Demo data of the dosing forms (seed_demo hook). Invented values only.

Every form goes through its form class and trial.actions.save_crf, so the demo obeys the same
checks as the pages. Kept cheap: one query for the participant's rows, then one save per form.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from dosing import actions as dosing_actions
from dosing.forms import AeForm, CmForm, CycleForm, IahDoseForm, LabForm
from trial import actions, registry, schedule
from trial import crf as crf_registry
from trial import demo as trial_demo
from trial.calculations import age_in_years
from trial.demo import Journey, demo_today
from trial.models import FormStatus, Participant

CYCLES = ("C1", "C2", "C3", "C4")
# The panels of the IAH dose and of the follow-up visits: about 15 % of this hook's saves.
# Switch off if seed_demo outgrows its time budget (their events then show the panel to do).
FILL_LATER_LABS = True
LATER_LAB_EVENTS = ("IAH", *(f"M{m}" for m in schedule.FOLLOW_UP_MONTHS))
# Lymphocyte counts (G/L) landing in each CTCAE grade with an LLN of 1.0 G/L.
LYMPHOCYTES_G_L_BY_GRADE = {0: (1.1, 2.4), 1: (0.85, 0.95), 2: (0.55, 0.75), 3: (0.25, 0.45)}


def fill(participant: Participant, journey: Journey, rng: random.Random, user: Any) -> None:
    # One transaction per participant: each save_crf becomes a savepoint instead of a commit,
    # so a few thousand saves do not each wait for a WAL flush.
    with transaction.atomic():
        _fill(participant, journey, rng, user)


def _fill(participant: Participant, journey: Journey, rng: random.Random, user: Any) -> None:
    today = demo_today()
    rows = {
        (row.event, row.form): row
        for row in participant.forms.filter(form__in=("LAB", "CYCLE"), repeat=1)
    }
    # Sites report in their own units: BDX in G/L and µmol/L, TLS in /mm3 and mg/dL.
    per_mm3 = participant.site.code == "TLS"
    person = _Person(rng, per_mm3, _creatinine_ceiling(participant))
    lymphopenia: list[tuple[date, int]] = []

    for event in CYCLES:
        if event not in journey.done_events:
            continue
        day = journey.dates[event]
        sample = day - timedelta(days=rng.randint(1, 6))
        lab_values = person.panel(sample, lymphopenia_grade=rng.choice((0, 0, 0, 1, 2, 3)))
        _save(user, participant, rows[(event, "LAB")], LabForm, lab_values, lymphopenia)
        cycle = person.cycle(day)
        # A few screen failures show no residual uptake after C4 (an exclusion criterion).
        if event == "C4" and journey.stage == "screen_failure" and rng.random() < 0.3:
            cycle["residual_uptake"] = "False"
        _save(user, participant, rows[(event, "CYCLE")], CycleForm, cycle)

    if journey.stage == "screening":
        # The next cycle's pre-cycle panel is often back already; one in three shows a grade 3
        # neutropenia, so the demo's next cycle page advises withholding the dose.
        upcoming = next((e for e in CYCLES if e not in journey.done_events), None)
        if upcoming and rng.random() < 0.6:
            sample = today - timedelta(days=rng.randint(0, 3))
            values = person.panel(sample, neutropenia_g3=rng.random() < 1 / 3)
            _save(user, participant, rows[(upcoming, "LAB")], LabForm, values, lymphopenia)

    elig_sample = _eligibility_sample(journey, today, rng)
    if elig_sample is not None and ("ELIG", "LAB") in rows:
        _save(user, participant, rows[("ELIG", "LAB")], LabForm, person.panel(elig_sample), [])

    for event in LATER_LAB_EVENTS if FILL_LATER_LABS else ():
        if event in journey.done_events and (event, "LAB") in rows:
            sample = journey.dates[event] - timedelta(days=rng.randint(0, 3))
            values = person.panel(sample, lymphopenia_grade=rng.choice((0, 0, 1, 1, 2)))
            _save(user, participant, rows[(event, "LAB")], LabForm, values, lymphopenia)

    _adverse_events(participant, journey, rng, user, lymphopenia, today)
    if trial_demo.UNREPORTED_SAE in journey.extras:
        _unreported_sae(participant, user, today)
    _iah_dose(participant, journey, rng, user)
    _adverse_events_after_iah(participant, journey, user, today)


# Creatinine kept low enough for a Cockcroft-Gault clearance of at least this (with the 8 %
# noise), so that the participants the eligibility demo signs as eligible pass criterion I6.
DEMO_MIN_CLEARANCE_ML_MIN = 65
DEMO_MIN_CREATININE_UMOL_L = 45


def _creatinine_ceiling(participant: Participant) -> float:
    provider = registry.DEMOGRAPHICS.provider
    person = provider(participant) if provider else None
    if person is None or None in (person["birth_date"], person["weight_kg"]) or not person["sex"]:
        return 80.0
    age = age_in_years(person["birth_date"], timezone.localdate())
    factor = 0.85 if person["sex"] == "F" else 1.0
    mg_dl = (140 - age) * float(person["weight_kg"]) * factor / (72 * DEMO_MIN_CLEARANCE_ML_MIN)
    return max(mg_dl * 88.4, DEMO_MIN_CREATININE_UMOL_L)


def _eligibility_sample(journey: Journey, today: date, rng: random.Random) -> date | None:
    """Eligibility labs: after C4 and at most 28 days before the sign-off (or today)."""
    c4 = journey.dates.get("C4")
    if c4 is None:
        return None
    if "ELIG" in journey.done_events:
        signoff = journey.dates["ELIG"]
    elif journey.stage == "awaiting_eligibility":
        signoff = today
    else:
        return None
    earliest = max(c4 + timedelta(days=1), signoff - timedelta(days=28))
    if earliest > signoff:
        return None
    return signoff - timedelta(days=rng.randint(0, (signoff - earliest).days))


class _Person:
    """One participant's steady lab values, with a little noise from panel to panel."""

    def __init__(self, rng: random.Random, per_mm3: bool, creatinine_ceiling: float) -> None:
        self.rng = rng
        self.per_mm3 = per_mm3
        self.haemoglobin = rng.uniform(11.8, 14.5)
        self.neutrophils = rng.uniform(2.2, 5.0)  # G/L
        self.platelets = rng.uniform(150, 320)  # G/L
        self.creatinine = min(rng.uniform(60, 95), creatinine_ceiling)  # µmol/L
        self.alt = rng.uniform(12, 35)
        self.ast = rng.uniform(14, 33)
        self.bilirubin = rng.uniform(5, 14)

    def _noise(self, value: float, spread: float = 0.08) -> float:
        return value * self.rng.uniform(1 - spread, 1 + spread)

    def _count(self, g_per_l: float, name: str, lln_g_per_l: float) -> dict[str, str]:
        if self.per_mm3:
            return {
                f"{name}_entered": str(round(g_per_l * 1000)),
                f"{name}_unit": "/mm3",
                f"{name}_lln_entered": str(round(lln_g_per_l * 1000)),
            }
        return {
            f"{name}_entered": f"{g_per_l:.2f}",
            f"{name}_unit": "G/L",
            f"{name}_lln_entered": f"{lln_g_per_l:g}",
        }

    def panel(
        self, sample: date, *, lymphopenia_grade: int = 0, neutropenia_g3: bool = False
    ) -> dict[str, Any]:
        rng = self.rng
        # Lymphopenia is the commonest laboratory toxicity of 177Lu-DOTATATE; it changes no dose.
        lymphocytes = rng.uniform(*LYMPHOCYTES_G_L_BY_GRADE[lymphopenia_grade])
        neutrophils = rng.uniform(0.6, 0.9) if neutropenia_g3 else self._noise(self.neutrophils)
        values: dict[str, Any] = {
            "sample_date": sample,
            "haemoglobin_g_dl": f"{self._noise(self.haemoglobin, 0.05):.1f}",
            "haemoglobin_lln": "12",
            **self._count(neutrophils, "neutrophils", 1.8),
            **self._count(lymphocytes, "lymphocytes", 1.0),
            **self._count(self._noise(self.platelets, 0.15), "platelets", 150),
            "alt_u_l": f"{self._noise(self.alt, 0.2):.0f}",
            "alt_uln": "40",
            "ast_u_l": f"{self._noise(self.ast, 0.2):.0f}",
            "ast_uln": "40",
            "albumin_g_l": f"{rng.uniform(36, 45):.0f}",
            "prothrombin_percent": f"{rng.uniform(80, 100):.0f}",
            "inr": f"{rng.uniform(0.95, 1.15):.2f}",
        }
        creatinine, bilirubin = self._noise(self.creatinine), self._noise(self.bilirubin, 0.2)
        if self.per_mm3:
            values.update(
                creatinine_entered=f"{creatinine / 88.4:.2f}",
                creatinine_unit="mg/dL",
                creatinine_uln_entered="1.18",
                bilirubin_entered=f"{bilirubin / 17.1:.2f}",
                bilirubin_unit="mg/dL",
                bilirubin_uln_entered="1.2",
            )
        else:
            values.update(
                creatinine_entered=f"{creatinine:.0f}",
                creatinine_unit="µmol/L",
                creatinine_uln_entered="104",
                bilirubin_entered=f"{bilirubin:.0f}",
                bilirubin_unit="µmol/L",
                bilirubin_uln_entered="21",
            )
        values["_lymphopenia"] = lymphopenia_grade  # not a field: tells _save what to log as AE
        return values

    def cycle(self, day: date) -> dict[str, Any]:
        rng = self.rng
        return {
            "administration_date": day,
            "prescribed_gbq": "7.4",
            "administered_gbq": f"{rng.uniform(7.1, 7.6):.2f}",
            "amino_acids": "True",
            "last_ssa_date": day - timedelta(days=rng.randint(28, 42)),
            "residual_uptake": "True",
            "dose_modification": "none",
        }


def _form_data(values: dict[str, Any]) -> dict[str, str]:
    data = {}
    for name, value in values.items():
        if name.startswith("_") or value is None or value is False:
            continue
        if value is True:
            value = "on"
        elif isinstance(value, datetime):
            value = timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
        elif isinstance(value, date):
            value = value.isoformat()
        data[f"crf-{name}"] = str(value)
    return data


def _save(
    user: Any,
    participant: Participant,
    row: FormStatus,
    form_class: type,
    values: dict[str, Any],
    lymphopenia: list[tuple[date, int]] | None = None,
) -> None:
    form = crf_registry.bind(row, participant, _form_data(values))
    if not form.is_valid():  # a bug in this generator, not in the data: say which
        raise ValueError(
            f"Demo {row.form} at {row.event} invalid for {participant}: {form.errors.as_text()}"
        )
    if row.pk is None:
        dosing_actions.record_log_entry(user, participant, row.form, form.crf_data())
    else:
        actions.save_crf(user, row, form.crf_data(), expected_version=row.version)
    grade = values.get("_lymphopenia", 0)
    if lymphopenia is not None and grade >= 3:
        lymphopenia.append((values["sample_date"], grade))


def _log_form(user: Any, participant: Participant, code: str, form_class: type, values: dict):
    _save(user, participant, actions.next_repeat(participant, code), form_class, values)


def _log_ae(user: Any, participant: Participant, values: dict) -> None:
    """A new adverse event in the participant's log."""
    _log_form(user, participant, "AE", AeForm, values)


def _adverse_events(
    participant: Participant,
    journey: Journey,
    rng: random.Random,
    user: Any,
    lymphopenia: list[tuple[date, int]],
    today: date,
) -> None:
    c1 = journey.dates.get("C1")
    if c1 is None or "C1" not in journey.done_events:
        return
    unrelated_to_iah = {
        "relationship_iah_procedure": "not_related",
        "relationship_iah_lutathera": "not_related",
    }
    if rng.random() < 0.35:
        onset = min(c1 + timedelta(days=1), today)
        end = min(onset + timedelta(days=2), today)
        _log_ae(
            user,
            participant,
            {
                "term": "Nausea",
                "grade": rng.choice((1, 1, 2)),
                "onset_date": onset,
                "end_date": end,
                "serious": "False",
                "relationship_iv_lutathera": "probable",
                **unrelated_to_iah,
                "action_taken": "dose_not_changed",
                "outcome": "recovered",
            },
        )
        if rng.random() < 0.5:
            _log_form(
                user,
                participant,
                "CM",
                CmForm,
                {
                    "name": "Ondansetron",
                    "indication": "Nausea",
                    "dose": "8 mg twice a day",
                    "route": "oral",
                    "start_date": onset,
                    "stop_date": end,
                },
            )
    if lymphopenia:
        onset, grade = lymphopenia[0]
        _log_ae(
            user,
            participant,
            {
                "term": "Lymphocyte count decreased",
                "grade": grade,
                "onset_date": onset,
                "ongoing": True,
                "serious": "False",
                "relationship_iv_lutathera": "probable",
                **unrelated_to_iah,
                "action_taken": "dose_not_changed",
                "outcome": "not_recovered",
            },
        )
    # Deterministic, so that even a small demo has an ongoing and a serious adverse event.
    if participant.sequence % 3 == 1:
        _log_ae(
            user,
            participant,
            {
                "term": "Fatigue",
                "grade": rng.choice((1, 2)),
                "onset_date": min(c1 + timedelta(days=rng.randint(2, 10)), today),
                "ongoing": True,
                "serious": "False",
                "relationship_iv_lutathera": "possible",
                **unrelated_to_iah,
                "action_taken": "dose_not_changed",
                "outcome": "not_recovered",
            },
        )
    if participant.sequence % 7 == 1 and "C2" in journey.done_events:
        onset = min(journey.dates["C2"] + timedelta(days=rng.randint(3, 12)), today)
        aware = min(timezone.make_aware(datetime.combine(onset, time(10, 30))), timezone.now())
        reported = min(aware + timedelta(hours=rng.randint(2, 20)), timezone.now())
        _log_ae(
            user,
            participant,
            {
                "term": "Abdominal pain",
                "grade": 3,
                "onset_date": onset,
                "end_date": min(onset + timedelta(days=4), today),
                "serious": "True",
                "serious_hospitalisation": True,
                "awareness_at": aware,
                "reported_to_sponsor_at": reported,
                "relationship_iv_lutathera": "possible",
                **unrelated_to_iah,
                "action_taken": "dose_not_changed",
                "outcome": "recovered",
            },
        )


def _unreported_sae(participant: Participant, user: Any, today: date) -> None:
    """The showcase's serious adverse event still to report: known since yesterday morning, so
    its 24-hour deadline has passed and the pages flag it."""
    aware = min(
        timezone.make_aware(datetime.combine(today - timedelta(days=1), time(9, 0))),
        timezone.now(),
    )
    _log_ae(
        user,
        participant,
        {
            "term": "Vomiting",
            "grade": 3,
            "onset_date": today - timedelta(days=2),
            "ongoing": True,
            "serious": "True",
            "serious_hospitalisation": True,
            "awareness_at": aware,
            "relationship_iv_lutathera": "possible",
            "relationship_iah_procedure": "not_related",
            "relationship_iah_lutathera": "not_related",
            "action_taken": "dose_not_changed",
            "outcome": "not_recovered",
        },
    )


def _iah_dose(participant: Participant, journey: Journey, rng: random.Random, user: Any) -> None:
    """The IAH dose of a participant whose gate proceeded, once its day has come."""
    row = participant.forms.filter(event="IAH", form="IAHDOSE").first()
    if row is None or "IAH" not in journey.done_events:
        return
    start = timezone.make_aware(datetime.combine(journey.dates["IAH"], time(10, 0)))
    values = {
        "infusion_date": journey.dates["IAH"],
        "infusion_start": start,
        "infusion_end": start + timedelta(minutes=rng.randint(20, 40)),
        "catheter_position": "proper_hepatic",
        "activity_before_gbq": f"{rng.uniform(7.2, 7.6):.3f}",
        "activity_before_at": start - timedelta(minutes=rng.randint(30, 90)),
        "residual_after_gbq": f"{rng.uniform(0.05, 0.3):.3f}",
        "residual_after_at": start + timedelta(minutes=rng.randint(45, 90)),
        "amino_acids": "True",
        "complications": "False",
        "confirm_unusual": True,
    }
    _save(user, participant, row, IahDoseForm, values)


def _adverse_events_after_iah(
    participant: Participant, journey: Journey, user: Any, today: date
) -> None:
    """Adverse events after the IAH dose, for the safety tables' second period: the pain and
    nausea of a hepatic arterial infusion, and for every other one a serious fever (reported
    in time). Drawn from a generator of the participant's own, so that the shared one (and with
    it every later value of the demo) stays as it was."""
    if journey.gate_decision != schedule.PROCEED or "IAH" not in journey.done_events:
        return
    rng = random.Random(f"after-iah-{participant.code}")
    iah = journey.dates["IAH"]
    related_to_iah = {
        "relationship_iv_lutathera": "not_related",
        "relationship_iah_procedure": "probable",
        "relationship_iah_lutathera": "possible",
        "action_taken": "not_applicable",
    }

    def ended(onset: date, days: int) -> dict[str, Any]:
        end = onset + timedelta(days=days)
        if end > today:
            return {"ongoing": True, "outcome": "recovering"}
        return {"end_date": end, "outcome": "recovered"}

    onset = min(iah + timedelta(days=rng.randint(0, 1)), today)
    _log_ae(
        user,
        participant,
        {
            "term": "Abdominal pain",
            "grade": rng.choice((1, 1, 2)),
            "onset_date": onset,
            "serious": "False",
            **related_to_iah,
            **ended(onset, rng.randint(2, 5)),
        },
    )
    if rng.random() < 0.5:
        onset = min(iah + timedelta(days=1), today)
        _log_ae(
            user,
            participant,
            {
                "term": "Nausea",
                "grade": rng.choice((1, 2)),
                "onset_date": onset,
                "serious": "False",
                **related_to_iah,
                "relationship_iah_lutathera": "probable",
                **ended(onset, rng.randint(1, 3)),
            },
        )
    if participant.sequence % 2 == 0 and iah + timedelta(days=10) <= today:
        onset = iah + timedelta(days=rng.randint(3, 8))
        aware = timezone.make_aware(datetime.combine(onset, time(8, 45)))
        _log_ae(
            user,
            participant,
            {
                "term": "Fever",
                "grade": 3,
                "onset_date": onset,
                "serious": "True",
                "serious_hospitalisation": True,
                "awareness_at": aware,
                "reported_to_sponsor_at": aware + timedelta(hours=rng.randint(3, 18)),
                **related_to_iah,
                "relationship_iah_procedure": "possible",
                **ended(onset, 2),
            },
        )
