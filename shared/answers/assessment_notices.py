"""What the notices' writes (通知单, issue 16 step 6) answer, their request examples, and the notices read."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import Field

from shared.answers.base import Answer, example
from shared.answers.writes import Written

_NOTICE = "3d0f1c9e-8e4b-4c53-a3f7-2b9a1e6d5c40"
_EV = "5f0c1e7a-5a0e-4a43-9c55-1c4f8b7d2e10"
REQUEST_EXAMPLES: dict[str, dict[str, Any]] = {
    "issue_unit_assessment_notice": {"scheme_id": "district-2025", "indicator_id": "gdp", "period": "2025-07",
                                     "effective_date": "2025-08-05", "note": "7月地区生产总值进度滞后，请于15日内报送整改措施",
                                     "basis": {"reason": "7月跟踪分析", "document": "市考评办〔2025〕21号"}},
    "answer_unit_assessment_notice": {"effective_date": "2025-08-18", "note": "已制定赶工计划，三季度末追上进度",
                                      "document": "区政府〔2025〕33号"},
}


class NoticeIssued(Written):
    model_config = example({"notice_id": _NOTICE, "year": 2025, "version": 7})
    notice_id: uuid.UUID
    year: int


class NoticeAnswered(NoticeIssued):
    model_config = example({"notice_id": _NOTICE, "year": 2025, "answered": True, "version": 8})
    answered: Literal[True]


WRITE_ANSWERS: dict[str, type[Written]] = {"issue_unit_assessment_notice": NoticeIssued,
                                           "answer_unit_assessment_notice": NoticeAnswered}


class NoticeAnswer(Answer):
    answered_on: dt.date
    answer: str
    document: str | None
    event_id: str


class Notice(Answer):
    notice_id: str
    scheme_id: str
    year: int
    subject_id: str
    class_id: str | None
    indicator_id: str | None
    period: str | None
    issued_on: dt.date
    note: str = Field(description="what the unit is asked to do")
    document: str = Field(description="the document it rests on")
    event_id: str
    status: Literal["open", "answered"]
    answer: NoticeAnswer | None


class Notices(Answer):
    model_config = example({"scheme_id": "district-2025", "year": 2025, "as_of": "2025-12-31",
                            "known_at": "2026-12-06T05:00:00+00:00", "status": "all", "class": None, "notices": [
                                {"notice_id": _NOTICE, "scheme_id": "district-2025", "year": 2025,
                                 "subject_id": "qhd-haigang", "class_id": "economic_development", "indicator_id": "gdp",
                                 "period": "2025-07", "issued_on": "2025-08-05", "note": "请于15日内报送整改措施",
                                 "document": "市考评办〔2025〕21号", "event_id": _EV, "status": "answered",
                                 "answer": {"answered_on": "2025-08-18", "answer": "已制定赶工计划",
                                            "document": None, "event_id": _EV}}]})
    scheme_id: str
    year: int
    as_of: dt.date
    known_at: dt.datetime
    status: Literal["open", "answered", "all"]
    class_: str | None = Field(alias="class")
    notices: list[Notice]
