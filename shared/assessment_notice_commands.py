"""The commands of notices (通知单, issue 16 step 6): a clerk issues one to a unit, and records the unit's answer,
which closes it. ``NOTICE_OPERATIONS`` are added to ``shared.commands.OPERATIONS`` once, here (``shared.commands``
imports this module at its end)."""

from __future__ import annotations

from pydantic import Field

from shared import commands
from shared.assessment_events import ASSESSMENT_PERIOD, AssessmentCode
from shared.commands import Command, Operation, RecordDate
from shared.events import Basis


class IssueAssessmentNotice(Command):
    scheme_id: AssessmentCode
    indicator_id: AssessmentCode | None = Field(None, description="the indicator it concerns, if one")
    period: str | None = Field(None, pattern=ASSESSMENT_PERIOD, examples=["2025-07"],
                               description="the period it concerns, if one (in the year)")
    effective_date: RecordDate = Field(description="the day it is issued, not after today")
    note: str = Field(min_length=1, max_length=2000, examples=["园博园建设进度滞后，请于15日内报送整改措施"])
    basis: Basis


class AnswerAssessmentNotice(Command):
    effective_date: RecordDate = Field(description="the day the unit answered, not before the notice nor after today")
    note: str = Field(min_length=1, max_length=2000, examples=["已制定赶工计划，8月底前完成主体工程"])
    document: str | None = Field(None, min_length=1, max_length=500)


_NOTICES = "/units/{unit_id}/assessments/{year}/notices"
NOTICE_OPERATIONS: list[Operation] = [
    Operation("issue_unit_assessment_notice", _NOTICES, IssueAssessmentNotice,
              "Issue a notice (通知单) to a unit about its assessment", "assessments", False),
    Operation("answer_unit_assessment_notice", f"{_NOTICES}/{{notice_id}}/answer", AnswerAssessmentNotice,
              "Record the unit's answer to a notice, which closes it", "assessments", False),
]
if not any(op.name == "issue_unit_assessment_notice" for op in commands.OPERATIONS):
    commands.OPERATIONS.extend(NOTICE_OPERATIONS)
