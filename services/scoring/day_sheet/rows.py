"""A cadre's day-sheet rows from their facts and screening (pure): the same totals, groups and verdict the
reads compute on the fly (``standing._city``, ``ranking.ranking_groups``, ``Evaluator.screening``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from services.scoring.model import CadreFacts, weighted
from services.scoring.ranking import ranking_groups
from services.scoring.rules import RuleSet
from services.scoring.screening import Screening
from services.scoring.window import summarize


def sheet_rows(facts: Mapping[str, CadreFacts], screened: Mapping[str, Screening], as_of: dt.date, rules: RuleSet,
               seq: int, versions: Mapping[str, int]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The sheet rows and group rows of the cadres in ``facts`` (each screened in ``screened``), numbered ``seq``;
    ``versions``: each cadre's stream version applied (0 when none is recorded)."""
    rows, group_rows = [], []
    for cadre_id, f in facts.items():
        overall = summarize(weighted(f, rules), as_of, rules.window_years).overall
        s = screened[cadre_id]
        rows.append({"cadre_id": cadre_id, "as_of": as_of, "rule_set": rules.name, "seq": seq,
                     "stream_version": versions.get(cadre_id, 0), "name": f.name, "unit_id": f.unit_id or "",
                     "total": overall.total, "positive": overall.positive, "negative": overall.negative,
                     "verdict": s.verdict, "excluded_by": s.excluded_by,
                     "unknown": s.unknown})
        # the cadre's groups in the order its own posts give them (the order its bands are listed in)
        for position, group in enumerate(ranking_groups({cadre_id: f}, as_of)):
            group_rows.append({"group_id": group, "cadre_id": cadre_id, "position": position,
                               "total": overall.total})
    return rows, group_rows
