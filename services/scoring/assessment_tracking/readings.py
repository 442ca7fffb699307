"""The tracking's input rows, and which of them stand as of a date. Pure.

As for the composite (``assessment.read_model``): a reading counts from its effective date; a period recorded
again is corrected (the newest recorded stands); a revocation known at the moment removes its input whatever
the date. Unlike the composite, every period is kept, in order: tracking follows the year period by period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from services.scoring.assessment.read_model import BREACH, READING, REVOKED, InputRow
from services.scoring.assessment_tracking.periods import Period, parse_period


@dataclass(frozen=True, slots=True)
class Standing:
    """A reading as it stands for its period."""

    period: Period
    row: InputRow

    @property
    def value(self) -> Decimal | None:
        return None if self.row.value is None else Decimal(self.row.value)

    @property
    def last_year(self) -> Decimal | None:
        return None if self.row.last_year is None else Decimal(self.row.last_year)


def standing_readings(rows: Iterable[InputRow], as_of: dt.date) -> dict[tuple[str, str], list[Standing]]:
    """Per (subject, indicator), the reading that stands for each period, in period order."""
    rows = list(rows)
    revoked = {r.input_id for r in rows if r.event_type == REVOKED}
    newest: dict[tuple[str, str, str], InputRow] = {}
    for r in sorted((r for r in rows if r.event_type == READING and r.effective_date is not None
                     and r.effective_date <= as_of and r.period), key=lambda r: (r.recorded_at, r.event_id)):
        newest[(r.subject_id, r.item_id or "", r.period or "")] = r
    out: dict[tuple[str, str], list[Standing]] = {}
    for (subject, item, period), r in newest.items():
        if r.input_id not in revoked:
            out.setdefault((subject, item), []).append(Standing(parse_period(period), r))
    for seq in out.values():
        seq.sort(key=lambda s: (s.period.end, -s.period.months, s.period.text))
    return out


def latest_within(seq: Sequence[Standing], period: Period) -> Standing | None:
    """The reading of the latest period within ``period`` (a quarter's bulletin reads its last month's)."""
    inside = [s for s in seq if period.holds(s.period)]
    return max(inside, key=lambda s: (s.period.end, s.period.months)) if inside else None


def breaches(rows: Iterable[InputRow], start: dt.date, end: dt.date) -> list[InputRow]:
    """The breaches effective from ``start`` to ``end``, not revoked, in date order."""
    rows = list(rows)
    revoked = {r.input_id for r in rows if r.event_type == REVOKED}
    return sorted((r for r in rows if r.event_type == BREACH and r.input_id not in revoked
                   and r.effective_date is not None and start <= r.effective_date <= end),
                  key=lambda r: (r.effective_date, r.subject_id, r.event_id))
