"""The annual comprehensive assessment's commands (综合考评, issue 16): publishing a scheme version, a
subject's readings, scores and breaches, their revocation, and the decided grade. ``ASSESSMENT_OPERATIONS`` are
added to ``shared.commands.OPERATIONS`` once, here (``shared.commands`` imports this module at its end)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from shared import commands
from shared.assessment_events import ASSESSMENT_PERIOD, Amount, AssessmentCode, Departure, EvaluationKind
from shared.assessment_scheme import GRADE_SCALES
from shared.commands import Command, Operation, RecordDate
from shared.events import AnnualGrade, Basis


class PublishAssessmentScheme(Command):
    """Publish a version of an assessment scheme: the document of ``assessment_scheme.v1.json``. Validated as a
    whole (every problem named by field and rule) and against the versions already published."""

    scheme: dict[str, Any] = Field(description="the scheme document (assessment_scheme.v1)")


class _Correctable(Command):
    reason: str | None = Field(None, min_length=1, max_length=2000,
                               description="required when correcting a period already recorded")


class RecordIndicatorReading(_Correctable):
    scheme_id: AssessmentCode
    indicator_id: AssessmentCode
    period: str = Field(pattern=ASSESSMENT_PERIOD, examples=["2025-07"], description="2025, 2025-Q3 or 2025-07")
    effective_date: RecordDate = Field(description="the day the reading counts from, not after today")
    value: Amount | None = None
    level: str | None = Field(None, min_length=1, max_length=50, examples=["good"])
    last_year: Amount | None = None
    target: Amount | None = None
    source: str = Field(min_length=1, max_length=300, examples=["市统计局月报"])
    basis: Basis | None = None

    @model_validator(mode="after")
    def _value_or_level(self) -> RecordIndicatorReading:
        if (self.value is None) == (self.level is None):
            raise ValueError("give a value or a level, not both")
        return self


class RecordEvaluationScore(_Correctable):
    scheme_id: AssessmentCode
    component_id: AssessmentCode
    evaluation: EvaluationKind
    period: str = Field(pattern=ASSESSMENT_PERIOD, examples=["2025-Q2"])
    effective_date: RecordDate
    score: Annotated[Amount, Field(ge=0, le=100)]
    source: str = Field(min_length=1, max_length=300)
    basis: Basis | None = None


class RecordConstraintBreach(Command):
    scheme_id: AssessmentCode
    indicator_id: AssessmentCode
    effective_date: RecordDate
    note: str = Field(min_length=1, max_length=2000)
    basis: Basis


class RevokeAssessmentInput(Command):
    reason: str = Field(min_length=1, max_length=2000)


class _Decision(Command):
    """The grade decided, beside the grade calculated and the one proposed as scoring answered them; a decision
    that departs from the proposal gives its reason (``departures``: rule ``proposal``, and each rule departed
    from), or is refused."""

    scheme_id: AssessmentCode
    calculated: str | None = Field(None, max_length=50, description="the grade the composite reached")
    proposed: str | None = Field(None, max_length=50, description="the grade proposed after every rule")
    departures: list[Departure] = Field(default_factory=list, max_length=50)
    reason: str | None = Field(None, min_length=1, max_length=2000,
                               description="required when a grade of the year is already recorded")


class DecideCadreAssessmentGrade(_Decision):
    grade: AnnualGrade


class DecideUnitAssessmentGrade(_Decision):
    subject_kind: Literal["unit", "team"] = Field(description="a unit (立功/达标/不达标) or its leadership team")
    grade: str = Field(min_length=1, max_length=50, examples=["pass"])

    @model_validator(mode="after")
    def _grade_of_the_scale(self) -> DecideUnitAssessmentGrade:
        if self.grade not in GRADE_SCALES[self.subject_kind]:
            raise ValueError(f"a {self.subject_kind}'s grade is one of {', '.join(GRADE_SCALES[self.subject_kind])}")
        return self


_UNIT_YEAR = "/units/{unit_id}/assessments/{year}"
_CADRE_YEAR = "/cadres/{cadre_id}/assessments/{year}"
ASSESSMENT_OPERATIONS: list[Operation] = [
    Operation("publish_assessment_scheme", "/assessments", PublishAssessmentScheme,
              "Publish a version of an assessment scheme (综合考评方案)", "assessments", False),
    Operation("record_unit_assessment_reading", f"{_UNIT_YEAR}/readings", RecordIndicatorReading,
              "Record an indicator reading of a unit (or its team) for a period", "assessments", False),
    Operation("record_unit_evaluation_score", f"{_UNIT_YEAR}/evaluation-scores", RecordEvaluationScore,
              "Record an evaluation score of a unit (or its team)", "assessments", False),
    Operation("record_unit_constraint_breach", f"{_UNIT_YEAR}/constraint-breaches", RecordConstraintBreach,
              "Record a breach of a constraint indicator by a unit", "assessments", False),
    Operation("revoke_unit_assessment_input", f"{_UNIT_YEAR}/inputs/{{input_id}}/revocation", RevokeAssessmentInput,
              "Revoke a unit's reading, score or breach (a new event; the original stays)", "assessments", False),
    Operation("record_cadre_assessment_reading", f"{_CADRE_YEAR}/readings", RecordIndicatorReading,
              "Record an indicator reading of a cadre for a period", "assessments"),
    Operation("record_cadre_evaluation_score", f"{_CADRE_YEAR}/evaluation-scores", RecordEvaluationScore,
              "Record an evaluation score of a cadre", "assessments"),
    Operation("revoke_cadre_assessment_input", f"{_CADRE_YEAR}/inputs/{{input_id}}/revocation", RevokeAssessmentInput,
              "Revoke a cadre's reading or score (a new event; the original stays)", "assessments"),
    Operation("decide_unit_assessment_grade", f"{_UNIT_YEAR}/decision", DecideUnitAssessmentGrade,
              "Decide a unit's or its team's grade of the year (a team's is its team grade)", "assessments", False),
    Operation("decide_cadre_assessment_grade", f"{_CADRE_YEAR}/decision", DecideCadreAssessmentGrade,
              "Decide a cadre's grade of the year: recorded as the annual grade", "assessments"),
]
if not any(op.name == "publish_assessment_scheme" for op in commands.OPERATIONS):
    commands.OPERATIONS.extend(ASSESSMENT_OPERATIONS)
