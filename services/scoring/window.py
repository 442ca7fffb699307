"""The three-year view (近三年) as exact date arithmetic, and the totals inside it. Pure.

The rolling window as of date D holds entries whose effective date e satisfies
``D - 3 years < e <= D``, where ``D - 3 years`` is the same calendar day three years earlier,
and 29 February becomes 28 February when that year has none (domain.md, "Points and the
three-year view"). Reported as inclusive bounds: ``start`` is the first day that counts.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from shared.calendar import Quarter

WINDOW_YEARS = 3
ZERO = Decimal(0)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier; 29 February falls back to 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True, slots=True)
class Window:
    start: dt.date  # first day that counts
    end: dt.date  # last day that counts

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


@functools.lru_cache(maxsize=1024)  # asked once per cadre when a whole jurisdiction is screened or ranked
def rolling_window(as_of: dt.date, years: int = WINDOW_YEARS) -> Window:
    return Window(years_before(as_of, years) + dt.timedelta(days=1), as_of)


def quarters_touching(window: Window) -> list[Quarter]:
    quarters, q = [], Quarter.of(window.start)
    while q <= Quarter.of(window.end):
        quarters.append(q)
        q = q.next()
    return quarters


@dataclass(slots=True)
class Subtotal:
    """positive = sum of points above zero; negative = sum of points below zero (<= 0); total = both."""

    positive: Decimal = ZERO
    negative: Decimal = ZERO
    count: int = 0

    @property
    def total(self) -> Decimal:
        return self.positive + self.negative

    def merge(self, other: Subtotal) -> Subtotal:
        return Subtotal(self.positive + other.positive, self.negative + other.negative, self.count + other.count)

    def add(self, points: Decimal, count: int = 1) -> None:
        """``points`` of ``count`` entries of one sign (a sum of several, or one entry's)."""
        if points > 0:
            self.positive += points
        else:
            self.negative += points
        self.count += count


@dataclass(slots=True)
class WindowSummary:
    window: Window
    overall: Subtotal
    quarters: dict[Quarter, Subtotal] = field(default_factory=dict)


def points_text(points: Decimal) -> str:
    """Points as people write them, without trailing zeros: the same sum reads the same whichever way
    it was added up (2.70 from cents, 2.700 after a weight of 1.5)."""
    return format(points.normalize(), "f")


# (effective date, points, how many entries): one entry, or several of one sign summed by the database
Points = tuple[dt.date, Decimal, int]


def summarize(entries: Iterable[Points], as_of: dt.date, years: int = WINDOW_YEARS) -> WindowSummary:
    """Totals of the entries inside the rolling window as of ``as_of``.

    ``quarters`` covers every calendar quarter the window touches, oldest first, with zeros
    where nothing counted; the first and last are partial (only their days inside the window).
    """
    window = rolling_window(as_of, years)
    summary = WindowSummary(window, Subtotal(), {q: Subtotal() for q in quarters_touching(window)})
    for day, points, count in entries:
        if day in window:
            summary.overall.add(points, count)
            summary.quarters[Quarter.of(day)].add(points, count)
    return summary


def by_quarter(entries: Iterable[Points], as_of: dt.date) -> dict[Quarter, Subtotal]:
    """Every calendar quarter's subtotal of the entries effective by ``as_of``, in one pass: the
    yearly sheets (three complete years before the as-of year) and the 12 quarters ending with the
    as-of quarter are sums of these."""
    quarters: dict[Quarter, Subtotal] = {}
    for day, points, count in entries:
        if day <= as_of:
            quarters.setdefault(Quarter.of(day), Subtotal()).add(points, count)
    return quarters


def quarters_ending(last: Quarter, count: int) -> list[Quarter]:
    found = [last]
    while len(found) < count:
        found.insert(0, Quarter.of(found[0].first_day - dt.timedelta(days=1)))
    return found
