"""The grade decided for a year of the annual comprehensive assessment (issue 16). Pure.

A proposal is never the decision (proposal.py): the organization department decides, and a decision that
departs from the proposal says why (a departure for ``proposal``), or is refused. The decision is recorded
beside the record the system already has for the year's grade: a cadre's annual grade (with its constraints:
an appraisal of 差 caps it, a political-quality score below 90 bars 优秀 …), a team's grade; a unit's grade
(立功 / 达标 / 不达标) is the decision alone. So the screening and the constraints read a decided grade as they
read any annual grade.
"""

from __future__ import annotations

from services.dossier import units
from services.dossier.domain.assessments import record_annual_grade
from services.dossier.domain.state import Context, Dossier
from services.dossier.errors import DomainError, NotFound
from shared import assessment_commands as ac
from shared import commands as c
from shared.events import AssessmentGradeDecided, DomainEvent, TeamGrade


def _decided(cmd: ac.DecideCadreAssessmentGrade | ac.DecideUnitAssessmentGrade, year: int,
             kind: str) -> AssessmentGradeDecided:
    if cmd.proposed is not None and str(cmd.grade) != cmd.proposed and not any(
            d.rule == "proposal" for d in cmd.departures):
        raise DomainError(f"the decided grade {cmd.grade} departs from the proposed {cmd.proposed}: give the reason "
                          "as a departure from the rule 'proposal' (and from each rule departed from)",
                          field="departures", rule="departure_has_reason")
    rules = [d.rule for d in cmd.departures]
    if len(set(rules)) != len(rules):
        raise DomainError("a rule is departed from twice", field="departures", rule="one_reason_per_rule")
    return AssessmentGradeDecided(scheme_id=cmd.scheme_id, year=year, subject_kind=kind, grade=str(cmd.grade),
                                  calculated=cmd.calculated, proposed=cmd.proposed, departures=tuple(cmd.departures),
                                  reason=cmd.reason)


def _why(cmd: ac.DecideCadreAssessmentGrade | ac.DecideUnitAssessmentGrade) -> str | None:
    return cmd.reason or ("; ".join(f"{d.rule}: {d.reason}" for d in cmd.departures)[:2000] or None)


def decide_cadre(state: Dossier, year: int, cmd: ac.DecideCadreAssessmentGrade, ctx: Context) -> list[DomainEvent]:
    decision = _decided(cmd, year, "cadre")
    grade = record_annual_grade(state, year, c.RecordAnnualGrade(grade=cmd.grade, reason=_why(cmd)), ctx)
    return [decision, *grade]


def decide_unit(unit: units.Unit, year: int, cmd: ac.DecideUnitAssessmentGrade, this_year: int) -> list[DomainEvent]:
    decision = _decided(cmd, year, cmd.subject_kind)
    if cmd.subject_kind == "team":
        team = units.record_team_grade(unit, year, c.RecordTeamGrade(grade=TeamGrade(cmd.grade), reason=_why(cmd)),
                                       this_year)
        return [decision, *team]
    if not unit.exists:
        raise NotFound(f"no unit {unit.unit_id}", field="unit_id", rule="unit_exists")
    if year > this_year:
        raise DomainError(f"year {year} has not begun", field="year", rule="year_begun")
    return [decision]
