"""Rankings within a class (排名) and the two ends (两头). Pure.

Cadres are compared only within a class: the class of their unit and whether they are chiefs or
deputies (000, 001); deputies are also ranked within their own leadership team. Higher totals rank
first. Ties share a rank (1, 2, 2, 4) and are listed by name. The top band holds the top 30 % and
the bottom band the bottom 10 % (ceil and floor of the class size, so a class under ten has no
bottom band); a tie that straddles a band's edge falls wholly inside the band, so equals are
never treated differently.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from services.scoring.model import CadreFacts, weighted
from services.scoring.rules import RankingRules, RuleSet
from services.scoring.window import summarize


@dataclass(frozen=True, slots=True)
class Candidate:
    cadre_id: str
    name: str
    unit_id: str
    total: Decimal


@dataclass(frozen=True, slots=True)
class Ranked:
    candidate: Candidate
    rank: int
    band: str | None  # "top", "bottom" or None


def rank(candidates: Iterable[Candidate], rules: RankingRules) -> list[Ranked]:
    ordered = sorted(candidates, key=lambda c: (-c.total, c.name, c.cadre_id))
    n = len(ordered)
    out: list[Ranked] = []
    i = 0
    while i < n:
        j = i
        while j < n and ordered[j].total == ordered[i].total:
            j += 1
        first, last = i + 1, j  # positions the tie occupies
        out += [Ranked(c, first, band_at(first, last, n, rules)) for c in ordered[i:j]]
        i = j
    return out


def band_at(first: int, last: int, n: int, rules: RankingRules) -> str | None:
    """The band of a tie occupying positions ``first`` to ``last`` of a group of ``n``: what a kept day sheet
    asks with counts alone (``day_sheet/reads.py``), without ranking the whole group."""
    top_cut = math.ceil(rules.top_share * n)
    bottom_size = math.floor(rules.bottom_share * n)
    return "top" if first <= top_cut else "bottom" if bottom_size and last > n - bottom_size else None


def bottom(ranked: list[Ranked], how_many: int) -> list[Ranked]:
    """The bottom ``how_many`` positions (000: the bottom three get a warning); ties at the edge included."""
    if not ranked or how_many <= 0:
        return []
    n = len(ranked)
    tie_size: dict[int, int] = {}
    for r in ranked:
        tie_size[r.rank] = tie_size.get(r.rank, 0) + 1
    return [r for r in ranked if r.rank + tie_size[r.rank] - 1 > n - how_many]


def ranking_groups(all_facts: Mapping[str, CadreFacts], as_of: dt.date) -> dict[str, list[str]]:
    """Class groups ("class:<unit class>:<chief|deputy>") and deputies' teams ("team:<unit>:deputy")."""
    groups: dict[str, list[str]] = defaultdict(list)
    for facts in all_facts.values():
        for post in facts.posts:
            if post.open_on(as_of) and post.leadership in ("chief", "deputy"):
                unit_class = facts.unit_classes.get(post.unit_id)
                if unit_class:
                    groups[f"class:{unit_class}:{post.leadership}"].append(facts.cadre_id)
                if post.leadership == "deputy":
                    groups[f"team:{post.unit_id}:deputy"].append(facts.cadre_id)
    return {g: sorted(set(ids)) for g, ids in groups.items()}


def rank_group(all_facts: Mapping[str, CadreFacts], ids: Sequence[str], as_of: dt.date, rules: RuleSet) -> list[Ranked]:
    """The cadres ``ids`` ranked by their window totals under ``rules``."""
    candidates = [Candidate(i, all_facts[i].name, all_facts[i].unit_id,
                            summarize(weighted(all_facts[i], rules), as_of, rules.window_years).overall.total)
                  for i in ids]
    return rank(candidates, rules.ranking)
