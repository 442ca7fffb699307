"""The write of the annual assessment's consequences (issue 16, step 5): a unit files the rectification report
its 不达标 owes. ``CONSEQUENCE_OPERATIONS`` are added to ``shared.commands.OPERATIONS`` once, here
(``shared.commands`` imports this module at its end)."""

from __future__ import annotations

from pydantic import Field

from shared import commands
from shared.assessment_events import AssessmentCode
from shared.commands import Command, Operation
from shared.events import Basis


class FileRectificationReport(Command):
    """File the written rectification report (整改报告) a unit graded 不达标 owes for the year (004)."""

    scheme_id: AssessmentCode
    report: Basis = Field(description="what it rectifies (reason) and the report's document reference")


CONSEQUENCE_OPERATIONS: list[Operation] = [
    Operation("file_unit_rectification_report", "/units/{unit_id}/assessments/{year}/rectification-report",
              FileRectificationReport, "File the rectification report a unit graded 不达标 owes for the year",
              "assessments", False),
]
if not any(op.name == "file_unit_rectification_report" for op in commands.OPERATIONS):
    commands.OPERATIONS.extend(CONSEQUENCE_OPERATIONS)
