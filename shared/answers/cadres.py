"""A cadre's reads from the dossier: the registration, the event history, the whole dossier (实绩档案) and
the annual appraisal sheet (工作实绩鉴定表), each as known at a moment."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import Field

from shared.answers.base import HASH, ID, KNOWN_AT, RECORDED_AT, Answer, example
from shared.events import AnnualGrade, AppealOutcome, AppraisalLevel, Basis, DeclarationKind, EntryKind, ImpactPeriod, Leadership

_BASIS = {"reason": "市委通报表扬", "document": "组字〔2026〕8号"}
_TRACE = {"event": "entry_recorded", "version": 15, "recorded_at": RECORDED_AT, "actor": "p-clerk", "reason": None}
_YEAR = {"year": 2025, "annual_grade": "competent", "appraisal_level": "good", "mass_satisfaction": 92,
         "political_quality": 95, "democratic_evaluation": {"superiors": {"excellent": 12, "competent": 30}},
         "vetoes": []}
Points = Field(description="points, a whole or a decimal number")
Democratic = dict[str, dict[str, int]]  # rater group -> grade -> raters


class Cadre(Answer):
    model_config = example({"id": ID, "name": "张伟", "unit_id": "qhd-haigang-fgw", "version": 25})
    id: uuid.UUID
    name: str
    unit_id: str
    version: int = Field(ge=1, description="the stream's version, also the ETag")


class Event(Answer):
    event_id: uuid.UUID
    position: int = Field(description="the event's place in the store, in commit order")
    version: int = Field(ge=1, description="its place in the cadre's stream")
    type: str = Field(description="the event type, e.g. entry_recorded")
    schema_version: int = Field(description="the version of the type's schema, after upcasting")
    data: dict[str, Any] = Field(description="the event as the type's current schema has it")
    effective_date: dt.date | None
    recorded_at: dt.datetime
    actor: str
    actor_role: str
    hash: str | None = Field(description="the stream's hash chain, <algorithm>:<hex>")


class CadreEvents(Answer):
    model_config = example({"cadre_id": ID, "version": 25, "events": [{
        "event_id": "e555b32e-5c2e-484d-a4b1-85b70c2c1cfa", "position": 38, "version": 1, "type": "cadre_registered",
        "schema_version": 1, "data": {"cadre_id": ID, "name": "张伟", "unit_id": "qhd-haigang-fgw"},
        "effective_date": None, "recorded_at": RECORDED_AT, "actor": "p-clerk", "actor_role": "clerk", "hash": HASH}]})
    cadre_id: uuid.UUID
    version: int
    events: list[Event] = Field(description="oldest first")


class Trace(Answer):
    """One event that touched a record: what, when, by whom, and the reason given."""

    event: str
    version: int
    recorded_at: dt.datetime
    actor: str
    reason: str | None


class Basics(Answer):
    name: str
    unit_id: str
    birth_date: dt.date | None = None
    gender: str | None = None
    education: str | None = None
    political_status: str | None = None


class Post(Answer):
    post_id: uuid.UUID
    unit_id: str
    position: str
    rank: str
    leadership: Leadership
    start_date: dt.date
    end_date: dt.date | None
    years_in_post: int = Field(description="completed years (任职年限) to its end, or to today")


class Achievement(Answer):
    achievement_id: uuid.UUID
    title: str
    description: str | None
    effective_date: dt.date
    status: Literal["claimed", "verified", "rejected"]
    category: str | None
    points: float | None = Points
    decision: str | None
    history: list[Trace]


class QuarterlyReport(Answer):
    period: str = Field(examples=["2025-Q1"])
    status: Literal["draft", "submitted", "filed", "returned"]
    comment: str | None
    key_work: str | None
    indicator_progress: str | None
    most_satisfied: str | None
    least_satisfied: str | None
    history: list[Trace]


class Entry(Answer):
    entry_id: uuid.UUID
    kind: EntryKind
    category: str
    title: str
    points: float = Points
    effective_date: dt.date
    basis: Basis
    impact_period: ImpactPeriod | None
    status: Literal["active", "under_appeal", "revoked"]
    history: list[Trace]


class Appeal(Answer):
    appeal_id: uuid.UUID
    entry_id: uuid.UUID
    grounds: str
    outcome: AppealOutcome | None
    reason: str | None


class YearAssessment(Answer):
    year: int
    annual_grade: AnnualGrade | None
    appraisal_level: AppraisalLevel | None
    mass_satisfaction: float | None
    political_quality: float | None
    democratic_evaluation: Democratic
    vetoes: list[Basis]


class Declaration(Answer):
    declaration: DeclarationKind
    flagged: bool | None = Field(description="None when masked")
    details: str | None = Field(description="None when masked")
    masked: bool = Field(description="whether the reader's role may not open it")


class Dossier(Answer):
    model_config = example({
        "cadre_id": ID, "version": 25, "known_at": KNOWN_AT,
        "basics": {"name": "张伟", "unit_id": "qhd-haigang-fgw", "birth_date": "1980-05-01", "gender": "男"},
        "self_evaluation": "勤勉尽责，敢于担当",
        "posts": [{"post_id": "e476ce79-ce4c-4ba9-890f-fb92fe7d89ce", "unit_id": "qhd-haigang-fgw", "position": "副局长",
                   "rank": "正处级", "leadership": "deputy", "start_date": "2025-01-01", "end_date": None,
                   "years_in_post": 1}],
        "achievements": [], "quarterly_reports": [], "missing_quarterly_reports": ["2026-Q3"],
        "entries": [{"entry_id": "621f85d6-7d9e-4cd5-8212-78f53e63d3d8", "kind": "positive", "category": "honour",
                     "title": "获市级先进个人表彰", "points": 2, "effective_date": "2025-01-01", "basis": _BASIS,
                     "impact_period": None, "status": "active", "history": [_TRACE]}],
        "appeals": [], "assessments": [_YEAR],
        "declarations": [{"declaration": "relatives", "flagged": None, "details": None, "masked": True}]})
    cadre_id: uuid.UUID
    version: int
    known_at: dt.datetime = Field(description="the moment the dossier is as known at")
    basics: Basics
    self_evaluation: str | None
    posts: list[Post]
    achievements: list[Achievement]
    quarterly_reports: list[QuarterlyReport]
    missing_quarterly_reports: list[str] = Field(description="closed quarters since registration without a filed report")
    entries: list[Entry]
    appeals: list[Appeal]
    assessments: list[YearAssessment]
    declarations: list[Declaration]


class SheetItem(Answer):
    """An entry (``entry_id``) or a verified achievement (``achievement_id``) of the quarter."""

    entry_id: uuid.UUID | None = None
    achievement_id: uuid.UUID | None = None
    kind: EntryKind
    category: str | None
    title: str
    points: float = Points
    basis: Basis
    effective_date: dt.date


class SheetQuarter(Answer):
    quarter: str
    positive: float
    negative: float
    total: float
    items: list[SheetItem]


class AppraisalSheet(Answer):
    model_config = example({
        "cadre_id": ID, "name": "张伟", "year": 2025, "known_at": KNOWN_AT,
        "quarters": [{"quarter": "2025-Q1", "positive": 2, "negative": 0, "total": 2, "items": [{
            "entry_id": "621f85d6-7d9e-4cd5-8212-78f53e63d3d8", "kind": "positive", "category": "honour",
            "title": "获市级先进个人表彰", "points": 2, "basis": _BASIS, "effective_date": "2025-01-01"}]}],
        "year_total": 2, "democratic_evaluation": _YEAR["democratic_evaluation"], "last_three_years": [_YEAR]})
    cadre_id: uuid.UUID
    name: str | None
    year: int
    known_at: dt.datetime
    quarters: list[SheetQuarter] = Field(description="the year's four quarters")
    year_total: float
    democratic_evaluation: Democratic
    last_three_years: list[YearAssessment]
