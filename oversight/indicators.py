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


@dataclass
class Tally:
    """What a figure is made of, as sums: the tally of some points plus that of others is the
    tally of both, and taking a participant's points away is exact (the sums of weights and
    values are kept exactly, as integers in units of 2**-SCALE), so that a figure kept up to
    date by adding and taking away equals the figure of all its points counted afresh."""

    seen: int = 0  # points (whatever their times)
    count: int = 0  # times of the points counted (RATE: of the events)
    flagged: int = 0
    weight: int = 0  # RATE: participant-months, exactly (exact())
    total: int = 0  # RATE: the events' values x times, exactly
    values: dict[float, int] = field(default_factory=dict)  # MEDIAN: value -> times
    behind: dict[str, int] = field(default_factory=dict)  # participant -> their points

    def add(self, p: Point, kind: str) -> None:
        """Count one point, as the current figure counts it."""
        self.seen += 1
        if p.flagged:
            self.flagged += p.times
        if kind == RATE:
            if p.weight:
                self.weight += exact(p.weight)
                return
            self.count += p.times
            if p.value:
                self.total += exact(p.value) * p.times
            if p.value > 0:
                self.behind[p.participant] = self.behind.get(p.participant, 0) + 1
            return
        self.count += p.times
        if kind == MEDIAN:
            self.values[p.value] = self.values.get(p.value, 0) + p.times
        if p.flagged:
            self.behind[p.participant] = self.behind.get(p.participant, 0) + 1

    def copy(self) -> Tally:
        return Tally(
            self.seen,
            self.count,
            self.flagged,
            self.weight,
            self.total,
            dict(self.values),
            dict(self.behind),
        )

    def add_tally(self, other: Tally, sign: int = 1) -> None:
        """Another tally added (sign 1) or taken away (sign -1), in place."""
        self.seen += sign * other.seen
        self.count += sign * other.count
        self.flagged += sign * other.flagged
        self.weight += sign * other.weight
        self.total += sign * other.total
        _add_counts(self.values, other.values, sign)
        _add_counts(self.behind, other.behind, sign)

    def value(self, kind: str) -> float | None:
        if kind == RATE:
            return self.total / self.weight if self.weight > 0 else None
        if kind == MEDIAN:
            return _median(list(self.values.items()))
        if kind == COUNT:
            return float(self.flagged)
        if kind == PERCENT:
            return 100.0 * self.flagged / self.count if self.count else None
        raise ValueError(f"unknown kind {kind}")

    def figure(self, spec: Spec, limits: tuple[float, float]) -> Figure:
        value = self.value(spec.kind)
        return Figure(
            value, self.count, self.flagged, status_of(value, limits), sorted(self.behind)
        )


# Weights and values are summed as integers counting 2**-SCALE: a float of at least 2**-70
# (the smallest weight is a day, 1/30 of a participant-month) is such an integer exactly, so
# sums and differences are exact, and the quotient of two (int / int) is correctly rounded.
SCALE = 128


def exact(value: float) -> int:
    """`value` as a whole number of 2**-SCALE (exactly: ValueError for a finer one)."""
    numerator, denominator = value.as_integer_ratio()
    shift = SCALE - denominator.bit_length() + 1
    if shift < 0:
        raise ValueError(f"{value!r} is finer than 2**-{SCALE}")
    return numerator << shift


def _add_counts(mine: dict, other: dict, sign: int) -> None:
    """Another's counts added or taken away, in place; those left at zero dropped."""
    for key, times in other.items():
        left = mine.get(key, 0) + sign * times
        if left:
            mine[key] = left
        else:
            del mine[key]


def tally(spec: Spec, points: Iterable[Point]) -> Tally:
    """The current figure's tally of these points."""
    found = Tally()
    for p in points:
        if p.current:
            found.add(p, spec.kind)
    return found


def figure(spec: Spec, points: Sequence[Point], limits: tuple[float, float]) -> Figure:
    """The figure of these points (already those of one site, or one month)."""
    return tally(spec, points).figure(spec, limits)


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
    return trend_of(spec, monthly(spec, points, months), months)


def monthly(spec: Spec, points: Iterable[Point], months: Sequence[date]) -> dict[date, Tally]:
    """The tally of each month of the trend that has points: a month's figure reads that
    month's points as its own current ones."""
    shown = set(months)
    found: dict[date, Tally] = {}
    for p in points:
        if p.month in shown:
            found.setdefault(p.month, Tally()).add(p, spec.kind)
    return found


def trend_of(
    spec: Spec, tallies: dict[date, Tally], months: Sequence[date]
) -> list[tuple[date, float | None]]:
    result = []
    for m in months:
        found = tallies.get(m)
        result.append((m, found.value(spec.kind) if found is not None and found.seen else None))
    return result


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
