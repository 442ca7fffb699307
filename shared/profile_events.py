"""The facts a portrait needs (知事识人, issue 20), part of the dossier's event contract (``shared.events``
re-exports them; the registry and the JSON Schemas treat them like every other event).

Three records on the cadre's own stream, each with its effective date beside the recorded time every event has,
and each with its basis (the document it rests on):

- ``education_recorded``: the highest education of one kind, full-time (全日制教育) or in-service (在职教育), as the
  cadre appointment form has them: level (学历), degree (学位), major (专业) and its discipline (学科门类, the 14 of
  the national catalogue, so that a team's majors can be counted). Recording a kind again replaces it (a correction,
  or a higher education completed since) and needs a reason.
- ``expertise_recorded``: the professional field (专业领域) and the familiar fields (熟悉领域), as codes of the
  organization department's vocabulary (the team ideal models name them). The latest record holds; a later one
  needs a reason.
- ``external_result_recorded``: a result from another source (003): a special inspection (专项巡查), a political
  patrol (政治巡察) or a departure evaluation (离任评估), with its conclusion, findings and basis.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import Field

from shared.events import Basis, DomainEvent

__all__ = ["DEGREES", "EDUCATION_LEVELS", "Degree", "Discipline", "EducationKind", "EducationLevel",
           "EducationRecorded", "ExpertiseRecorded", "ExternalResultRecorded", "ExternalResultRevoked", "FieldCode",
           "ResultConclusion", "ResultSource"]

FieldCode = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z0-9_]+$",
                                 examples=["economy"], description="a field of the department's vocabulary")]


class EducationKind(StrEnum):
    FULL_TIME = "full_time"  # 全日制教育
    IN_SERVICE = "in_service"  # 在职教育


class EducationLevel(StrEnum):
    """学历, from the highest."""

    DOCTORATE = "doctorate"  # 博士研究生
    MASTER = "master"  # 硕士研究生
    BACHELOR = "bachelor"  # 大学本科
    ASSOCIATE = "associate"  # 大学专科
    SECONDARY = "secondary"  # 中专、高中
    OTHER = "other"


# Highest first: a level's rank is its index (the search's "at least bachelor" compares ranks).
EDUCATION_LEVELS = tuple(EducationLevel)


class Degree(StrEnum):
    """学位."""

    DOCTOR = "doctor"
    MASTER = "master"
    BACHELOR = "bachelor"
    NONE = "none"


DEGREES = tuple(Degree)


class Discipline(StrEnum):
    """学科门类 of the national catalogue of majors."""

    PHILOSOPHY = "philosophy"
    ECONOMICS = "economics"
    LAW = "law"
    EDUCATION = "education"
    LITERATURE = "literature"
    HISTORY = "history"
    SCIENCE = "science"
    ENGINEERING = "engineering"
    AGRICULTURE = "agriculture"
    MEDICINE = "medicine"
    MILITARY = "military"
    MANAGEMENT = "management"
    ARTS = "arts"
    INTERDISCIPLINARY = "interdisciplinary"


class EducationRecorded(DomainEvent):
    """The cadre's highest education of one kind; recording the kind again replaces it (with a reason)."""

    event_type: ClassVar[str] = "education_recorded"
    schema_version: ClassVar[int] = 1

    kind: EducationKind
    level: EducationLevel
    degree: Degree
    major: str = Field(min_length=1, max_length=100)
    discipline: Discipline
    institution: str = Field(min_length=1, max_length=200)
    completed_on: dt.date
    basis: Basis
    reason: str | None = Field(None, max_length=2000)

    def effective_on(self) -> dt.date:
        return self.completed_on


class ExpertiseRecorded(DomainEvent):
    """专业领域 and 熟悉领域 from ``effective_date``; the latest record holds."""

    event_type: ClassVar[str] = "expertise_recorded"
    schema_version: ClassVar[int] = 1

    professional_field: FieldCode
    familiar_fields: list[FieldCode] = Field(default_factory=list, max_length=10)
    effective_date: dt.date
    basis: Basis
    reason: str | None = Field(None, max_length=2000)

    def effective_on(self) -> dt.date:
        return self.effective_date


class ResultSource(StrEnum):
    SPECIAL_INSPECTION = "special_inspection"  # 专项巡查、专项检查
    POLITICAL_PATROL = "political_patrol"  # 政治巡察
    DEPARTURE_EVALUATION = "departure_evaluation"  # 离任评估
    OTHER = "other"


class ResultConclusion(StrEnum):
    """What the result says of the cadre as a whole: a positive or negative mark, or neither."""

    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class ExternalResultRecorded(DomainEvent):
    """A result about the cadre from another source, with its findings and basis."""

    event_type: ClassVar[str] = "external_result_recorded"
    schema_version: ClassVar[int] = 1

    result_id: str
    source: ResultSource
    title: str = Field(min_length=1, max_length=300)
    effective_date: dt.date
    conclusion: ResultConclusion
    findings: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(min_length=1, max_length=50)
    basis: Basis

    def effective_on(self) -> dt.date:
        return self.effective_date


class ExternalResultRevoked(DomainEvent):
    """A result from another source withdrawn (its source retracted or corrected it): from then on no portrait shows
    it, on any day; as known at an earlier moment it is still there. The record stays in the stream."""

    event_type: ClassVar[str] = "external_result_revoked"
    schema_version: ClassVar[int] = 1

    result_id: str
    reason: str = Field(min_length=1, max_length=2000)
