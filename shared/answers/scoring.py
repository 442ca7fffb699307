"""Scoring's reads: rolling three-year points, screening, rankings, warnings, and what a proposed rule set
would change (what-if)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import Field

from shared.answers.base import ID, KNOWN_AT, Answer, example
from shared.positions import PATTERN as POSITION_PATTERN

Verdict = Literal["eligible", "ineligible", "undetermined"]
Band = Literal["top", "bottom"] | None
_SUB = {"total": 6, "positive": 6, "negative": 0, "entries": 2}
POSITION = Field(pattern=POSITION_PATTERN, description="the cadre's position this answer is current up to (also the "
                                                       "`X-Shiji-Position` header): every write to the cadre that "
                                                       "answered this position or an earlier one is counted")


class Subtotal(Answer):
    total: float
    positive: float
    negative: float
    entries: int = Field(description="how many entries add up to it")


class QuarterPoints(Subtotal):
    quarter: str = Field(examples=["2025-Q1"])
    start: dt.date
    end: dt.date


class PeriodPoints(Subtotal):
    period: str = Field(description="a year (2025) or a quarter (2025-Q1)")
    start: dt.date
    end: dt.date


class Score(Subtotal):
    model_config = example({
        "cadre_id": ID, "as_of": "2026-12-06", "known_at": KNOWN_AT, "rule_set": "default@1",
        "window_start": "2023-12-07", "window_end": "2026-12-06", **_SUB,
        "quarters": [{"quarter": "2025-Q1", "start": "2025-01-01", "end": "2025-03-31", **_SUB}],
        "years": [{"period": "2025", "start": "2025-01-01", "end": "2025-12-31", **_SUB}],
        "last_12_quarters": [{"period": "2025-Q1", "start": "2025-01-01", "end": "2025-03-31", **_SUB}],
        "position": f"{ID}:15"})
    cadre_id: uuid.UUID
    as_of: dt.date
    known_at: dt.datetime
    rule_set: str
    window_start: dt.date
    window_end: dt.date
    quarters: list[QuarterPoints] = Field(description="the quarters of the window, cut to it")
    years: list[PeriodPoints] = Field(description="the three complete calendar years before the as-of year")
    last_12_quarters: list[PeriodPoints] = Field(description="the 12 quarters ending with the as-of quarter")
    position: str = POSITION


class RuleVerdict(Answer):
    rule: str
    status: Literal["pass", "fail", "unknown"]
    reason_zh: str
    reason_en: str
    evidence: list[str] = Field(description="the ids of the events it rests on")
    source: str = Field(description="the article the rule comes from")


class Screening(Answer):
    model_config = example({
        "cadre_id": ID, "as_of": "2026-12-06", "rule_set": "default@1", "verdict": "ineligible",
        "excluded_by": ["less_than_three_years_in_post"],
        "rules": [{"rule": "net_negative_points_and_register", "status": "pass", "reason_zh": "近三年动态积分 6，正负面清单 2",
                   "reason_en": "dynamic points 6, register 2 over the last three years", "evidence": [],
                   "source": "002"}],
        "position": f"{ID}:15"})
    cadre_id: uuid.UUID
    as_of: dt.date
    rule_set: str
    verdict: Verdict
    excluded_by: list[str] = Field(description="the rules that failed")
    rules: list[RuleVerdict]
    position: str = POSITION


class Named(Answer):
    """Who a row is about (issue 15): null where scoring has not heard of the cadre or the unit's name."""

    cadre_id: uuid.UUID
    name: str | None
    unit_id: str | None = Field(description="the unit the cadre was registered in")
    unit_name: str | None


class Ineligible(Named):
    excluded_by: list[str]


class Undetermined(Named):
    unknown: list[str] = Field(description="the rules that lack the records to decide")


class Screenings(Answer):
    model_config = example({
        "unit": "qhd", "as_of": "2026-12-06", "known_at": KNOWN_AT, "rule_set": "default@1", "cadres": 2,
        "eligible": ["8730c331-0cfe-4647-9a25-8f62763b0cce"],
        "eligible_cadres": [{"cadre_id": "8730c331-0cfe-4647-9a25-8f62763b0cce", "name": "李娜",
                             "unit_id": "qhd-haigang-fgw", "unit_name": "海港区发改局"}],
        "ineligible": [{"cadre_id": ID, "name": "张伟", "unit_id": "qhd-haigang-fgw", "unit_name": "海港区发改局",
                        "excluded_by": ["less_than_three_years_in_post"]}], "undetermined": []})
    unit: str | None
    as_of: dt.date
    known_at: dt.datetime
    rule_set: str
    cadres: int = Field(description="how many cadres were screened (in this page, when paged)")
    eligible: list[uuid.UUID]
    eligible_cadres: list[Named] = Field(description="the eligible with their names and units, in the same order")
    ineligible: list[Ineligible]
    undetermined: list[Undetermined]
    next: str | None = Field(None, description="with `limit` only: the `cursor` of the following page, null on the "
                                               "last; absent from the whole list")


class Ranked(Answer):
    rank: int = Field(ge=1, description="the rank in the whole class")
    cadre_id: uuid.UUID
    name: str | None
    unit_id: str | None
    unit_name: str | None
    total: float
    band: Band = Field(description="the top 30 %, the bottom 10 %, or neither")


class Ranking(Answer):
    model_config = example({
        "group": "class:economic_development:chief", "as_of": "2026-12-06", "known_at": KNOWN_AT,
        "rule_set": "default@1", "size": 2,
        "tie_rule": "equal totals share a rank (1, 2, 2, 4) and are listed by name; a tie across a band's edge "
                    "falls wholly inside the band",
        "ranking": [{"rank": 1, "cadre_id": ID, "name": "张伟", "unit_id": "qhd-haigang-fgw",
                     "unit_name": "海港区发改局", "total": 10.5,
                     "band": "top"}]})
    group: str = Field(description="class:<class>:<chief|deputy> or team:<unit>:deputy")
    as_of: dt.date
    known_at: dt.datetime
    rule_set: str
    size: int = Field(description="the whole class's size; ``ranking`` lists the caller's jurisdiction only")
    tie_rule: str
    ranking: list[Ranked]


class RaisedWarning(Named):
    key: str
    kind: str
    level: Literal["yellow", "red"]
    detail: str = Field(description="what held on the day it was raised, dated; not updated afterwards")
    rule_set: str
    raised_on: dt.date
    cleared_on: dt.date | None
    status: Literal["active", "cleared"]
    occurrence: int = Field(1, ge=1, description="the how-many-th raising of this key for the cadre")
    figure: float | None = Field(None, description="the condition's number on raised_on (points, or the total "
                                                   "ranked); null when it has none or was raised before it was kept")
    threshold: float | None = Field(None, description="what figure was held against (points); null when none")


class Warnings(Answer):
    model_config = example({"warnings": [{
        "cadre_id": ID, "name": "张伟", "unit_id": "qhd-haigang-fgw", "unit_name": "海港区发改局",
        "key": "bottom_of_ranking:class:economic_development:deputy", "kind": "bottom_of_ranking",
        "level": "yellow", "detail": "rank 7 of 7 in class:economic_development:deputy (total 6) on 2026-12-06",
        "rule_set": "default@1", "raised_on": "2026-12-06", "cleared_on": None, "status": "active",
        "occurrence": 1, "figure": 6, "threshold": None}],
        "next": "WyIyMDI2LTEyLTA2VDA0OjUyOjUwIiwgImMiLCAiayIsICIyMDI2LTEyLTA2Il0="})
    warnings: list[RaisedWarning] = Field(description="newest first")
    next: str | None = Field(description="the cursor of the next page; null on the last")


class Verdicts(Answer):
    verdict: Verdict
    excluded_by: list[str]


class TotalChange(Answer):
    current: float
    proposed: float


class VerdictChange(Answer):
    current: Verdicts
    proposed: Verdicts


class BandChange(Answer):
    current: Band
    proposed: Band


class EligibleCounts(Answer):
    current: int
    proposed: int


class Change(Answer):
    cadre_id: uuid.UUID
    name: str | None
    total: TotalChange | None = Field(None, description="present when the total changes")
    screening: VerdictChange | None = Field(None, description="present when the verdict changes")
    ranking_bands: dict[str, BandChange] | None = Field(None, description="by ranking group, present when a band "
                                                                          "changes")


class WhatIf(Answer):
    model_config = example({
        "unit": "qhd", "as_of": "2026-12-06", "current_rule_set": "default@1", "proposed_rule_set": "stricter@1",
        "cadres": 5, "affected": 1, "eligible": {"current": 0, "proposed": 0},
        "changes": [{"cadre_id": ID, "name": "张伟", "total": {"current": 6.0, "proposed": 7.0}, "screening": {
            "current": {"verdict": "ineligible", "excluded_by": ["less_than_three_years_in_post"]},
            "proposed": {"verdict": "ineligible", "excluded_by": ["mass_satisfaction_below_threshold",
                                                                   "less_than_three_years_in_post"]}}}]})
    unit: str | None
    as_of: dt.date
    current_rule_set: str
    proposed_rule_set: str
    cadres: int
    affected: int
    eligible: EligibleCounts = Field(description="how many would be eligible, now and under the proposal")
    changes: list[Change]
