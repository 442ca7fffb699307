"""Calendar quarters (季度), shared by the dossier (quarterly reports, appraisal sheets) and scoring."""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

_PERIOD = re.compile(r"^(\d{4})-Q([1-4])$")


class Quarter(NamedTuple):
    """A tuple, so that making, hashing and ordering one runs in C: a score's breakdowns make hundreds."""

    year: int
    number: int  # 1..4

    @classmethod
    def of(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, period: str) -> Quarter:
        """``"2026-Q3"`` -> Quarter(2026, 3); ValueError otherwise."""
        match = _PERIOD.match(period)
        if not match:
            raise ValueError(f"{period!r} is not a quarter like 2026-Q3")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> dt.date:
        return self.next().first_day - dt.timedelta(days=1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"
