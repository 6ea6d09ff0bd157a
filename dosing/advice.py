"""The label's dose advice for the next LUTATHERA dose (C2-C4, and the IAH dose), from the data.

dosing.calculations.dose_advice does the science; this module gathers its inputs: the latest lab
panel (this event's, or the latest one entered before it), the earliest panel as the renal
baseline, the Cockcroft-Gault clearance from Demographics, and the cycle history. Three queries.
It is advice: the nurse records what was actually given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dosing import calculations as calc
from dosing import ctcae, labs
from dosing.models import CycleAdministration, DoseModification, LabPanel, ModificationReason
from trial import registry, schedule
from trial.calculations import (
    CLEARANCE_PLACES,
    age_in_years,
    cockcroft_gault,
    exact,
    shown_against,
)
from trial.languages import shown_date
from trial.models import FormState, Participant

CYCLE_NUMBERS = {"C1": 1, "C2": 2, "C3": 3, "C4": 4}
# Events whose dose gets advice: the cycles after the first, and the IAH dose.
ADVISED_EVENTS = ("C2", "C3", "C4", "IAH")

HEADLINES: dict[str, Promise] = {
    "give": _("Give %(gbq)s GBq"),
    "reduce": _("Give the reduced %(gbq)s GBq dose"),
    "withhold": _("Withhold the dose, then give %(gbq)s GBq"),
    "stop": _("Stop LUTATHERA for good"),
}


# The words of each dosing.calculations advice Message (its key), in the user's language. The
# English is the same as calculations' own rule text, which stays the record.
ADVICE_TEXTS: dict[str, Promise] = {
    "haematology": _("%(term)s grade %(grade)s (%(value)s%(unit)s)"),
    "renal_clearance_low": _(
        "renal toxicity (creatinine clearance %(clearance)s mL/min, below 40)"
    ),
    "renal_clearance_fall": _(
        "renal toxicity (creatinine clearance %(clearance)s mL/min, at least 40 %% below "
        "baseline %(baseline)s)"
    ),
    "renal_creatinine_rise": _(
        "renal toxicity (creatinine %(creatinine)s µmol/L, at least 40 %% above "
        "baseline %(baseline)s)"
    ),
    "hepatic_bilirubin": _(
        "hepatotoxicity (bilirubin %(bilirubin)s µmol/L, above 3 x ULN %(uln)s)"
    ),
    "hepatic_albumin_inr": _(
        "hepatotoxicity (albumin %(albumin)s g/L below 30 with INR %(inr)s above 1.5)"
    ),
    "wait_grade": _("%(what)s, withhold until grade %(grades)s"),
    "wait_resolved": _("%(what)s, withhold until resolved"),
    "lymphocytes_alone": _("%(term)s grade %(grade)s alone does not change the dose."),
    "missing": _("Not available: %(names)s; check before dosing."),
    "stop_recurred": _(
        "Stop LUTATHERA for good: toxicity recurred after a reduced dose (%(found)s)."
    ),
    "stop_delay": _(
        "Stop LUTATHERA for good: the delay for toxicity has reached 16 weeks "
        "(%(weeks)s weeks since the last dose)."
    ),
    "stop_delay_found": _(
        "Stop LUTATHERA for good: the delay for toxicity has reached 16 weeks "
        "(%(weeks)s weeks since the last dose; %(found)s)."
    ),
    "withhold": _("Withhold the dose: %(until)s; then give %(gbq)s GBq."),
    "reduce_previous": _(
        "No dose-modifying toxicity, but a previous dose was reduced for toxicity: "
        "give the reduced %(gbq)s GBq dose."
    ),
    "reduce_previous_partial": _(
        "No dose-modifying toxicity in the results available, but a previous dose was reduced "
        "for toxicity: give the reduced %(gbq)s GBq dose."
    ),
    "reduce_withheld": _(
        "No dose-modifying toxicity, but this dose was withheld for a toxicity that has now "
        "resolved: give the reduced %(gbq)s GBq dose."
    ),
    "reduce_withheld_partial": _(
        "No dose-modifying toxicity in the results available, but this dose was withheld for a "
        "toxicity that has now resolved: give the reduced %(gbq)s GBq dose."
    ),
    "give": _("No dose-modifying toxicity: give the full %(gbq)s GBq dose."),
    "give_partial": _(
        "No dose-modifying toxicity in the results available: give the full %(gbq)s GBq dose."
    ),
}
# What the advice could not check (dosing.calculations' names).
MISSING_NAMES: dict[str, Promise] = {
    "platelets": _("platelets"),
    "haemoglobin": _("haemoglobin"),
    "neutrophils": _("neutrophils"),
    "creatinine clearance": _("creatinine clearance"),
    "baseline creatinine clearance": _("baseline creatinine clearance"),
    "creatinine": _("creatinine"),
    "baseline creatinine": _("baseline creatinine"),
    "bilirubin": _("bilirubin"),
    "bilirubin ULN": _("bilirubin ULN"),
    "albumin": _("albumin"),
    "INR": _("INR"),
    "weeks since last dose (16-week limit not checked)": _(
        "weeks since last dose (16-week limit not checked)"
    ),
}


# Joins the findings of one advice ("…; …"): French typography wants a space before ";".
LIST_JOIN = _("%(earlier)s; %(next)s")


def _join(texts: list[str]) -> str:
    joined = ""
    for text in texts:
        joined = str(LIST_JOIN % {"earlier": joined, "next": text}) if joined else text
    return joined


def _french() -> bool:
    return (get_language() or "").split("-")[0] == "fr"


def _number(value: float) -> str:
    """As calculations writes it (7.4, 60000), with the language's decimal separator."""
    return calc._fmt(value).replace(".", formats.get_format("DECIMAL_SEPARATOR"))


# Where a CTCAE term's official English starts and ends in an advice text: `rule_html` marks
# it lang="en" for a French page's screen reader, `advice_text` drops the marks.
_ENGLISH, _END = "\x02", "\x03"


def _term(term: str, *, in_sentence: bool = False) -> str:
    """A CTCAE term as the advice shows it, its English marked: lower case inside an English
    sentence (as calculations writes it); in French its French name with the English term,
    when we have one."""
    french = _french()
    shown = ctcae.display(term, french=french)
    if in_sentence:
        shown = shown[:1].lower() + shown[1:]
    english = (term or "").strip()
    if not french or not english:
        return shown
    if shown.endswith(f"({english})"):
        return f"{shown[: -len(english) - 1]}{_ENGLISH}{english}{_END})"
    return f"{_ENGLISH}{shown}{_END}" if shown.casefold() == english.casefold() else shown


def advice_text(message: calc.Message) -> str:
    """One advice Message in the user's language."""
    return _marked(message).replace(_ENGLISH, "").replace(_END, "")


def _marked(message: calc.Message) -> str:
    """advice_text with its CTCAE terms' English between _ENGLISH and _END."""
    p = message.params
    key = message.key
    if key == "haematology":
        values = {
            "term": _term(p["term"], in_sentence=True),
            "grade": p["grade"],
            "value": _number(p["value"]),
            "unit": p["unit"],
        }
    elif key in ("wait_grade", "wait_resolved"):
        values = dict(p)
    elif key == "lymphocytes_alone":
        values = {"term": _term(p["term"]), "grade": p["grade"]}
    elif key == "missing":
        names = [str(MISSING_NAMES.get(name, name)) for name in p["names"]]
        values = {"names": ", ".join(names)}
    elif key == "stop_recurred":
        values = {"found": _join([_marked(m) for m in p["found"]])}
    elif key == "stop_delay":
        if p["found"]:
            key = "stop_delay_found"
        values = {
            "weeks": _number(p["weeks"]),
            "found": _join([_marked(m) for m in p["found"]]),
        }
    elif key == "withhold":
        until = [
            str(ADVICE_TEXTS[wait.key] % {"what": _marked(what), **wait.params})
            for what, wait in p["until"]
        ]
        values = {"until": _join(until), "gbq": _number(p["gbq"])}
    elif key in ("reduce_previous", "reduce_withheld", "give"):
        if p["partial"]:
            key = f"{key}_partial"
        values = {"gbq": _number(p["gbq"])}
    else:
        values = {name: _number(value) for name, value in p.items()}
    return str(ADVICE_TEXTS[key] % values)


@dataclass
class AdviceView:
    event: str
    advice: calc.DoseAdvice | None
    lab: LabPanel | None
    history: calc.CycleHistory
    clearance_ml_min: float | None = None
    # Grade 3 or more in the panel used: offered as adverse events.
    findings: list[dict[str, Any]] = field(default_factory=list)
    # The day the time since the last dose runs to, and whether it is the dose's own date
    # (recorded or typed) rather than today.
    as_of: date | None = None
    on_dose_date: bool = False

    @property
    def clearance_text(self) -> str:
        """The clearance with one decimal, more when one would read as the other side of the
        renal limit (39.97 is shown 39.97, never 40.0), in the reader's number format."""
        if self.clearance_ml_min is None:
            return ""
        value = shown_against(
            self.clearance_ml_min, "<", calc.RENAL_CLEARANCE_MIN_ML_MIN, CLEARANCE_PLACES
        )
        return formats.localize(value)

    @property
    def as_of_text(self) -> str:
        return shown_date(self.as_of) if self.as_of else ""

    @property
    def lab_event(self) -> str:
        return self.lab.form_status.event if self.lab else ""

    @property
    def style(self) -> str:
        """Bootstrap colour of the advice."""
        action = self.advice.action if self.advice else ""
        return {"give": "success", "reduce": "warning", "withhold": "danger", "stop": "dark"}.get(
            action, "secondary"
        )

    @property
    def rule_text(self) -> str:
        """The advice's rule in the user's language (the English is calculations' rule)."""
        if self.advice is None:
            return ""
        if not self.advice.parts:
            return self.advice.rule
        return " ".join(advice_text(part) for part in self.advice.parts)

    @property
    def rule_html(self) -> SafeString:
        """rule_text for a page: each CTCAE term's official English marked lang="en"."""
        if self.advice is None or not self.advice.parts:
            return conditional_escape(self.rule_text)
        text = str(conditional_escape(" ".join(_marked(part) for part in self.advice.parts)))
        # Escaped above; the marks are ours, never the data's.
        return mark_safe(text.replace(_ENGLISH, '<span lang="en">').replace(_END, "</span>"))

    @property
    def headline(self) -> str:
        if self.advice is None:
            return str(_("No advice: no lab panel has been entered yet."))
        gbq = _number(self.advice.activity_gbq) if self.advice.activity_gbq else ""
        return str(HEADLINES[self.advice.action] % {"gbq": gbq})


def _panels(participant: Participant) -> list[LabPanel]:
    return list(
        LabPanel.objects.filter(form_status__participant=participant, sample_date__isnull=False)
        .exclude(form_status__status=FormState.DELETED)
        .select_related("form_status")
        .order_by("sample_date", "pk")
    )


def latest_panel(panels: list[LabPanel], event: str) -> LabPanel | None:
    """This event's panel when it has been entered, else the latest one of an earlier event."""
    own = [p for p in panels if p.form_status.event == event]
    if own:
        return own[-1]
    order = schedule.EVENT_ORDER.get(event, len(schedule.EVENT_ORDER))
    earlier = [p for p in panels if schedule.EVENT_ORDER.get(p.form_status.event, 99) < order]
    return earlier[-1] if earlier else None


def _clearance(participant: Participant, panels: list[LabPanel]) -> dict[int, float]:
    """Cockcroft-Gault clearance of each panel (by pk), from Demographics (one query)."""
    provider = registry.DEMOGRAPHICS.provider
    person = provider(participant) if provider else None
    if person is None or None in (person["birth_date"], person["weight_kg"], person["sex"] or None):
        return {}
    clearances = {}
    for panel in panels:
        if panel.creatinine_umol_l and panel.sample_date:
            try:
                clearance = cockcroft_gault(
                    age_in_years(person["birth_date"], panel.sample_date),
                    float(person["weight_kg"]),
                    float(panel.creatinine_umol_l),
                    person["sex"],
                )
            except ValueError:  # an age past 140 or similar nonsense: no clearance, no advice
                continue
            # The exact value (PROTOCOL.md section 5, Thresholds: binary noise removed, no
            # display rounding): 39.97 is below 40, even if one decimal would show 40.0.
            clearances[panel.pk] = float(exact(clearance))
    return clearances


def _snapshot(panel: LabPanel, clearance: float | None) -> calc.LabSnapshot:
    def value(name: str) -> float | None:
        raw = getattr(panel, name)
        return None if raw is None else float(raw)

    return calc.LabSnapshot(
        haemoglobin_g_dl=value("haemoglobin_g_dl"),
        neutrophils_mm3=value("neutrophils_mm3"),
        platelets_mm3=value("platelets_mm3"),
        lymphocytes_mm3=value("lymphocytes_mm3"),
        creatinine_umol_l=value("creatinine_umol_l"),
        creatinine_clearance_ml_min=clearance,
        bilirubin_umol_l=value("bilirubin_umol_l"),
        bilirubin_uln=value("bilirubin_uln"),
        albumin_g_l=value("albumin_g_l"),
        inr=value("inr"),
        haemoglobin_lln=value("haemoglobin_lln"),
        neutrophils_lln=value("neutrophils_lln"),
        platelets_lln=value("platelets_lln"),
        lymphocytes_lln=value("lymphocytes_lln"),
    )


def cycle_history(
    cycles: list[CycleAdministration], event: str, dose_date: date
) -> calc.CycleHistory:
    """What the advice needs from the cycles before `event` (all four for the IAH dose)."""
    number = CYCLE_NUMBERS.get(event, 5)
    before = [c for c in cycles if CYCLE_NUMBERS.get(c.form_status.event, 9) < number]
    previous_reduced = any(
        c.dose_modification == DoseModification.REDUCED
        and c.modification_reason == ModificationReason.TOXICITY
        for c in before
    )
    given = [
        c.administration_date
        for c in before
        if c.administration_date and c.dose_modification != DoseModification.CANCELLED
    ]
    weeks = (dose_date - max(given)).days / 7 if given else None
    this = next((c for c in cycles if c.form_status.event == event), None)
    withheld = bool(
        this
        and this.dose_modification == DoseModification.DELAYED
        and this.modification_reason == ModificationReason.TOXICITY
    )
    return calc.CycleHistory(
        previous_reduced=previous_reduced,
        weeks_since_last_dose=weeks,
        withheld_for_toxicity=withheld,
    )


def advice_for(
    participant: Participant, event: str, *, dose_date: date | None = None
) -> AdviceView:
    """The label's advice for the dose of `event` (C2-C4 or IAH), with what it was based on.

    dose_date: the day of the dose, for the time since the last one; by default this cycle's
    recorded administration date, else today.
    """
    panels = _panels(participant)
    cycles = list(
        CycleAdministration.objects.filter(
            form_status__participant=participant, form_status__form="CYCLE"
        ).select_related("form_status")
    )
    this = next((c for c in cycles if c.form_status.event == event), None)
    dose_day = dose_date or (this.administration_date if this else None)
    on = dose_day or timezone.localdate()
    history = cycle_history(cycles, event, on)
    latest = latest_panel(panels, event)
    if latest is None:
        return AdviceView(event, None, None, history, as_of=on, on_dose_date=bool(dose_day))
    clearances = _clearance(participant, panels)
    baseline_panel = panels[0]
    baseline = calc.LabSnapshot(
        creatinine_umol_l=(
            float(baseline_panel.creatinine_umol_l)
            if baseline_panel.creatinine_umol_l is not None
            else None
        ),
        creatinine_clearance_ml_min=clearances.get(baseline_panel.pk),
    )
    advice = calc.dose_advice(
        _snapshot(latest, clearances.get(latest.pk)), baseline=baseline, history=history
    )
    earlier = [
        p
        for p in panels
        if p.sample_date and latest.sample_date and p.sample_date < latest.sample_date
    ]
    grades = labs.grades(
        labs.panel_values(latest), labs.panel_values(earlier[0]) if earlier else None
    )
    findings = [
        {"term": g.term, "grade": g.grade, "onset": latest.sample_date, "key": g.item.key}
        for g in grades.values()
        if g.severe
    ]
    return AdviceView(
        event,
        advice,
        latest,
        history,
        clearances.get(latest.pk),
        findings,
        as_of=on,
        on_dose_date=bool(dose_day),
    )
