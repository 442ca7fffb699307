"""The dossier's events of the annual assessment's consequences (issue 16, step 5), part of the event contract
(``shared.events`` re-exports them).

A unit graded 不达标 owes a written rectification report to the city committee and government (004). Scoring
tracks it as owed from the decision on; the unit files it with ``assessment_rectification_filed`` in its own
stream (``unit-<id>``), which the dossier accepts only after a decision of 不达标 for that scheme and year.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from shared.assessment_events import AssessmentCode
from shared.events import Basis, DomainEvent, Year

__all__ = ["RectificationReportFiled"]


class RectificationReportFiled(DomainEvent):
    """A unit's written rectification report (整改报告) for a year graded 不达标 was filed (004)."""

    event_type: ClassVar[str] = "assessment_rectification_filed"
    schema_version: ClassVar[int] = 1

    scheme_id: AssessmentCode
    year: Year
    report: Basis = Field(description="what the report says it rectifies, and its document reference")
