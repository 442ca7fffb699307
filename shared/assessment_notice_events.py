"""Notices (通知单) of the annual comprehensive assessment's tracking (issue 16 step 6; 004: 44 in a year): the
assessment office issues one to a unit about its progress, and it is closed with the unit's answer. Both are
events of the unit's stream (``unit-<id>``), part of the dossier's event contract (``shared.events`` re-exports
them). Warning notices (预警通知单) are not events: scoring derives them from the readings."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import Field

from shared.assessment_events import ASSESSMENT_PERIOD, AssessmentCode
from shared.events import Basis, DomainEvent, Year

__all__ = ["AssessmentNoticeAnswered", "AssessmentNoticeIssued"]


class AssessmentNoticeIssued(DomainEvent):
    """A notice issued to the unit: what it is asked to do (``note``), about an indicator and a period when it
    concerns one, on the document it rests on."""

    event_type: ClassVar[str] = "assessment_notice_issued"
    schema_version: ClassVar[int] = 1

    notice_id: str
    scheme_id: AssessmentCode
    year: Year
    indicator_id: AssessmentCode | None = None
    period: str | None = Field(None, pattern=ASSESSMENT_PERIOD)
    effective_date: dt.date = Field(description="the day it was issued")
    note: str = Field(min_length=1, max_length=2000, description="what the unit is asked to do")
    basis: Basis

    def effective_on(self) -> dt.date:
        return self.effective_date


class AssessmentNoticeAnswered(DomainEvent):
    """The unit's answer to a notice, which closes it."""

    event_type: ClassVar[str] = "assessment_notice_answered"
    schema_version: ClassVar[int] = 1

    notice_id: str
    scheme_id: AssessmentCode
    year: Year
    effective_date: dt.date = Field(description="the day the unit answered")
    note: str = Field(min_length=1, max_length=2000, description="the unit's answer")
    document: str | None = Field(None, min_length=1, max_length=500, description="the answer's reference, if any")

    def effective_on(self) -> dt.date:
        return self.effective_date
