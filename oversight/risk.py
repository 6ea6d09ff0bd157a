"""The risk indicators of each site and of the study, from the data read once (study.Study).

Each indicator is turned into points (oversight.indicators); the figures, their colours, the
monthly trend and the participants behind them all come from those points.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from dosing.models import SAE_REPORTING_DELAY
from oversight import indicators as ind
from oversight import memo
from oversight.study import Study
from trial import schedule

# The definitions, named once.
QUERY_AGE_DAYS = 30
LATE_ENTRY_DAYS = 10
SEVERE_LAB_GRADE = 3
# The visits whose date the form checks against the schedule's window, asking the nurse to
# confirm one outside it (trial.forms.CrfForm.outside_window): the IAH dose, the follow-up
# visits. The confirmation is not stored; the date outside the window is what it confirmed.
WINDOWED_EVENTS = frozenset({"IAH", *(f"M{m}" for m in schedule.FOLLOW_UP_MONTHS)})

SPECS: tuple[ind.Spec, ...] = (
    ind.Spec("ae_rate", ind.RATE),
    ind.Spec("sae_delay", ind.MEDIAN),
    ind.Spec("lab_grade3", ind.PERCENT),
    ind.Spec("old_queries", ind.COUNT),
    ind.Spec("entry_delay", ind.MEDIAN),
    ind.Spec("late_entries", ind.COUNT),
    ind.Spec("missed_visits", ind.PERCENT),
    ind.Spec("out_of_window", ind.PERCENT),
    ind.Spec("screen_failure", ind.PERCENT),
    ind.Spec("changes", ind.RATE),
)
SPECS_BY_KEY = {spec.key: spec for spec in SPECS}

LABELS = {
    "ae_rate": _("Adverse events per participant-month"),
    "sae_delay": _("Median hours from awareness to SAE reported"),
    "lab_grade3": _("Lab values of grade 3 or more (%)"),
    "old_queries": _("Queries open more than 30 days"),
    "entry_delay": _("Median days from visit to data entry"),
    "late_entries": _("Forms entered more than 10 days after the visit"),
    "missed_visits": _("Follow-up visits missed (%)"),
    "out_of_window": _("Visits out of window, confirmed (%)"),
    "screen_failure": _("Screen failures (%)"),
    "changes": _("Changes per 100 items after entry"),
}
# How many decimals each figure is shown with (the colour is decided on the exact value).
DECIMALS = {
    "ae_rate": 2,
    "sae_delay": 1,
    "lab_grade3": 1,
    "entry_delay": 1,
    "missed_visits": 1,
    "out_of_window": 1,
    "screen_failure": 1,
    "changes": 1,
}


def sae_points(study: Study) -> list[ind.Point]:
    """The SAE reporting delays, in hours, up to the study's moment (now, or the end of the
    cut-off day): read at each request, as a pending delay grows with time."""
    by_pk = study.by_pk
    found = []
    for ae in study.aes:
        if not ae.serious or ae.awareness_at is None:
            continue
        person = by_pk[ae.participant_id]
        reported = ae.reported_at
        if reported is None or reported > study.moment:
            # Still pending: the delay so far (a lower bound), so that an SAE never
            # reported cannot lower the median.
            reported = study.moment
        delay = (reported - ae.awareness_at).total_seconds() / 3600
        found.append(
            ind.Point(
                person.site,
                ind.month_of(ae.awareness_at.date()),
                person.code,
                delay,
                flagged=delay > SAE_REPORTING_DELAY.total_seconds() / 3600,
            )
        )
    return found


def points(study: Study) -> dict[str, list[ind.Point]]:
    """Every indicator's points but the SAE delays' (sae_points), which move with time. A
    study put together from its participants' parts (oversight.study.read) takes each
    part's points as computed with the part, and computes those of a new part only."""
    if not study.parts:
        found = _observed_points(study)
    else:
        found = {spec.key: [] for spec in SPECS}
        for part in study.parts:
            if "points" not in part.kept:
                part.kept["points"] = _observed_points(part.study)
            for key, these in part.kept["points"].items():
                found[key] += these
    found["changes"] = _change_points(study)
    return found


def _change_points(study: Study) -> list[ind.Point]:
    """Items changed after entry per 100 entered, from the ledger's counts of the scope."""
    by_pk = study.by_pk
    found = []
    for (pid, month), (entered, changed) in study.changes.items():
        person = by_pk[pid]
        found.append(ind.Point(person.site, month, person.code, float(changed)))
        found.append(ind.Point(person.site, month, person.code, 0.0, entered / 100))
    return found


def _observed_points(study: Study) -> dict[str, list[ind.Point]]:
    """The points of every indicator but the SAE delays' and the changes' (_change_points)."""
    by_pk = study.by_pk
    as_of = study.as_of
    months = ind.months_back(as_of)
    found: dict[str, list[ind.Point]] = {spec.key: [] for spec in SPECS}

    for person in study.people:
        ending = study.endings.get(person.pk)
        end = ending.end_date if ending and ending.end_date else as_of
        if person.status == schedule.SCREEN_FAILURE and "ELIG" in person.dates:
            # A screen failure's follow-up for adverse events stops at the decision.
            end = min(end, person.dates["ELIG"])
        found["ae_rate"] += ind.exposure_points(
            person.site, person.code, person.screening_date, end, as_of
        )
    for ae in study.aes:
        if ae.onset is not None:
            person = by_pk[ae.participant_id]
            found["ae_rate"].append(ind.Point(person.site, ind.month_of(ae.onset), person.code))
    labs = Counter(
        (lab.participant_id, ind.month_of(lab.sample_date), lab.grade >= SEVERE_LAB_GRADE)
        for lab in study.labs
    )
    for (pid, month, severe), times in labs.items():
        person = by_pk[pid]
        found["lab_grade3"].append(
            ind.Point(person.site, month, person.code, flagged=severe, times=times)
        )
    for pid, opened, closed in study.queries:
        person = by_pk[pid]
        found["old_queries"] += ind.open_query_points(
            person.site, person.code, opened, closed, as_of, months, QUERY_AGE_DAYS
        )
    entries: Counter[tuple[int, date, int]] = Counter()
    for e in study.entries:
        entries[e.participant_id, e.visit, e.days] += e.times
    for (pid, visit, days), times in entries.items():
        person = by_pk[pid]
        late = days > LATE_ENTRY_DAYS
        month = ind.month_of(visit)
        found["entry_delay"].append(
            ind.Point(person.site, month, person.code, days, flagged=late, times=times)
        )
        if late:
            found["late_entries"].append(
                ind.Point(person.site, month, person.code, flagged=True, times=times)
            )
    found["missed_visits"] = _missed_points(study)
    found["out_of_window"] = _window_points(study)
    for person in study.people:
        decided = person.dates.get("ELIG")
        if decided is None or person.status == schedule.SCREENING:
            continue
        found["screen_failure"].append(
            ind.Point(
                person.site,
                ind.month_of(decided),
                person.code,
                flagged=person.status == schedule.SCREEN_FAILURE,
            )
        )
    return found


def limits_of(thresholds: Mapping[str, Sequence[float]], key: str) -> tuple[float, float]:
    amber, red = thresholds[key]
    return float(amber), float(red)


def _anchor(dates: Mapping[str, date], gate_decision: str) -> date | None:
    if gate_decision == schedule.PROCEED and "IAH" in dates:
        return dates["IAH"]
    return dates.get("PET-IV")


def _missed_points(study: Study) -> list[ind.Point]:
    """Each follow-up visit due by the as-of date: done (dated) or marked missed (flagged)."""
    missed = {(pid, event) for pid, event in study.missed}
    found = []
    for person in study.people:
        anchor = _anchor(person.dates, person.gate_decision)
        for month in schedule.FOLLOW_UP_MONTHS:
            event = f"M{month}"
            done = person.dates.get(event)
            target = schedule.add_months(anchor, month) if anchor else None
            if (person.pk, event) in missed:
                if target is not None and target > study.as_of:
                    continue
                when = target or study.as_of
                found.append(ind.Point(person.site, ind.month_of(when), person.code, flagged=True))
            elif done is not None:
                found.append(ind.Point(person.site, ind.month_of(done), person.code))
    return found


def _window_points(study: Study) -> list[ind.Point]:
    """Each dated visit with a window: flagged when its date lies outside it (the form asked
    the nurse to confirm such a date)."""
    found = []
    for person in study.people:
        for planned in person.plan():
            if planned.code not in WINDOWED_EVENTS or planned.actual is None:
                continue
            window = planned.window
            if window.opens is None and window.closes is None:
                continue
            outside = (window.opens is not None and planned.actual < window.opens) or (
                window.closes is not None and planned.actual > window.closes
            )
            found.append(
                ind.Point(person.site, ind.month_of(planned.actual), person.code, flagged=outside)
            )
    return found


@dataclass
class Cell:
    figure: ind.Figure
    text: str
    trend: list[tuple[date, float | None]]
    site: str  # "" for the study
    chart: str = ""  # the trend as inline SVG, set by oversight.report


@dataclass
class Row:
    key: str
    label: str
    limits: tuple[float, float]
    cells: list[Cell]


Computed = dict[str, list[tuple[str, ind.Figure, list[tuple[date, float | None]]]]]
# The tallies of the figures: (indicator, column, month) -> tally, the column a site's code
# or "" for the study, the month None for the current figure or the first day of a month of
# the trend.
Tallies = dict[tuple[str, str, date | None], ind.Tally]
# The indicators counted from each participant's part of the read (oversight.study.Part),
# their tallies kept up to date part by part; the changes are counted from the ledger's
# counts of the whole scope, the SAE delays move with time.
PART_SPECS = tuple(s for s in SPECS if s.key not in ("sae_delay", "changes"))


def tallies_of(
    specs: tuple[ind.Spec, ...], found: Mapping[str, list[ind.Point]], as_of: date
) -> Tallies:
    """Each point counted once in its site's column and once in the study's: in the current
    figure when it is current, and in its month's when the month is in the trend."""
    shown = set(ind.months_back(as_of))
    result: Tallies = {}
    for spec in specs:
        key, kind = spec.key, spec.kind
        for p in found[key]:
            buckets = ([None] if p.current else []) + ([p.month] if p.month in shown else [])
            for column in (p.site, ""):
                for month in buckets:
                    counted = result.get((key, column, month))
                    if counted is None:
                        counted = result[key, column, month] = ind.Tally()
                    counted.add(p, kind)
    return result


def _figures(
    specs: tuple[ind.Spec, ...],
    tallies: Tallies,
    study: Study,
    thresholds: Mapping[str, tuple[float, float]],
) -> Computed:
    months = ind.months_back(study.as_of)
    result: Computed = {}
    for spec in specs:
        limits = limits_of(thresholds, spec.key)
        result[spec.key] = []
        for site in [*study.sites, ""]:
            current = tallies.get((spec.key, site, None)) or ind.Tally()
            monthly = {m: t for m in months if (t := tallies.get((spec.key, site, m)))}
            result[spec.key].append(
                (site, current.figure(spec, limits), ind.trend_of(spec, monthly, months))
            )
    return result


def _computed(
    specs: tuple[ind.Spec, ...],
    found: Mapping[str, list[ind.Point]],
    study: Study,
    thresholds: Mapping[str, tuple[float, float]],
) -> Computed:
    return _figures(specs, tallies_of(specs, found, study.as_of), study, thresholds)


def _copy(tallies: Tallies | None) -> Tallies:
    return {key: found.copy() for key, found in (tallies or {}).items()}


def _add(total: Tallies, tallies: Tallies, sign: int) -> None:
    for key, found in tallies.items():
        mine = total.get(key)
        if mine is None:
            mine = total[key] = ind.Tally()
        mine.add_tally(found, sign)


def _running(key: Any, shares: dict[int, Any], tallies_of_share: Any) -> Tallies:
    return memo.running_sum(key, shares, tallies_of_share, _copy, _add)


def part_tallies(study: Study) -> Tallies:
    """The tallies of every participant's part of the read (PART_SPECS), each part's kept
    with it; then those of the ledger's change counts, per participant."""

    def of_part(part: Any) -> Tallies:
        if "tallies" not in part.kept:
            part.kept["tallies"] = tallies_of(PART_SPECS, _observed_points(part.study), as_of)
        return part.kept["tallies"]

    as_of = study.as_of
    by_pk = study.by_pk
    changes: dict[int, list[tuple[date, int, int]]] = {}
    for (pid, month), (entered, changed) in study.changes.items():
        changes.setdefault(pid, []).append((month, entered, changed))

    def of_changes(counts: tuple[int, tuple[tuple[date, int, int], ...]]) -> Tallies:
        pid, months = counts
        one = Study(as_of, study.cutoff, study.moment, study.sites, [by_pk[pid]])
        one.changes = {(pid, month): [entered, changed] for month, entered, changed in months}
        return tallies_of(CHANGES, {"changes": _change_points(one)}, as_of)

    parts = {part.study.people[0].pk: part for part in study.parts}
    counted = {pid: (pid, tuple(sorted(months))) for pid, months in changes.items()}
    return {
        **_running(("tallies", study.parts_key), parts, of_part),
        **_running(("change tallies", study.parts_key), counted, of_changes),
    }


CHANGES = (SPECS_BY_KEY["changes"],)


def static_figures(study: Study, thresholds: Mapping[str, tuple[float, float]]) -> Computed:
    """Every figure and trend but the SAE delays': what a read of the data gives, whatever
    the time of day (oversight.memo keeps it while the data stays the same). A study put
    together from its participants' parts counts its figures from the parts' tallies kept
    up to date (part_tallies)."""
    specs = (*PART_SPECS, *CHANGES)
    if not study.parts:
        return _computed(specs, points(study), study, thresholds)
    return _figures(specs, part_tallies(study), study, thresholds)


def table(
    study: Study,
    thresholds: Mapping[str, tuple[float, float]],
    shown,
    static: Computed | None = None,
) -> list[Row]:
    """One row per indicator: a cell per site, then the study's. `shown(value, decimals)`
    writes a number in the reader's format; `static`: static_figures(study), if known."""
    computed = {
        **(static if static is not None else static_figures(study, thresholds)),
        **_computed(
            (SPECS_BY_KEY["sae_delay"],), {"sae_delay": sae_points(study)}, study, thresholds
        ),
    }
    rows = []
    for spec in SPECS:
        cells = []
        for site, result, trend in computed[spec.key]:
            decimals = DECIMALS.get(spec.key, 0)
            text = "—" if result.value is None else shown(result.value, decimals)
            cells.append(Cell(result, text, trend, site))
        rows.append(Row(spec.key, str(LABELS[spec.key]), limits_of(thresholds, spec.key), cells))
    return rows


def behind(study: Study, key: str, site: str, thresholds: Mapping) -> list[str]:
    """The participants behind one figure (codes, in order)."""
    spec = SPECS_BY_KEY[key]
    found = sae_points(study) if key == "sae_delay" else points(study)[key]
    these = [p for p in found if not site or p.site == site]
    return ind.figure(spec, these, limits_of(thresholds, key)).participants
