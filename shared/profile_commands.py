"""The commands of the facts a portrait needs (issue 20): education, expertise and results from other sources.
``PROFILE_OPERATIONS`` are added to ``shared.commands.OPERATIONS`` once, here (``shared.commands`` imports this
module at its end). Every one is the organization department's write on a cadre's dossier (If-Match applies)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from shared import commands
from shared.commands import Command, Operation, RecordDate
from shared.events import Basis
from shared.profile_events import (
    Degree,
    Discipline,
    EducationKind,
    EducationLevel,
    FieldCode,
    ResultConclusion,
    ResultSource,
)

_CORRECTION = "required when the record it replaces exists (a correction, or a newer state of things)"


class RecordEducation(Command):
    kind: EducationKind = Field(description="full_time (全日制教育) or in_service (在职教育)")
    level: EducationLevel
    degree: Degree
    major: str = Field(min_length=1, max_length=100, examples=["区域经济学"])
    discipline: Discipline
    institution: str = Field(min_length=1, max_length=200, examples=["南开大学"])
    completed_on: RecordDate = Field(description="the day it was completed, not after today")
    basis: Basis
    reason: str | None = Field(None, min_length=1, max_length=2000, description=_CORRECTION)


class RecordExpertise(Command):
    professional_field: FieldCode
    familiar_fields: list[FieldCode] = Field(default_factory=list, max_length=10)
    effective_date: RecordDate
    basis: Basis
    reason: str | None = Field(None, min_length=1, max_length=2000, description=_CORRECTION)

    @field_validator("familiar_fields")
    @classmethod
    def _distinct(cls, fields: list[str]) -> list[str]:
        if len(set(fields)) != len(fields):
            raise ValueError("each familiar field once")
        return fields


class RecordExternalResult(Command):
    source: ResultSource
    title: str = Field(min_length=1, max_length=300, examples=["2025年市委第三轮巡察"])
    effective_date: RecordDate
    conclusion: ResultConclusion
    findings: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(min_length=1, max_length=50)
    basis: Basis


class RevokeExternalResult(Command):
    reason: str = Field(min_length=1, max_length=2000, examples=["巡察组复核后撤回该结论"])


PROFILE_OPERATIONS: list[Operation] = [
    Operation("record_education", "/cadres/{cadre_id}/education", RecordEducation,
              "Record a cadre's highest full-time or in-service education (学历学位、专业)", "portraits"),
    Operation("record_expertise", "/cadres/{cadre_id}/expertise", RecordExpertise,
              "Record a cadre's professional field and familiar fields (专业领域、熟悉领域)", "portraits"),
    Operation("record_external_result", "/cadres/{cadre_id}/external-results", RecordExternalResult,
              "Record a result from another source: special inspection, political patrol, departure evaluation",
              "portraits"),
    Operation("revoke_external_result", "/cadres/{cadre_id}/external-results/{result_id}/revocation",
              RevokeExternalResult, "Revoke a result from another source (a new event; the original stays)", "portraits"),
]
if not any(op.name == "record_education" for op in commands.OPERATIONS):
    commands.OPERATIONS.extend(PROFILE_OPERATIONS)
