"""What if a proposed rule set were in force? Totals, screening verdicts and ranking bands under the
rule set in force and under the proposal, for the cadres of a jurisdiction, and who would change.
Read-only: nothing is written, no warning raised, nothing published."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.scoring.model import CadreFacts, weighted
from services.scoring.ranking import rank_group, ranking_groups
from services.scoring.rules import RuleSet
from services.scoring.screening import screen
from services.scoring.window import summarize


@dataclass(frozen=True)
class Outcome:
    total: Any
    verdict: str
    excluded_by: tuple[str, ...]
    bands: dict[str, str | None]  # ranking group -> band


def outcomes(facts: dict[str, CadreFacts], ids: Sequence[str], as_of: dt.date, rules: RuleSet) -> dict[str, Outcome]:
    bands: dict[str, dict[str, str | None]] = {i: {} for i in ids}
    for group, members in ranking_groups(facts, as_of).items():
        for r in rank_group(facts, members, as_of, rules):
            if r.candidate.cadre_id in bands:
                bands[r.candidate.cadre_id][group] = r.band
    out = {}
    for i in ids:
        s = screen(facts[i], as_of, rules)
        total = summarize(weighted(facts[i], rules), as_of, rules.window_years).overall.total
        out[i] = Outcome(total, s.verdict, tuple(s.excluded_by), bands[i])
    return out


def compare(facts: dict[str, CadreFacts], ids: Sequence[str], as_of: dt.date, current: RuleSet,
            proposed: RuleSet) -> dict[str, Any]:
    before, after = outcomes(facts, ids, as_of, current), outcomes(facts, ids, as_of, proposed)
    changed = []
    for i in ids:
        b, a = before[i], after[i]
        if b == a:
            continue
        change: dict[str, Any] = {"cadre_id": i, "name": facts[i].name}
        if b.total != a.total:
            change["total"] = {"current": float(b.total), "proposed": float(a.total)}
        if (b.verdict, b.excluded_by) != (a.verdict, a.excluded_by):
            change["screening"] = {"current": {"verdict": b.verdict, "excluded_by": list(b.excluded_by)},
                                   "proposed": {"verdict": a.verdict, "excluded_by": list(a.excluded_by)}}
        band_changes = {g: {"current": b.bands.get(g), "proposed": a.bands.get(g)}
                        for g in sorted(set(b.bands) | set(a.bands)) if b.bands.get(g) != a.bands.get(g)}
        if band_changes:
            change["ranking_bands"] = band_changes
        changed.append(change)
    return {
        "as_of": as_of.isoformat(), "current_rule_set": current.name, "proposed_rule_set": proposed.name,
        "cadres": len(ids), "affected": len(changed),
        "eligible": {"current": sum(o.verdict == "eligible" for o in before.values()),
                     "proposed": sum(o.verdict == "eligible" for o in after.values())},
        "changes": changed,
    }
