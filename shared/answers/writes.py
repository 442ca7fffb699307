"""What a write answers (201, and the same again on a replay of its Idempotency-Key): the ids it made or
touched and the stream's new version (the ETag). One model per shape; ``WRITE_ANSWERS`` by operation."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from shared.answers.base import ID, Answer, example
from shared.events import AppealOutcome, DeclarationKind
from shared.positions import PATTERN as POSITION_PATTERN

_ENTRY, _APPEAL = "621f85d6-7d9e-4cd5-8212-78f53e63d3d8", "e301046c-fab3-40e3-b773-8395cd5089f9"


class Written(Answer):
    """Every write answers the version its stream has after it, and the position of what it appended."""

    version: int = Field(ge=1, description="the stream's version after the write: the ETag to send as If-Match")
    position: str = Field(pattern=POSITION_PATTERN, examples=["c74c06f3-7bbc-442b-9971-498e6ab6d484:15"],
                          description="the position of what this write appended (also the `X-Shiji-Position` "
                                      "header), opaque: give it as `min_position` to a read of scores, screening, "
                                      "rankings or warnings to be answered only once they reflect this write")


class UnitWritten(Written):
    model_config = example({"unit_id": "qhd-haigang-fgw", "version": 1, "position": "unit-qhd-haigang-fgw:1"})
    unit_id: str


class UnitYearWritten(Written):
    model_config = example({"unit_id": "qhd-haigang-fgw", "year": 2025, "version": 2, "position": "unit-qhd-haigang-fgw:2"})
    unit_id: str
    year: int


class CategoryWritten(Written):
    model_config = example({"code": "honour_city", "version": 11, "position": "catalogue:11"})
    code: str


class CadreRegistered(Written):
    model_config = example({"id": ID, "version": 1, "position": f"{ID}:1"})
    id: uuid.UUID = Field(description="the new cadre's id")


class DossierWritten(Written):
    model_config = example({"version": 2, "position": f"{ID}:2"})


class PostWritten(Written):
    model_config = example({"post_id": "e476ce79-ce4c-4ba9-890f-fb92fe7d89ce", "version": 4, "position": f"{ID}:4"})
    post_id: uuid.UUID


class AchievementWritten(Written):
    model_config = example({"achievement_id": "d84e254b-4b38-44b1-9c1f-5cad0583c8be", "version": 5, "position": f"{ID}:5"})
    achievement_id: uuid.UUID


class ReportWritten(Written):
    model_config = example({"period": "2025-Q1", "status": "submitted", "version": 10, "position": f"{ID}:10"})
    period: str
    status: Literal["draft", "submitted", "endorsed", "returned"]


class EntryWritten(Written):
    model_config = example({"entry_id": _ENTRY, "version": 15, "position": f"{ID}:15"})
    entry_id: uuid.UUID


class EntryRevoked(Written):
    model_config = example({"entry_id": _ENTRY, "revoked": True, "version": 20, "position": f"{ID}:20"})
    entry_id: uuid.UUID
    revoked: Literal[True]


class AppealFiled(Written):
    model_config = example({"appeal_id": _APPEAL, "entry_id": _ENTRY, "version": 18, "position": f"{ID}:18"})
    appeal_id: uuid.UUID
    entry_id: uuid.UUID


class AppealDecided(Written):
    model_config = example({"appeal_id": _APPEAL, "outcome": "upheld", "version": 19, "position": f"{ID}:19"})
    appeal_id: uuid.UUID
    outcome: AppealOutcome


class AssessmentWritten(Written):
    model_config = example({"year": 2025, "version": 21, "position": f"{ID}:21"})
    year: int


class DeclarationWritten(Written):
    model_config = example({"declaration": "relatives", "version": 25, "position": f"{ID}:25"})
    declaration: DeclarationKind


class ResultWritten(Written):
    model_config = example({"result_id": _ENTRY, "version": 7, "position": f"{ID}:7"})
    result_id: str


_SHAPES: dict[type[Written], tuple[str, ...]] = {
    UnitWritten: ("register_unit",),
    UnitYearWritten: ("record_team_grade", "record_target_evaluation"),
    CategoryWritten: ("define_category",),
    CadreRegistered: ("register_cadre",),
    DossierWritten: ("record_basics", "write_self_evaluation", "record_education", "record_expertise"),
    PostWritten: ("assign_post", "end_post", "transfer"),
    AchievementWritten: ("claim_achievement", "verify_achievement", "reject_achievement"),
    ReportWritten: ("save_report", "submit_report", "endorse_report", "return_report"),
    EntryWritten: ("record_entry", "amend_entry"),
    EntryRevoked: ("revoke_entry",),
    AppealFiled: ("file_appeal",),
    AppealDecided: ("decide_appeal",),
    AssessmentWritten: ("record_annual_grade", "record_appraisal_level", "record_democratic_evaluation",
                        "record_scores", "record_integrity_veto"),
    DeclarationWritten: ("record_declaration",),
    ResultWritten: ("record_external_result", "revoke_external_result"),
}
WRITE_ANSWERS: dict[str, type[Written]] = {name: model for model, names in _SHAPES.items() for name in names}


def _assessment_answers() -> dict[str, type[Written]]:
    from shared.answers import assessment_consequences, assessment_notices, assessments  # they build on Written

    return {**assessments.WRITE_ANSWERS, **assessment_notices.WRITE_ANSWERS, **assessment_consequences.WRITE_ANSWERS}


WRITE_ANSWERS.update(_assessment_answers())
