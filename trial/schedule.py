"""The trial's visit schedule as plain data (PROTOCOL.md section 2), and the windows it implies.

Pure Python: no Django import, so the rules of the journey are testable on their own and one
place says them. Event dates come from the participant's forms (Participant.event_dates).
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta


def gettext_noop(message: str) -> str:
    """Marks a label for the French catalogue (makemessages reads this name); the label is
    translated where it is shown (form_label, Event.label), so this module imports no Django."""
    return message


# How a label is put in the reader's language: trial.apps installs Django's gettext at start;
# without Django (the pure tests) labels stay in English.
_translate: Callable[[str], str] = gettext_noop


def set_translator(translate: Callable[[str], str]) -> None:
    global _translate
    _translate = translate


# Form codes and their labels. An app registers a data model and a form class for a code
# (trial/crf.py); a code with nothing registered yet is shown as "not available yet".
FORMS: dict[str, str] = {
    "CONSENT": gettext_noop("Informed consent"),
    "DEMOG": gettext_noop("Demographics"),
    "DISEASE": gettext_noop("Disease history"),
    "CARDIO": gettext_noop("Cardiovascular history"),
    "IAHCI": gettext_noop("IAH contraindications and Child-Pugh"),
    "REPRO": gettext_noop("Reproduction and administrative"),
    "IMAGING": gettext_noop("Inclusion imaging and RECIST baseline"),
    "VITALS": gettext_noop("Vital signs and ECOG"),
    "LAB": gettext_noop("Laboratory panel"),
    "ELIGSIGN": gettext_noop("Eligibility sign-off"),
    "CYCLE": gettext_noop("IV LUTATHERA cycle"),
    "PETLES": gettext_noop("PET index lesions"),
    "PET_IAH": gettext_noop("68Ga PET after IAH injection"),
    "PET_IV": gettext_noop("68Ga PET after IV injection"),
    "GATE": gettext_noop("Enhancement-ratio gate decision"),
    "IAHDOSE": gettext_noop("IAH LUTATHERA dose"),
    "DOSI": gettext_noop("SPECT/CT dosimetry"),
    "FU": gettext_noop("Follow-up visit"),
    "RECIST": gettext_noop("Follow-up imaging (RECIST 1.1)"),
    "EOS": gettext_noop("End of study"),
    "AE": gettext_noop("Adverse event"),
    "CM": gettext_noop("Concomitant medication"),
}


def form_label(code: str) -> str:
    """A form's label in the reader's language (the code itself for an unknown form)."""
    label = FORMS.get(code)
    return _translate(label) if label is not None else code


# Journey statuses (Participant.status); the schedule decides which events apply to each.
SCREENING = "screening"
ENROLLED = "enrolled"
SCREEN_FAILURE = "screen_failure"
FOLLOW_UP = "follow_up"
COMPLETED = "completed"
WITHDRAWN = "withdrawn"

PROCEED = "proceed"

# Defaults named once (PROTOCOL.md section 2).
CYCLE_INTERVAL = timedelta(weeks=8)
CYCLE_TOLERANCE = timedelta(weeks=1)
PET_IAH_LATEST_AFTER_C4 = timedelta(weeks=8)
PET_IV_LATEST_AFTER_IAH = timedelta(days=28)
IAH_DOSE_TARGET_AFTER_C4 = timedelta(weeks=8)
IAH_DOSE_EARLY = timedelta(weeks=1)
IAH_DOSE_LATE = timedelta(weeks=4)
DOSIMETRY_SPAN = timedelta(hours=168 + 24)
# Our reading: eligibility sign-off belongs between C4 and the last day PET-IAH is allowed,
# since PET-IAH needs an enrolled participant.
ELIG_LATEST_AFTER_C4 = PET_IAH_LATEST_AFTER_C4
FOLLOW_UP_MONTHS = (1, 3, 6, 9, 12, 15, 18)


def follow_up_tolerance(month: int) -> timedelta:
    if month == 1:
        return timedelta(days=7)
    if month <= 6:
        return timedelta(days=14)
    return timedelta(days=30)


@dataclass(frozen=True)
class Event:
    code: str
    # The English name, as the exports (ODM) and the tests name the event.
    name: str
    forms: tuple[str, ...]
    phase: str  # screening | treatment | imaging | follow-up | log
    # The month of a follow-up visit, whose name is built from it.
    month: int | None = None

    @property
    def label(self) -> str:
        """The name in the reader's language."""
        if self.month is not None:
            return _translate(FOLLOW_UP_LABEL) % {"month": self.month}
        return _translate(self.name)


FOLLOW_UP_LABEL = gettext_noop("Follow-up month %(month)s")


EVENTS: tuple[Event, ...] = (
    Event(
        "SCR",
        gettext_noop("Screening"),
        ("CONSENT", "DEMOG", "DISEASE", "CARDIO", "IAHCI", "REPRO", "IMAGING"),
        "screening",
    ),
    Event("C1", gettext_noop("IV cycle 1"), ("CYCLE", "LAB"), "treatment"),
    Event("C2", gettext_noop("IV cycle 2"), ("CYCLE", "LAB"), "treatment"),
    Event("C3", gettext_noop("IV cycle 3"), ("CYCLE", "LAB"), "treatment"),
    Event("C4", gettext_noop("IV cycle 4"), ("CYCLE", "LAB"), "treatment"),
    Event("ELIG", gettext_noop("Eligibility"), ("VITALS", "LAB", "ELIGSIGN"), "screening"),
    Event(
        "PET-IAH", gettext_noop("68Ga PET after IAH injection"), ("PETLES", "PET_IAH"), "imaging"
    ),
    Event("PET-IV", gettext_noop("68Ga PET after IV injection"), ("PET_IV",), "imaging"),
    Event("GATE", gettext_noop("Enhancement-ratio gate"), ("GATE",), "imaging"),
    Event("IAH", gettext_noop("5th dose by IAH infusion"), ("LAB", "IAHDOSE"), "treatment"),
    Event("DOSI", gettext_noop("SPECT/CT dosimetry"), ("DOSI",), "imaging"),
    *(
        Event(
            f"M{m}",
            FOLLOW_UP_LABEL % {"month": m},
            ("FU", "LAB") + (("RECIST",) if m >= 3 else ()),
            "follow-up",
            month=m,
        )
        for m in FOLLOW_UP_MONTHS
    ),
    Event("EOS", gettext_noop("End of study"), ("EOS",), "follow-up"),
)
EVENTS_BY_CODE: dict[str, Event] = {e.code: e for e in EVENTS}
EVENT_ORDER: dict[str, int] = {e.code: i for i, e in enumerate(EVENTS)}
# Repeating forms recorded at any time, outside the timeline.
LOG_EVENT = "LOG"
LOG_FORMS: tuple[str, ...] = ("AE", "CM")


@dataclass(frozen=True)
class Window:
    opens: date | None
    target: date | None
    closes: date | None


@dataclass(frozen=True)
class PlannedEvent:
    event: Event
    window: Window
    actual: date | None

    @property
    def code(self) -> str:
        return self.event.code

    def is_overdue(self, today: date) -> bool:
        return self.actual is None and self.window.closes is not None and today > self.window.closes

    def is_open(self, today: date) -> bool:
        w = self.window
        return (w.opens is not None and w.opens <= today) and (
            w.closes is None or today <= w.closes
        )


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _around(target: date | None, before: timedelta, after: timedelta) -> Window:
    if target is None:
        return Window(None, None, None)
    return Window(target - before, target, target + after)


def applicable_events(status: str, gate_decision: str, dates: dict[str, date]) -> list[Event]:
    """Which events this participant's journey includes, in order.

    Screen failures stop at ELIG; IAH and DOSI only follow a "proceed" gate; a withdrawn
    participant keeps what they did and gets an end-of-study form.
    """
    codes = ["SCR", "C1", "C2", "C3", "C4"]
    if status in (SCREEN_FAILURE,):
        return [EVENTS_BY_CODE[c] for c in codes + ["ELIG"]]
    codes.append("ELIG")
    # PET-IAH needs an enrolled participant: nothing after ELIG applies before enrolment.
    if status in (ENROLLED, FOLLOW_UP, COMPLETED, WITHDRAWN):
        codes += ["PET-IAH", "PET-IV", "GATE"]
        if gate_decision == PROCEED:
            codes += ["IAH", "DOSI"]
        codes += [f"M{m}" for m in FOLLOW_UP_MONTHS] + ["EOS"]
    if status == WITHDRAWN:
        done = [c for c in codes if c in dates]
        codes = [c for c in codes if c in done] + ["EOS"]
        codes = list(dict.fromkeys(codes))
    return [EVENTS_BY_CODE[c] for c in codes]


def plan(
    status: str,
    gate_decision: str,
    dates: dict[str, date],
    *,
    screening_date: date,
    enrolment_date: date | None = None,
) -> list[PlannedEvent]:
    """The participant's events with their windows, computed from the dates known so far."""
    return list(
        _plan(status, gate_decision, tuple(sorted(dates.items())), screening_date, enrolment_date)
    )


# A pure function of its arguments, which are the whole key: a participant whose status or
# dates change gets a new plan at once. Remembered because the participant list plans fifty
# participants a page, and their plans rarely change between two readings of it; the events
# and windows it returns are frozen, so the callers share them safely.
@functools.lru_cache(maxsize=8192)
def _plan(
    status: str,
    gate_decision: str,
    date_items: tuple[tuple[str, date], ...],
    screening_date: date,
    enrolment_date: date | None,
) -> tuple[PlannedEvent, ...]:
    dates = dict(date_items)
    windows: dict[str, Window] = {"SCR": Window(screening_date, screening_date, screening_date)}
    windows["C1"] = Window(None, dates.get("C1"), None)  # standard of care, before or at screening
    for n in (2, 3, 4):
        prev = dates.get(f"C{n - 1}")
        windows[f"C{n}"] = _around(
            prev + CYCLE_INTERVAL if prev else None, CYCLE_TOLERANCE, CYCLE_TOLERANCE
        )
    c4 = dates.get("C4")
    windows["ELIG"] = (
        Window(c4 + timedelta(days=1), c4 + timedelta(weeks=4), c4 + ELIG_LATEST_AFTER_C4)
        if c4
        else Window(None, None, None)
    )
    windows["PET-IAH"] = (
        Window(enrolment_date or c4, enrolment_date or c4, c4 + PET_IAH_LATEST_AFTER_C4)
        if c4
        else Window(None, None, None)
    )
    pet_iah = dates.get("PET-IAH")
    windows["PET-IV"] = (
        Window(pet_iah, pet_iah, pet_iah + PET_IV_LATEST_AFTER_IAH)
        if pet_iah
        else Window(None, None, None)
    )
    pet_iv = dates.get("PET-IV")
    iah_target = c4 + IAH_DOSE_TARGET_AFTER_C4 if c4 else None
    windows["GATE"] = (
        Window(pet_iv, pet_iv, iah_target + IAH_DOSE_LATE)
        if pet_iv and iah_target
        else Window(None, None, None)
    )
    windows["IAH"] = _around(iah_target, IAH_DOSE_EARLY, IAH_DOSE_LATE)
    iah = dates.get("IAH")
    windows["DOSI"] = Window(iah, iah, iah + DOSIMETRY_SPAN) if iah else Window(None, None, None)
    anchor = iah if gate_decision == PROCEED else pet_iv
    for m in FOLLOW_UP_MONTHS:
        target = add_months(anchor, m) if anchor else None
        tol = follow_up_tolerance(m)
        windows[f"M{m}"] = _around(target, tol, tol)
    windows["EOS"] = windows["M18"]

    return tuple(
        PlannedEvent(event, windows[event.code], dates.get(event.code))
        for event in applicable_events(status, gate_decision, dates)
    )


def next_due(planned: list[PlannedEvent], done_events: set[str]) -> PlannedEvent | None:
    """The first applicable event not yet done: what the nurse should do next."""
    for p in planned:
        if p.code not in done_events:
            return p
    return None
