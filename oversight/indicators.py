"""Risk indicators of the oversight page, from plain observations (no Django).

Each indicator is a list of `Point`s, one per thing observed (an adverse event, a month of
follow-up, a form entered, a query...), each with its site, its month and its participant. A
figure is computed the same way for a site, for the study and for one month of the trend, so
the three always agree. With two sites a z-score across sites cannot fire: each figure is
compared with absolute (amber, red) limits, kept in settings.OVERSIGHT_THRESHOLDS.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

# The kinds of figure.
RATE = "rate"  # sum of values / sum of weights (events per participant-month)
MEDIAN = "median"  # median of the values
COUNT = "count"  # number of flagged points (at the as-of date)
PERCENT = "percent"  # flagged points / points, x 100

GREEN, AMBER, RED, NONE = "green", "amber", "red", "none"

# How many months the trend charts show, the as-of month last.
TREND_MONTHS = 12


@dataclass(frozen=True)
class Point:
    site: str
    month: date  # first day of the month the observation belongs to
    participant: str
    value: float = 1.0
    # RATE: the denominator's share (participant-months); 0 for a numerator's point.
    weight: float = 0.0
    # Counted by COUNT and PERCENT; for MEDIAN and RATE, the participant is "behind" the
    # indicator (listed on its page).
    flagged: bool = False
    # False for a point of the trend only (a query's state at an earlier month end).
    current: bool = True
    # How many identical observations the point stands for (lab values of one participant
    # and month, forms of one visit entered the same day).
    times: int = 1


@dataclass(frozen=True)
class Spec:
    key: str
    kind: str


@dataclass
class Figure:
    value: float | None
    count: int  # what the figure is made of (events, values, visits...)
    flagged: int
    status: str
    participants: list[str] = field(default_factory=list)


def status_of(value: float | None, limits: tuple[float, float]) -> str:
    """The colour of a figure: strictly above the red limit red, above the amber limit amber.
    The exact value is compared (PROTOCOL.md section 5, thresholds), not the one shown."""
    if value is None:
        return NONE
    amber, red = limits
    value = round(value, 9)
    if value > red:
        return RED
    if value > amber:
        return AMBER
    return GREEN


def figure(spec: Spec, points: Sequence[Point], limits: tuple[float, float]) -> Figure:
    """The figure of these points (already those of one site, or one month)."""
    value: float | None
    current = [p for p in points if p.current]
    flagged = [p for p in current if p.flagged]
    if spec.kind == RATE:
        exposure = sum(p.weight for p in current)
        events = [p for p in current if p.weight == 0]
        value = sum(p.value * p.times for p in events) / exposure if exposure > 0 else None
        behind = {p.participant for p in events if p.value > 0}
        count = sum(p.times for p in events)
    elif spec.kind == MEDIAN:
        value = _median([(p.value, p.times) for p in current])
        behind = {p.participant for p in flagged}
        count = sum(p.times for p in current)
    elif spec.kind == COUNT:
        value = float(sum(p.times for p in flagged))
        behind = {p.participant for p in flagged}
        count = sum(p.times for p in current)
    elif spec.kind == PERCENT:
        count = sum(p.times for p in current)
        value = 100.0 * sum(p.times for p in flagged) / count if count else None
        behind = {p.participant for p in flagged}
    else:
        raise ValueError(f"unknown kind {spec.kind}")
    flagged_count = sum(p.times for p in flagged)
    return Figure(value, count, flagged_count, status_of(value, limits), sorted(behind))


def _median(weighted: Sequence[tuple[float, int]]) -> float | None:
    """The median of values each repeated `times` (statistics.median of the expanded list)."""
    total = sum(times for _v, times in weighted)
    if not total:
        return None
    ordered = sorted(weighted)

    def nth(index: int) -> float:
        seen = 0
        for value, times in ordered:
            seen += times
            if index < seen:
                return value
        raise IndexError(index)

    middle = total // 2
    return nth(middle) if total % 2 else (nth(middle - 1) + nth(middle)) / 2


def months_back(as_of: date, count: int = TREND_MONTHS) -> list[date]:
    """The first days of the `count` months ending with the as-of month, oldest first."""
    year, month = as_of.year, as_of.month
    found = []
    for _ in range(count):
        found.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found[::-1]


def month_of(day: date) -> date:
    return date(day.year, day.month, 1)


def trend(
    spec: Spec, points: Iterable[Point], limits: tuple[float, float], months: Sequence[date]
) -> list[tuple[date, float | None]]:
    """The figure of each month (None when nothing was observed that month). For COUNT, the
    trend points (current=False) of each month are the state at its end."""
    by_month: dict[date, list[Point]] = {m: [] for m in months}
    for p in points:
        if p.month in by_month:
            # A month's figure reads that month's points as its own "current" ones.
            by_month[p.month].append(p if p.current else _as_current(p))
    result = []
    for m in months:
        found = by_month[m]
        result.append((m, figure(spec, found, limits).value if found else None))
    return result


def _as_current(p: Point) -> Point:
    return Point(p.site, p.month, p.participant, p.value, p.weight, p.flagged, True, p.times)


# --- Turning observations into points --------------------------------------------------------


def exposure_points(
    site: str, participant: str, start: date, end: date, as_of: date
) -> list[Point]:
    """A participant's follow-up as participant-months (30.4375 days), split by calendar
    month, from `start` to `end` (both included), nothing after `as_of`."""
    end = min(end, as_of)
    points = []
    day = start
    while day <= end:
        first = month_of(day)
        next_month = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        last = min(end, date.fromordinal(next_month.toordinal() - 1))
        days = last.toordinal() - day.toordinal() + 1
        points.append(Point(site, first, participant, 0.0, days / DAYS_PER_MONTH))
        day = next_month
    return points


DAYS_PER_MONTH = 365.25 / 12


def open_query_points(
    site: str,
    participant: str,
    opened: date,
    closed: date | None,
    as_of: date,
    months: Sequence[date],
    age_days: int,
) -> list[Point]:
    """A query's points: open for more than `age_days` at the as-of date (current), and at
    the end of each earlier month of the trend (trend only)."""
    points = []

    def old_at(day: date) -> bool:
        still_open = closed is None or closed > day
        return still_open and opened <= day and (day - opened).days > age_days

    if old_at(as_of):
        points.append(Point(site, month_of(as_of), participant, flagged=True))
    for m in months:
        if m >= month_of(as_of):
            continue
        end = date.fromordinal(date(m.year + m.month // 12, m.month % 12 + 1, 1).toordinal() - 1)
        if old_at(end):
            points.append(Point(site, m, participant, flagged=True, current=False))
    return points
