"""A year's assessment results (002, 001): annual grade, appraisal level, democratic evaluation, scores
and the integrity veto (一票否决), refused when together they break a grade constraint."""

from __future__ import annotations

from decimal import Decimal

from services.dossier.domain.state import (
    Context,
    Dossier,
    YearAssessment,
    evolve,
    require_cadre,
)
from services.dossier.errors import DomainError
from shared import commands as c
from shared.events import (
    AnnualGrade,
    AnnualGradeRecorded,
    AppraisalLevel,
    AppraisalLevelRecorded,
    AssessmentScoresRecorded,
    DemocraticEvaluationRecorded,
    DomainEvent,
    IntegrityVetoRecorded,
)

POLITICAL_QUALITY_FOR_EXCELLENT = Decimal(90)
_GRADE_ORDER = [AnnualGrade.EXCELLENT, AnnualGrade.COMPETENT, AnnualGrade.BASICALLY_COMPETENT, AnnualGrade.INCOMPETENT]


def grade_constraint_broken(y: YearAssessment) -> tuple[str, str, str] | None:
    """The first constraint of ``002``/``001`` that the year's results break: (field, rule, message)."""
    if y.vetoes and y.appraisal_level not in (None, AppraisalLevel.POOR):
        return ("level", "veto_means_poor_appraisal",
                "a morality/integrity veto (一票否决) makes the appraisal 差 (poor) directly")
    if y.appraisal_level in (AppraisalLevel.FAIRLY_GOOD, AppraisalLevel.AVERAGE) and y.annual_grade is AnnualGrade.EXCELLENT:
        return ("grade", "appraisal_below_good_excludes_excellent",
                "with an appraisal of 较好 or 一般 the annual grade cannot be 优秀")
    if y.appraisal_level is AppraisalLevel.POOR and y.annual_grade in (AnnualGrade.EXCELLENT, AnnualGrade.COMPETENT):
        return ("grade", "poor_appraisal_caps_grade_below_competent",
                "with an appraisal of 差 the annual grade cannot be 称职 or better")
    if (y.political_quality is not None and y.political_quality < POLITICAL_QUALITY_FOR_EXCELLENT
            and y.annual_grade is AnnualGrade.EXCELLENT):
        return ("grade", "political_quality_below_90_excludes_excellent",
                "a political-quality score below 90 excludes the grade 优秀")
    return None


def _assessment(state: Dossier, year: int, ctx: Context, new_events: list[DomainEvent]) -> list[DomainEvent]:
    """Apply ``new_events`` to the year and refuse them if the year would break a grade constraint."""
    require_cadre(state)
    if year > ctx.today.year:
        raise DomainError(f"year {year} has not begun", field="year", rule="year_begun")
    after = state
    for event in new_events:
        after = evolve(after, event)
    broken = grade_constraint_broken(after.year(year))
    if broken:
        field_name, rule, message = broken
        raise DomainError(message, field=field_name, rule=rule)
    return new_events


def _correction_reason(already: bool, reason: str | None, what: str) -> None:
    if already and not reason:
        raise DomainError(f"the {what} of this year is already recorded: a correction needs a reason",
                          field="reason", rule="correction_has_reason")


def record_annual_grade(state: Dossier, year: int, cmd: c.RecordAnnualGrade, ctx: Context) -> list[DomainEvent]:
    _correction_reason(state.year(year).annual_grade is not None, cmd.reason, "annual grade")
    return _assessment(state, year, ctx, [AnnualGradeRecorded(year=year, **cmd.model_dump())])


def record_appraisal_level(state: Dossier, year: int, cmd: c.RecordAppraisalLevel, ctx: Context) -> list[DomainEvent]:
    _correction_reason(state.year(year).appraisal_level is not None, cmd.reason, "appraisal level")
    return _assessment(state, year, ctx, [AppraisalLevelRecorded(year=year, **cmd.model_dump())])


def record_democratic_evaluation(state: Dossier, year: int, cmd: c.RecordDemocraticEvaluation,
                                 ctx: Context) -> list[DomainEvent]:
    return _assessment(state, year, ctx, [DemocraticEvaluationRecorded(year=year, **cmd.model_dump())])


def record_scores(state: Dossier, year: int, cmd: c.RecordAssessmentScores, ctx: Context) -> list[DomainEvent]:
    y = state.year(year)
    overwrites = ((cmd.mass_satisfaction is not None and y.mass_satisfaction is not None)
                  or (cmd.political_quality is not None and y.political_quality is not None))
    _correction_reason(overwrites, cmd.reason, "score")
    return _assessment(state, year, ctx, [AssessmentScoresRecorded(year=year, **cmd.model_dump())])


def record_integrity_veto(state: Dossier, year: int, cmd: c.RecordIntegrityVeto, ctx: Context) -> list[DomainEvent]:
    """The veto makes the year's appraisal 差 directly: both events are recorded together."""
    events: list[DomainEvent] = [IntegrityVetoRecorded(year=year, basis=cmd.basis)]
    if state.year(year).appraisal_level is not AppraisalLevel.POOR:
        events.append(AppraisalLevelRecorded(year=year, level=AppraisalLevel.POOR,
                                             reason="morality/integrity veto (一票否决)"))
    return _assessment(state, year, ctx, events)
