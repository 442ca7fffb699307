"""The answers of the assessment's consequences and its what-if (issue 16, steps 5 and 7)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from shared.answers.base import Answer, example
from shared.answers.writes import Written

_EV = "5f0c1e7a-5a0e-4a43-9c55-1c4f8b7d2e10"

REQUEST_EXAMPLES: dict[str, dict[str, Any]] = {
    "file_unit_rectification_report": {"scheme_id": "district-2025", "report": {
        "reason": "生态环境事故整改到位，已建立长效机制", "document": "海港区委〔2026〕3号"}},
}


class RectificationFiled(Written):
    model_config = example({"unit_id": "qhd-haigang", "year": 2025, "scheme_id": "district-2025", "version": 12,
                            "position": "unit-qhd-haigang:12"})
    unit_id: str
    year: int
    scheme_id: str


WRITE_ANSWERS: dict[str, type[Written]] = {"file_unit_rectification_report": RectificationFiled}


class Consequence(Answer):
    key: str = Field(description="rule:scheme:year:subject: one consequence of the subject's year")
    occurrence: int = Field(description="the how-many-th raising of the key (a later decision may withdraw it and "
                                        "raise it again)")
    subject_id: str
    subject_kind: Literal["unit", "team", "cadre"]
    rule: str
    source: str = Field(description="the article (001, 004)")
    action: str
    bearer_id: str = Field(description="who bears it: the subject, or the head of the unit or team")
    grade: str = Field(description="the decided grade it follows from")
    composite: str | None = Field(description="the calculated composite as of the year's end")
    evidence: list[str]
    message: str
    warning_kind: str | None = Field(description="the warning raised with it, on GET /warnings and "
                                                 "shiji.scoring.warnings.v1")
    status: Literal["active", "withdrawn"]
    raised_on: dt.date
    withdrawn_on: dt.date | None
    owed: bool = Field(description="a rectification report owed: active and not yet filed")
    filed_event_id: str | None


class Consequences(Answer):
    model_config = example({"scheme_id": "district-2025", "year": 2025, "status": "owed", "consequences": [
        {"key": "unit_fail_rectification_report:district-2025:2025:qhd-haigang", "occurrence": 1,
         "subject_id": "qhd-haigang", "subject_kind": "unit", "rule": "unit_fail_rectification_report",
         "source": "004", "action": "rectification_report", "bearer_id": "qhd-haigang", "grade": "fail",
         "composite": "58.20", "evidence": [_EV],
         "message": "不达标: a written rectification report to the city committee and government is owed",
         "warning_kind": None, "status": "active", "raised_on": "2026-01-20", "withdrawn_on": None, "owed": True,
         "filed_event_id": None}]})
    scheme_id: str
    year: int
    status: Literal["all", "active", "owed"]
    consequences: list[Consequence]


class Outcome(Answer):
    status: Literal["complete", "blocked"]
    composite: str | None
    grade: str | None
    rank: int | None
    band: Literal["top", "bottom"] | None


class SubjectChange(Answer):
    subject_id: str
    class_id: str
    current: Outcome
    proposed: Outcome
    composite_delta: str | None
    changed: list[Literal["status", "composite", "grade", "rank", "band"]]


class SchemeWhatIf(Answer):
    model_config = example({
        "scheme_id": "district-2025", "year": 2025, "as_of": "2025-12-31", "known_at": "2026-12-06T05:00:00+00:00",
        "current": "district-2025@1", "proposed": "district-2025@2", "subjects": 3, "dropped_inputs": 0,
        "changes": [{"subject_id": "qhd-haigang", "class_id": "economic_development",
                     "current": {"status": "complete", "composite": "86.80", "grade": "pass", "rank": 2, "band": None},
                     "proposed": {"status": "complete", "composite": "91.20", "grade": "merit", "rank": 1,
                                  "band": "top"},
                     "composite_delta": "4.40", "changed": ["composite", "grade", "rank", "band"]}]})
    scheme_id: str
    year: int
    as_of: dt.date
    known_at: dt.datetime
    current: str = Field(description="the version in force on as_of, id@version")
    proposed: str
    subjects: int = Field(description="how many of the caller's jurisdiction are compared (ranks are within the "
                                      "whole class)")
    dropped_inputs: int = Field(description="inputs the proposal no longer reads")
    changes: list[SubjectChange] = Field(description="the caller's subjects whose result would change")
