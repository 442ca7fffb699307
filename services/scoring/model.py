"""What scoring's rules reason about: a cadre's facts as known at a recorded time, and how much of them
to load summed. Pure: no I/O; ``services/scoring/facts.py`` loads them from the projection.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from services.scoring.rules import RuleSet
from services.scoring.window import Points, rolling_window
from shared.calendar import Quarter


def cents(points: Decimal) -> int:
    return int(points * 100)


@dataclass(frozen=True, slots=True)
class EntryFact:
    entry_id: str
    event_id: str  # the event that last set its values (recording or amendment)
    kind: str
    category: str
    points: Decimal
    effective_date: dt.date
    impact: tuple[dt.date, dt.date] | None = None
    # A fact summed by the database (see ``Summing``) stands for ``count`` entries and has no ids.
    count: int = 1


@dataclass(frozen=True, slots=True)
class PostFact:
    post_id: str
    event_id: str
    unit_id: str
    leadership: str
    start_date: dt.date
    end_date: dt.date | None
    rank: str | None = None  # the post's level (职级); None: not known (projected before it was kept)

    def open_on(self, day: dt.date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


@dataclass(frozen=True, slots=True)
class Result:
    event_id: str
    value: str


@dataclass
class CadreFacts:
    cadre_id: str
    name: str = ""
    unit_id: str = ""
    entries: list[EntryFact] = field(default_factory=list)
    posts: list[PostFact] = field(default_factory=list)
    results: dict[tuple[int, str], Result] = field(default_factory=dict)  # (year, kind) -> newest; not vetoes
    vetoes: dict[int, list[Result]] = field(default_factory=dict)
    declarations: dict[str, Result] = field(default_factory=dict)  # kind -> newest ("1" flagged, "0" not)
    unit_prizes: dict[tuple[str, int], Result] = field(default_factory=dict)  # (unit, year) -> target prize
    unit_team_grades: dict[tuple[str, int], Result] = field(default_factory=dict)  # (unit, year) -> team grade
    unit_classes: dict[str, str] = field(default_factory=dict)


def weighted(facts: CadreFacts, rules: RuleSet) -> list[Points]:
    """The cadre's points as ``rules`` weigh their categories."""
    return [(e.effective_date, e.points * rules.weight(e.category), e.count) for e in facts.entries]


@dataclass(frozen=True, slots=True)
class Summing:
    """Let the database sum the entries that no answer cites one by one.

    Entries effective from ``cuts[0]`` to ``until`` are summed per cadre, kind, category and sign
    within each segment between consecutive ``cuts``, and each sum becomes one fact dated at its
    segment's first day (``EntryFact.count`` entries, no ids). Any total over a period that starts at
    a cut and ends at ``until`` or on the eve of a later cut is therefore exact, and a cadre with
    hundreds of entries costs a handful of rows. Loaded one by one are what screening and warnings cite
    as evidence: sanctions (they carry an impact period) unless ``keep_sanctions`` is off, entries of zero
    or fewer points with ``keep_negative``, and entries of ``keep_categories``. Without ``by_category``
    the sums are per sign only, their kind and category "" (for answers that weigh no category)."""

    cuts: tuple[dt.date, ...]  # ascending
    until: dt.date
    keep_negative: bool = False
    keep_categories: frozenset[str] = frozenset()
    keep_sanctions: bool = True
    by_category: bool = True

    def __post_init__(self) -> None:
        if not self.cuts or list(self.cuts) != sorted(set(self.cuts)):
            raise ValueError("cuts must be ascending and distinct")


def summing_for_totals(as_of: dt.date, rules: RuleSet) -> Summing:
    """Enough for window totals, rankings and warnings (the quarter so far, the rolling window, sanctions)."""
    cuts = {rolling_window(as_of, rules.window_years).start, Quarter.of(as_of).first_day}
    return Summing(tuple(sorted(cuts)), as_of, by_category=bool(rules.category_weights))


def summing_for_screening(as_of: dt.date, *rule_sets: RuleSet, evidence: bool = False) -> Summing:
    """Window totals under each rule set, with sanctions and the execution-capability negative list kept one
    by one; with ``evidence`` the negative entries too (a failed net-negative rule cites each of them)."""
    return Summing(tuple(sorted({rolling_window(as_of, r.window_years).start for r in rule_sets})), as_of,
                   keep_negative=evidence,
                   keep_categories=frozenset(c for r in rule_sets for c in r.screening.execution_negative_categories))


def screening_years(as_of: dt.date, *rule_sets: RuleSet) -> range:
    """The years whose results screening reads: the three before the as-of year (or as many as a third
    prize bars heads for), and the as-of year itself (a veto recorded this year already bars)."""
    back = max([3, *(r.screening.third_prize_bar_years for r in rule_sets)])
    return range(as_of.year - back, as_of.year + 1)


def summing_for_breakdowns(as_of: dt.date, rules: RuleSet) -> Summing:
    """The score's breakdowns: the rolling window, every calendar quarter from the first of the three years
    before the as-of year on (the yearly sheets and the last 12 quarters are sums of quarters). Totals
    only, so everything is summed (sanctions too), and by category only when the rule set weighs one."""
    window = rolling_window(as_of, rules.window_years)
    since = min(window.start, dt.date(as_of.year - 3, 1, 1))
    cuts, quarter = {since, window.start}, Quarter.of(since)
    while quarter.first_day <= as_of:
        cuts.add(max(quarter.first_day, since))
        quarter = quarter.next()
    return Summing(tuple(sorted(cuts)), as_of, keep_sanctions=False, by_category=bool(rules.category_weights))
