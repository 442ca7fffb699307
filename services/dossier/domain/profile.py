"""The facts a portrait needs (issue 20): education, expertise and results from other sources. Pure.

Their state (``Profile``) rides along in the cadre's fold (``state.evolve``), like the assessment inputs. What is
kept is what each record says *and when it counts*, so that a portrait as of a date can leave out what had not
happened yet: every version of an education or of the expertise stays, each with its effective date.

Rules: the cadre exists; nothing is dated after today; a record that replaces one already there (the same kind of
education, the expertise) gives a reason; a departure evaluation (离任评估) is of a post the cadre has left by then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeVar

from services.dossier.errors import AlreadyDone, CadreNotFound, DomainError, NotFound
from shared import profile_commands as c
from shared.events import DomainEvent
from shared.profile_events import (
    EducationKind,
    EducationRecorded,
    ExpertiseRecorded,
    ExternalResultRecorded,
    ExternalResultRevoked,
    ResultSource,
)

if TYPE_CHECKING:
    from services.dossier.domain.state import Context, Dossier

V = TypeVar("V")
PROFILE_EVENTS = (EducationRecorded, ExpertiseRecorded, ExternalResultRecorded, ExternalResultRevoked)


@dataclass(frozen=True, slots=True)
class Profile:
    # every version recorded, in the order recorded: the one in force on a day is the last effective by then
    education: dict[EducationKind, tuple[EducationRecorded, ...]] = field(default_factory=dict)
    expertise: tuple[ExpertiseRecorded, ...] = ()
    results: dict[str, ExternalResultRecorded] = field(default_factory=dict)
    revoked: frozenset[str] = frozenset()  # results withdrawn: shown on no day (a revocation has no date of its own)

    def education_on(self, kind: EducationKind, day: dt.date) -> EducationRecorded | None:
        return _in_force(self.education.get(kind, ()), day, lambda e: e.completed_on)

    def expertise_on(self, day: dt.date) -> ExpertiseRecorded | None:
        return _in_force(self.expertise, day, lambda e: e.effective_date)

    def results_by(self, day: dt.date) -> list[ExternalResultRecorded]:
        return sorted((r for r in self.results.values() if r.effective_date <= day and r.result_id not in self.revoked),
                      key=lambda r: (r.effective_date, r.result_id))


def _in_force(versions: tuple[V, ...], day: dt.date, effective: Callable[[V], dt.date]) -> V | None:
    """The version recorded last among those effective by ``day`` (a correction replaces what it corrects)."""
    found = None
    for version in versions:
        if effective(version) <= day:
            found = version
    return found


def evolve(state: Profile, event: DomainEvent) -> Profile:
    match event:
        case EducationRecorded():
            versions = (*state.education.get(event.kind, ()), event)
            return replace(state, education={**state.education, event.kind: versions})
        case ExpertiseRecorded():
            return replace(state, expertise=(*state.expertise, event))
        case ExternalResultRecorded():
            return replace(state, results={**state.results, event.result_id: event})
        case ExternalResultRevoked():
            return replace(state, revoked=state.revoked | {event.result_id})
    return state


def _check(state: Dossier, day: dt.date, ctx: Context, field_name: str) -> None:
    """The rules every family shares (``state.require_cadre``, ``state.not_after_today``), said again here
    because ``state`` folds this module's events and so cannot be imported by it."""
    if not state.exists:
        raise CadreNotFound(f"no cadre {state.cadre_id}", rule="cadre_exists")
    if day > ctx.today:
        raise DomainError(f"{field_name} {day} is after today ({ctx.today}): record it once it has happened",
                          field=field_name, rule="not_in_future")


def _replacing_needs_reason(exists: bool, reason: str | None, what: str) -> None:
    if exists and not reason:
        raise DomainError(f"the {what} is already recorded: a record replacing it needs a reason",
                          field="reason", rule="correction_has_reason")


def record_education(state: Dossier, cmd: c.RecordEducation, ctx: Context) -> list[DomainEvent]:
    _check(state, cmd.completed_on, ctx, "completed_on")
    _replacing_needs_reason(bool(state.profile.education.get(cmd.kind)), cmd.reason, f"{cmd.kind} education")
    return [EducationRecorded(**cmd.model_dump())]


def record_expertise(state: Dossier, cmd: c.RecordExpertise, ctx: Context) -> list[DomainEvent]:
    _check(state, cmd.effective_date, ctx, "effective_date")
    _replacing_needs_reason(bool(state.profile.expertise), cmd.reason, "expertise")
    return [ExpertiseRecorded(**cmd.model_dump())]


def record_external_result(state: Dossier, cmd: c.RecordExternalResult, result_id: str,
                           ctx: Context) -> list[DomainEvent]:
    _check(state, cmd.effective_date, ctx, "effective_date")
    if result_id in state.profile.results:
        raise AlreadyDone(f"result {result_id} is already recorded", field="result_id", rule="result_new")
    if cmd.source is ResultSource.DEPARTURE_EVALUATION and not any(
            p.end_date is not None and p.end_date <= cmd.effective_date for p in state.posts.values()):
        raise DomainError("a departure evaluation (离任评估) is of a post the cadre has left by its date",
                          field="effective_date", rule="departure_after_leaving")
    return [ExternalResultRecorded(result_id=result_id, **cmd.model_dump())]


def revoke_external_result(state: Dossier, result_id: str, cmd: c.RevokeExternalResult,
                           ctx: Context) -> list[DomainEvent]:
    _check(state, ctx.today, ctx, "result_id")
    if result_id not in state.profile.results:
        raise NotFound(f"cadre {state.cadre_id} has no result {result_id}", field="result_id", rule="result_exists")
    if result_id in state.profile.revoked:
        raise AlreadyDone(f"result {result_id} is already revoked", field="result_id", rule="result_not_revoked")
    return [ExternalResultRevoked(result_id=result_id, reason=cmd.reason)]
