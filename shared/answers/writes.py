"""What a write answers (201, and the same again on a replay of its Idempotency-Key): the ids it made or
touched and the stream's new version (the ETag). One model per shape; ``WRITE_ANSWERS`` by operation."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from shared.answers.base import ID, Answer, example
from shared.events import AppealOutcome, DeclarationKind

Version = Field(ge=1, description="the stream's version after the write: the ETag to send as If-Match")
_ENTRY, _APPEAL = "621f85d6-7d9e-4cd5-8212-78f53e63d3d8", "e301046c-fab3-40e3-b773-8395cd5089f9"


class UnitWritten(Answer):
    model_config = example({"unit_id": "qhd-haigang-fgw", "version": 1})
    unit_id: str
    version: int = Version


class UnitYearWritten(Answer):
    model_config = example({"unit_id": "qhd-haigang-fgw", "year": 2025, "version": 2})
    unit_id: str
    year: int
    version: int = Version


class CategoryWritten(Answer):
    model_config = example({"code": "honour_city", "version": 11})
    code: str
    version: int = Version


class CadreRegistered(Answer):
    model_config = example({"id": ID, "version": 1})
    id: uuid.UUID = Field(description="the new cadre's id")
    version: int = Version


class DossierWritten(Answer):
    model_config = example({"version": 2})
    version: int = Version


class PostWritten(Answer):
    model_config = example({"post_id": "e476ce79-ce4c-4ba9-890f-fb92fe7d89ce", "version": 4})
    post_id: uuid.UUID
    version: int = Version


class AchievementWritten(Answer):
    model_config = example({"achievement_id": "d84e254b-4b38-44b1-9c1f-5cad0583c8be", "version": 5})
    achievement_id: uuid.UUID
    version: int = Version


class ReportWritten(Answer):
    model_config = example({"period": "2025-Q1", "status": "submitted", "version": 10})
    period: str
    status: Literal["draft", "submitted", "endorsed", "returned"]
    version: int = Version


class EntryWritten(Answer):
    model_config = example({"entry_id": _ENTRY, "version": 15})
    entry_id: uuid.UUID
    version: int = Version


class EntryRevoked(Answer):
    model_config = example({"entry_id": _ENTRY, "revoked": True, "version": 20})
    entry_id: uuid.UUID
    revoked: Literal[True]
    version: int = Version


class AppealFiled(Answer):
    model_config = example({"appeal_id": _APPEAL, "entry_id": _ENTRY, "version": 18})
    appeal_id: uuid.UUID
    entry_id: uuid.UUID
    version: int = Version


class AppealDecided(Answer):
    model_config = example({"appeal_id": _APPEAL, "outcome": "upheld", "version": 19})
    appeal_id: uuid.UUID
    outcome: AppealOutcome
    version: int = Version


class AssessmentWritten(Answer):
    model_config = example({"year": 2025, "version": 21})
    year: int
    version: int = Version


class DeclarationWritten(Answer):
    model_config = example({"declaration": "relatives", "version": 25})
    declaration: DeclarationKind
    version: int = Version


_SHAPES: dict[type[Answer], tuple[str, ...]] = {
    UnitWritten: ("register_unit",),
    UnitYearWritten: ("record_team_grade", "record_target_evaluation"),
    CategoryWritten: ("define_category",),
    CadreRegistered: ("register_cadre",),
    DossierWritten: ("record_basics", "write_self_evaluation"),
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
}
WRITE_ANSWERS: dict[str, type[Answer]] = {name: model for model, names in _SHAPES.items() for name in names}
