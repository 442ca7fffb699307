"""Units (单位): the hierarchy city -> county/district -> unit, each with its class, and team grades.

Each unit is a stream ``unit-<unit_id>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from services.dossier.domain.assessment_inputs import AssessmentInputs
from services.dossier.domain.assessment_inputs import evolve as evolve_inputs
from services.dossier.domain.assessment_notices import Notices
from services.dossier.domain.assessment_notices import evolve as evolve_notices
from services.dossier.domain.assessment_rectification import Rectifications
from services.dossier.domain.assessment_rectification import evolve as evolve_rectifications
from services.dossier.errors import AlreadyDone, DomainError, NotFound
from shared.commands import RecordTargetEvaluation, RecordTeamGrade, RegisterUnit
from shared.events import (
    DomainEvent,
    TargetEvaluationRecorded,
    TargetPrize,
    TeamGrade,
    TeamGradeRecorded,
    UnitLevel,
    UnitRegistered,
)

PARENT_LEVEL = {UnitLevel.CITY: None, UnitLevel.COUNTY: UnitLevel.CITY, UnitLevel.UNIT: (UnitLevel.COUNTY, UnitLevel.CITY)}


def stream_id(unit_id: str) -> str:
    return f"unit-{unit_id}"


@dataclass(frozen=True, slots=True)
class Unit:
    unit_id: str
    name: str = ""
    parent_id: str | None = None
    level: UnitLevel | None = None
    unit_class: str = ""
    team_grades: dict[int, TeamGrade] = field(default_factory=dict)
    target_prizes: dict[int, TargetPrize] = field(default_factory=dict)
    assessment: AssessmentInputs = field(default_factory=AssessmentInputs)  # its inputs to the annual assessment (issue 16)
    notices: Notices = field(default_factory=Notices)  # the assessment's notices to it (issue 16 step 6)
    rectifications: Rectifications = field(default_factory=Rectifications)  # its 不达标 years and reports (issue 16)
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0


def fold(unit_id: str, events: Iterable[DomainEvent]) -> Unit:
    unit = Unit(unit_id)
    for event in events:
        match event:
            case UnitRegistered():
                unit = replace(unit, name=event.name, parent_id=event.parent_id, level=event.level,
                               unit_class=event.unit_class)
            case TeamGradeRecorded():
                unit = replace(unit, team_grades={**unit.team_grades, event.year: event.grade})
            case TargetEvaluationRecorded():
                unit = replace(unit, target_prizes={**unit.target_prizes, event.year: event.prize})
        unit = replace(unit, version=unit.version + 1, assessment=evolve_inputs(unit.assessment, event),
                       notices=evolve_notices(unit.notices, event),
                       rectifications=evolve_rectifications(unit.rectifications, event))
    return unit


def register_unit(unit: Unit, cmd: RegisterUnit, parent_level: UnitLevel | None) -> list[DomainEvent]:
    """``parent_level`` is the level of ``cmd.parent_id`` as registered, or None when it is not."""
    if unit.exists:
        raise AlreadyDone(f"unit {unit.unit_id} is already registered", field="unit_id", rule="unit_already_registered")
    allowed = PARENT_LEVEL[cmd.level]
    if cmd.parent_id is None:
        if allowed is not None:
            raise DomainError(f"a {cmd.level} unit needs a parent", field="parent_id", rule="parent_required")
    else:
        if parent_level is None:
            raise DomainError(f"no unit {cmd.parent_id}", field="parent_id", rule="parent_exists")
        if allowed is None or parent_level not in (allowed if isinstance(allowed, tuple) else (allowed,)):
            raise DomainError(f"a {cmd.level} unit cannot sit under a {parent_level} unit", field="parent_id",
                              rule="hierarchy_city_county_unit")
    return [UnitRegistered(**cmd.model_dump())]


def _year_result(unit: Unit, year: int, this_year: int, already: bool, reason: str | None) -> None:
    if not unit.exists:
        raise NotFound(f"no unit {unit.unit_id}", field="unit_id", rule="unit_exists")
    if year > this_year:
        raise DomainError(f"year {year} has not begun", field="year", rule="year_begun")
    if already and not reason:
        raise DomainError("this year's result is already recorded: a correction needs a reason", field="reason",
                          rule="correction_has_reason")


def record_team_grade(unit: Unit, year: int, cmd: RecordTeamGrade, this_year: int) -> list[DomainEvent]:
    _year_result(unit, year, this_year, year in unit.team_grades, cmd.reason)
    return [TeamGradeRecorded(year=year, **cmd.model_dump())]


def record_target_evaluation(unit: Unit, year: int, cmd: RecordTargetEvaluation, this_year: int) -> list[DomainEvent]:
    _year_result(unit, year, this_year, year in unit.target_prizes, cmd.reason)
    return [TargetEvaluationRecorded(year=year, **cmd.model_dump())]
