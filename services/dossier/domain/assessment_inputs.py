"""A subject's inputs to the annual comprehensive assessment (综合考评, issue 16): indicator readings by
period, evaluation scores, constraint breaches, and their corrections and revocations. Pure.

The inputs live in the subject's own stream: a unit's (and its leadership team's) in ``unit-<id>``, a cadre's
in the cadre's stream. Their state (``AssessmentInputs``) rides along in the fold of that stream (the unit's
``units.fold``, the cadre's ``domain.evolve``), so every plan of a stream folds it the same way. Recording a
period already recorded is a correction and needs a reason; a revocation names its reason and the input
stays in the stream.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from services.dossier.errors import AlreadyDone, DomainError, NotFound
from shared import assessment_commands as c
from shared.events import (
    AssessmentInputRevoked,
    ConstraintBreachRecorded,
    DomainEvent,
    EvaluationScoreRecorded,
    IndicatorReadingRecorded,
)

INPUT_EVENTS = (IndicatorReadingRecorded, EvaluationScoreRecorded, ConstraintBreachRecorded, AssessmentInputRevoked)
Recorded = IndicatorReadingRecorded | EvaluationScoreRecorded | ConstraintBreachRecorded


@dataclass(frozen=True, slots=True)
class Subject:
    """The stream's subject as the decisions see it: a unit or a cadre, registered or not."""

    kind: str  # unit | cadre
    subject_id: str
    exists: bool


@dataclass(frozen=True, slots=True)
class AssessmentInputs:
    inputs: dict[str, Recorded] = field(default_factory=dict)  # by input id
    revoked: frozenset[str] = frozenset()
    # (scheme, "reading"/"score", indicator or component, period) -> the input id in force
    periods: dict[tuple[str, str, str, str], str] = field(default_factory=dict)


def _period_key(event: Recorded) -> tuple[str, str, str, str] | None:
    match event:
        case IndicatorReadingRecorded():
            return (event.scheme_id, "reading", event.indicator_id, event.period)
        case EvaluationScoreRecorded():
            return (event.scheme_id, "score", event.component_id, event.period)
    return None


def evolve(state: AssessmentInputs, event: DomainEvent) -> AssessmentInputs:
    match event:
        case IndicatorReadingRecorded() | EvaluationScoreRecorded() | ConstraintBreachRecorded():
            key = _period_key(event)
            periods = state.periods if key is None else {**state.periods, key: event.input_id}
            return replace(state, inputs={**state.inputs, event.input_id: event}, periods=periods)
        case AssessmentInputRevoked():
            revoked = state.inputs.get(event.input_id)
            periods = {k: v for k, v in state.periods.items() if v != event.input_id}
            return replace(state, revoked=state.revoked | {event.input_id},
                           periods=periods if revoked is not None else state.periods)
    return state


def _check(subject: Subject, year: int, today: dt.date, effective_date: dt.date, period: str | None = None) -> None:
    if not subject.exists:
        raise NotFound(f"no {subject.kind} {subject.subject_id}", field=f"{subject.kind}_id", rule=f"{subject.kind}_exists")
    if year > today.year:
        raise DomainError(f"year {year} has not begun", field="year", rule="year_begun")
    if period is not None and not period.startswith(str(year)):
        raise DomainError(f"period {period} is not in {year}", field="period", rule="period_in_year")
    if effective_date > today:
        raise DomainError(f"effective_date {effective_date} is after today ({today}): record it once it has happened",
                          field="effective_date", rule="not_in_future")


def _correction(state: AssessmentInputs, key: tuple[str, str, str, str], reason: str | None) -> None:
    if key in state.periods and not reason:
        raise DomainError(f"{key[2]} of {key[3]} is already recorded: a correction needs a reason",
                          field="reason", rule="correction_has_reason")


def record_reading(state: AssessmentInputs, subject: Subject, year: int, cmd: c.RecordIndicatorReading,
                   input_id: str, today: dt.date) -> list[DomainEvent]:
    _check(subject, year, today, cmd.effective_date, cmd.period)
    _correction(state, (cmd.scheme_id, "reading", cmd.indicator_id, cmd.period), cmd.reason)
    return [IndicatorReadingRecorded(input_id=input_id, year=year, **cmd.model_dump())]


def record_score(state: AssessmentInputs, subject: Subject, year: int, cmd: c.RecordEvaluationScore,
                 input_id: str, today: dt.date) -> list[DomainEvent]:
    _check(subject, year, today, cmd.effective_date, cmd.period)
    _correction(state, (cmd.scheme_id, "score", cmd.component_id, cmd.period), cmd.reason)
    return [EvaluationScoreRecorded(input_id=input_id, year=year, **cmd.model_dump())]


def record_breach(state: AssessmentInputs, subject: Subject, year: int, cmd: c.RecordConstraintBreach,
                  input_id: str, today: dt.date) -> list[DomainEvent]:
    _check(subject, year, today, cmd.effective_date)
    return [ConstraintBreachRecorded(input_id=input_id, year=year, **cmd.model_dump())]


def revoke_input(state: AssessmentInputs, year: int, input_id: str, cmd: c.RevokeAssessmentInput) -> list[DomainEvent]:
    found = state.inputs.get(input_id)
    if found is None or found.year != year:
        raise NotFound(f"no assessment input {input_id} in {year}", field="input_id", rule="assessment_input_exists")
    if input_id in state.revoked:
        raise AlreadyDone(f"assessment input {input_id} is already revoked", field="input_id",
                          rule="input_not_revoked")
    return [AssessmentInputRevoked(input_id=input_id, scheme_id=found.scheme_id, year=year, reason=cmd.reason)]
