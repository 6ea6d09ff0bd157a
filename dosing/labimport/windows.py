"""Which lab panel an imported result belongs to: the event whose window holds its sample date.

Lab panels belong to ELIG, each IV cycle (the pre-cycle panel), the IAH dose and each
follow-up visit. The windows are the schedule's (trial/schedule.py, computed per participant by
Participant.plan()), with one reading of ours for the panels drawn before a dose (below).
Standard library and the schedule only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from trial.schedule import PlannedEvent

# Our reading (the protocol is silent): a pre-dose panel is drawn in the two weeks before its
# dose. So a dose's panel window opens this much before the dose's own window, and once the dose
# is given it is the two weeks up to the dose day (a sample after the dose is not pre-dose).
PRE_DOSE_LEAD = timedelta(days=14)
DOSE_EVENTS = frozenset({"C1", "C2", "C3", "C4", "IAH"})
LAB_FORM = "LAB"


@dataclass(frozen=True)
class PanelWindow:
    event: str
    opens: date
    closes: date
    target: date

    def holds(self, day: date) -> bool:
        return self.opens <= day <= self.closes


def panel_windows(plan: Iterable[PlannedEvent]) -> list[PanelWindow]:
    """The sampling window of each event of the plan that has a lab panel and a known window,
    in the plan's order."""
    windows = []
    for planned in plan:
        if LAB_FORM not in planned.event.forms:
            continue
        window = planned.window
        if planned.code in DOSE_EVENTS and planned.actual is not None:
            windows.append(
                PanelWindow(
                    planned.code, planned.actual - PRE_DOSE_LEAD, planned.actual, planned.actual
                )
            )
            continue
        if window.opens is None or window.closes is None:
            continue
        opens = window.opens - PRE_DOSE_LEAD if planned.code in DOSE_EVENTS else window.opens
        windows.append(
            PanelWindow(planned.code, opens, window.closes, window.target or window.opens)
        )
    return windows


def target_event(windows: Iterable[PanelWindow], sample: date) -> str | None:
    """The event whose panel window holds the sample date; where windows overlap, the one whose
    target date is nearest (then the earlier event). None: the date falls in no window."""
    best: tuple[int, int, str] | None = None
    for order, window in enumerate(windows):
        if not window.holds(sample):
            continue
        rank = (abs((sample - window.target).days), order, window.event)
        if best is None or rank < best:
            best = rank
    return best[2] if best else None
