"""The evaluator's decision as a pure diff: what to raise, clear and publish, from plain data."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from services.scoring.announcements import (
    ActiveWarning,
    PublishedTotals,
    decide,
    kinds_evaluated,
    totals_change,
)
from services.scoring.model import CadreFacts, EntryFact, PostFact
from services.scoring.rules import RuleBook

AS_OF = dt.date(2026, 6, 30)
NOW = dt.datetime(2026, 6, 30, 8, tzinfo=dt.UTC)
RULES = RuleBook.load().for_date(AS_OF)


def entry(n: int, points: str, day: dt.date = AS_OF, impact: tuple[dt.date, dt.date] | None = None) -> EntryFact:
    return EntryFact(f"e{n}", f"ev{n}", "negative" if Decimal(points) < 0 else "positive", "work_style",
                     Decimal(points), day, impact)


def published_as(change) -> PublishedTotals:
    v = change.values
    return PublishedTotals(v["cadre_id"], v["total_cents"], v["positive_cents"], v["negative_cents"], v["rule_set"])


def test_a_condition_that_starts_to_hold_is_raised_and_announced_once() -> None:
    facts = {"c-1": CadreFacts("c-1", entries=[entry(1, "-5")])}
    changes = decide(facts, ["c-1"], {}, {}, AS_OF, NOW, RULES)
    raised = {c.warning.kind for c in changes.warnings}
    assert "rolling_total_negative" in raised and all(c.status == "raised" for c in changes.warnings)
    for c in changes.warnings:
        assert (c.on, c.at, c.warning.raised_on, c.warning.rule_set) == (AS_OF, NOW, AS_OF, RULES.name)
        message = json.loads(c.message)
        assert message["data"]["status"] == "raised" and message["data"]["key"] == c.warning.key
    # the same facts with those warnings active: nothing to raise again
    active = {"c-1": {c.warning.key: c.warning for c in changes.warnings}}
    [totals] = changes.totals
    again = decide(facts, ["c-1"], active, {"c-1": published_as(totals)}, AS_OF, NOW, RULES)
    assert again.warnings == [] and again.totals == []


def test_a_condition_that_stops_holding_is_cleared_with_the_row_it_was_raised_with() -> None:
    old = ActiveWarning("c-1", "rolling_total_negative", dt.date(2026, 1, 2), "rolling_total_negative", "red",
                        "three-year total -5 below 0", "older-rules")
    facts = {"c-1": CadreFacts("c-1", entries=[entry(1, "10")])}
    changes = decide(facts, ["c-1"], {"c-1": {old.key: old}}, {}, AS_OF, NOW, RULES)
    [cleared] = [c for c in changes.warnings if c.status == "cleared"]
    assert cleared.warning == old and cleared.on == AS_OF
    data = json.loads(cleared.message)["data"]
    assert (data["status"], data["rule_set"], data["level"]) == ("cleared", "older-rules", "red")


def test_totals_are_published_only_when_they_changed() -> None:
    facts = CadreFacts("c-1", entries=[entry(1, "2.5"), entry(2, "-1")])
    first = totals_change(facts, None, AS_OF, NOW, RULES)
    assert first is not None
    assert (first.values["total_cents"], first.values["positive_cents"], first.values["negative_cents"]) == (150, 250, -100)
    assert totals_change(facts, published_as(first), AS_OF, NOW, RULES) is None
    moved = CadreFacts("c-1", entries=[*facts.entries, entry(3, "1")])
    assert totals_change(moved, published_as(first), AS_OF, NOW, RULES).values["total_cents"] == 250


def test_bottom_of_ranking_is_decided_only_with_rankings() -> None:
    rules = RULES.model_copy(update={"warnings": RULES.warnings.model_copy(update={"bottom_of_ranking": 1})})
    assert "bottom_of_ranking" not in kinds_evaluated(rules, with_rankings=False)
    assert "bottom_of_ranking" in kinds_evaluated(rules, with_rankings=True)
    facts = {f"c-{n}": CadreFacts(f"c-{n}", name=f"n{n}", unit_id="u", entries=[entry(n, str(n))],
                                  posts=[PostFact(f"p{n}", f"pe{n}", "u", "chief", dt.date(2020, 1, 1), None)],
                                  unit_classes={"u": "county"})
             for n in range(1, 4)}
    ids = sorted(facts)
    without = decide(facts, ids, {}, {}, AS_OF, NOW, rules)
    assert not any(c.warning.kind == "bottom_of_ranking" for c in without.warnings)
    ranked = decide(facts, ids, {}, {}, AS_OF, NOW, rules, with_rankings=True)
    assert [(c.warning.cadre_id, c.warning.key) for c in ranked.warnings if c.warning.kind == "bottom_of_ranking"] \
        == [("c-1", "bottom_of_ranking:class:county:chief")]
