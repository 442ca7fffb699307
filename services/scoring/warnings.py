"""Warning conditions (预警): which hold for a cadre on a day, each with a stable key. Pure.

A warning is raised when its condition starts to hold and cleared when it stops; the key makes it
one warning however often the condition is evaluated (after every batch, by the daily job, after
a rebuild), and it is raised again (a new occurrence of the key) when the condition holds again.
Levels follow 002: yellow, red.

A warning's ``detail`` says what was true on the day it was raised, dated ("three-year total -1 below 0
on 2026-12-06"), so it never reads as the current figure later; the figure and the threshold it was held
against are carried apart as ``figure`` and ``threshold`` (None where a condition has no number).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from services.scoring.model import CadreFacts
from services.scoring.rules import RuleSet
from services.scoring.window import Window, points_text, rolling_window
from shared.calendar import Quarter

YELLOW, RED = "yellow", "red"
# Conditions that depend on one cadre alone; the ranking one needs the whole class.
PER_CADRE = ("quarter_points_low", "rolling_total_negative", "sanction_in_impact_period")
RANKING = "bottom_of_ranking"


@dataclass(frozen=True, slots=True)
class Condition:
    key: str  # e.g. "quarter_points_low:2026-Q4"; one warning per key
    kind: str
    level: str
    detail: str
    evidence: tuple[str, ...] = ()
    figure: Decimal | None = None  # the number the condition looked at, on the day evaluated
    threshold: Decimal | None = None  # what it was held against


def _total(facts: CadreFacts, days: Window, rules: RuleSet) -> Decimal:
    return sum((e.points * rules.weight(e.category) for e in facts.entries if e.effective_date in days), Decimal(0))


def per_cadre(facts: CadreFacts, as_of: dt.date, rules: RuleSet) -> list[Condition]:
    w = rules.warnings
    found = []
    quarter = Quarter.of(as_of)
    if w.quarter_points_below is not None:
        points = _total(facts, Window(quarter.first_day, as_of), rules)
        if points < w.quarter_points_below:
            found.append(Condition(f"quarter_points_low:{quarter}", "quarter_points_low", YELLOW,
                                   f"{quarter} points {points_text(points)} below {w.quarter_points_below} on {as_of}",
                                   figure=points, threshold=w.quarter_points_below))
    if w.rolling_total_below is not None:
        total = _total(facts, rolling_window(as_of, rules.window_years), rules)
        if total < w.rolling_total_below:
            found.append(Condition("rolling_total_negative", "rolling_total_negative", RED,
                                   f"three-year total {points_text(total)} below {w.rolling_total_below} on {as_of}",
                                   figure=total, threshold=w.rolling_total_below))
    if w.sanction_in_impact_period:
        for e in facts.entries:
            if e.impact and e.impact[0] <= as_of <= e.impact[1]:
                found.append(Condition(f"sanction_in_impact_period:{e.entry_id}", "sanction_in_impact_period", RED,
                                       f"sanction {e.category} in its impact period until {e.impact[1]}",
                                       (e.event_id,)))
    return found


def bottom_of_ranking(group: str, total: Decimal, position: int, size: int, as_of: dt.date) -> Condition:
    return Condition(f"{RANKING}:{group}", RANKING, YELLOW,
                     f"rank {position} of {size} in {group} (total {points_text(total)}) on {as_of}", figure=total)
