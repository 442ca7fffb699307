"""The annual comprehensive assessment's events (综合考评, issue 16), part of the dossier's event contract
(``shared.events`` re-exports them; the registry and the JSON Schemas treat them like every other event).

A scheme's versions are events of the stream ``scheme-<id>``; a subject's inputs and its decided grade are
events of its own stream (``unit-<id>`` for a unit or its leadership team, the cadre's stream for a cadre), each
with its effective date (the day it counts from) beside the recorded time every event has. Numbers are exact
decimals, kept as text.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.events import Basis, DomainEvent, Year

__all__ = ["ASSESSMENT_PERIOD", "Amount", "AssessmentCode", "AssessmentGradeDecided", "AssessmentInputRevoked",
           "AssessmentSchemePublished", "ConstraintBreachRecorded", "Departure", "EvaluationKind",
           "EvaluationScoreRecorded", "IndicatorReadingRecorded"]

AssessmentCode = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]
# The period a reading or score is for: the year ("2025"), a quarter ("2025-Q3") or a month ("2025-07").
ASSESSMENT_PERIOD = r"^(19[5-9][0-9]|2[01][0-9][0-9])(-Q[1-4]|-(0[1-9]|1[0-2]))?$"
Amount = Annotated[Decimal, Field(ge=-1_000_000_000, le=1_000_000_000, max_digits=24, decimal_places=6)]


class EvaluationKind(StrEnum):
    """Who gave a score (001): 上级评价, 部门评价, 民主测评, 平时考核 (quarterly), 政治素质, or another evaluation."""

    SUPERIOR = "superior"
    DEPARTMENT = "department"
    DEMOCRATIC = "democratic"
    ROUTINE = "routine"
    POLITICAL_QUALITY = "political_quality"
    OTHER = "other"


class AssessmentSchemePublished(DomainEvent):
    """A version of an assessment scheme (综合考评方案) was published: the whole document, as
    ``assessment_scheme.v1.json`` describes it, validated by the dossier (shared/assessment_scheme.py)."""

    event_type: ClassVar[str] = "assessment_scheme_published"
    schema_version: ClassVar[int] = 1

    scheme_id: AssessmentCode
    version: int = Field(ge=1)
    effective_from: dt.date
    scheme: dict[str, Any] = Field(description="the scheme document (assessment_scheme.v1)")

    def effective_on(self) -> dt.date:
        return self.effective_from


class _PeriodInput(DomainEvent):
    """What a reading and a score share: the period it is for, counted from its effective date; recording a
    period again corrects it (a reason is then required)."""

    input_id: str
    scheme_id: AssessmentCode
    year: Year
    period: str = Field(pattern=ASSESSMENT_PERIOD)
    effective_date: dt.date
    source: str = Field(min_length=1, max_length=300, description="where it comes from (统计局, 现场核查, 评分表 …)")
    basis: Basis | None = None
    reason: str | None = Field(None, max_length=2000)

    def effective_on(self) -> dt.date:
        return self.effective_date


class IndicatorReadingRecorded(_PeriodInput):
    """An indicator's reading for a period (004: data monthly, projects quarterly): a number against the
    target, or a level (001: the poverty-alleviation result). Recording a period again corrects it (a reason
    is then required); the latest period read by a date stands for the year to that date."""

    event_type: ClassVar[str] = "indicator_reading_recorded"
    schema_version: ClassVar[int] = 1

    indicator_id: AssessmentCode
    value: Amount | None = None
    level: str | None = Field(None, min_length=1, max_length=50)
    last_year: Amount | None = Field(None, description="the same period last year (004)")
    target: Amount | None = Field(None, description="the target as the monitoring sheet states it")


class EvaluationScoreRecorded(_PeriodInput):
    """A score (0-100) of a component scored as a whole (001: superior, department, democratic evaluation,
    routine assessment by quarter). Recording a period again corrects it (with a reason)."""

    event_type: ClassVar[str] = "evaluation_score_recorded"
    schema_version: ClassVar[int] = 1

    component_id: AssessmentCode
    evaluation: EvaluationKind
    score: Annotated[Decimal, Field(ge=0, le=100, max_digits=9, decimal_places=4)]


class ConstraintBreachRecorded(DomainEvent):
    """A breach of a constraint indicator as it happened (004: a major ecological accident, a one-vote veto
    when the scheme says so)."""

    event_type: ClassVar[str] = "constraint_breach_recorded"
    schema_version: ClassVar[int] = 1

    input_id: str
    scheme_id: AssessmentCode
    indicator_id: AssessmentCode
    year: Year
    effective_date: dt.date
    note: str = Field(min_length=1, max_length=2000)
    basis: Basis

    def effective_on(self) -> dt.date:
        return self.effective_date


class AssessmentInputRevoked(DomainEvent):
    """A reading, score or breach revoked (it was wrong), with the reason: as known from its recorded time on,
    it never counted."""

    event_type: ClassVar[str] = "assessment_input_revoked"
    schema_version: ClassVar[int] = 1

    input_id: str
    scheme_id: AssessmentCode
    year: Year
    reason: str = Field(min_length=1, max_length=2000)



class Departure(BaseModel):
    """Why a decided grade departs from a rule of the proposal, or from the proposal itself (``proposal``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str = Field(min_length=1, max_length=100, examples=["proposal"])
    reason: str = Field(min_length=1, max_length=2000)


class AssessmentGradeDecided(DomainEvent):
    """The grade decided for the year by the organization department, beside the grade the composite reached
    (``calculated``) and the one proposed after every rule (``proposed``), with a reason for each departure.
    For a cadre it comes with the annual grade (annual_grade_recorded), for a team with its team grade: the same
    records as before, so the constraints and the screening read it as they read any grade."""

    event_type: ClassVar[str] = "assessment_grade_decided"
    schema_version: ClassVar[int] = 1

    scheme_id: AssessmentCode
    year: Year
    subject_kind: str = Field(pattern="^(unit|team|cadre)$")
    grade: str = Field(min_length=1, max_length=50)
    calculated: str | None = Field(None, max_length=50)
    proposed: str | None = Field(None, max_length=50)
    departures: tuple[Departure, ...] = ()
    reason: str | None = Field(None, max_length=2000)

