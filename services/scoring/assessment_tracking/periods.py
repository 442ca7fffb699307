"""An assessment period (a month "2025-07", a quarter "2025-Q3" or the year "2025") as dates. Pure."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_PERIOD = re.compile(r"^(\d{4})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?$")


@dataclass(frozen=True, slots=True, order=True)
class Period:
    end: dt.date  # first, so that periods sort by when they end
    start: dt.date
    text: str
    months: int  # months of the year elapsed at its end: its share of the year is months / 12

    @property
    def year(self) -> int:
        return self.end.year

    def holds(self, other: Period) -> bool:
        """``other`` lies within this period (a month within its quarter, a quarter within the year)."""
        return self.start <= other.start and other.end <= self.end


def _month_end(year: int, month: int) -> dt.date:
    return (dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)) - dt.timedelta(days=1)


def parse_period(text: str) -> Period:
    """The period ``text`` names; ValueError when it names none."""
    match = _PERIOD.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a period like 2025, 2025-Q3 or 2025-07")
    year = int(match.group(1))
    if match.group(2):
        last = 3 * int(match.group(2))
        return Period(_month_end(year, last), dt.date(year, last - 2, 1), text, last)
    if match.group(3):
        month = int(match.group(3))
        return Period(_month_end(year, month), dt.date(year, month, 1), text, month)
    return Period(dt.date(year, 12, 31), dt.date(year, 1, 1), text, 12)
