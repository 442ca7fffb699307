"""A unit's notices (通知单) of the assessment's tracking (issue 16 step 6): issued by the assessment office,
closed with the unit's answer. Pure. Their state rides along in the unit's fold (``units.fold``), as its
assessment inputs do. A notice is answered once; the answer is not dated before the notice nor after today."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from services.dossier.errors import AlreadyDone, DomainError, NotFound
from shared import assessment_notice_commands as c
from shared.events import AssessmentNoticeAnswered, AssessmentNoticeIssued, DomainEvent


@dataclass(frozen=True, slots=True)
class Notices:
    issued: dict[str, AssessmentNoticeIssued] = field(default_factory=dict)  # by notice id
    answered: frozenset[str] = frozenset()


def evolve(state: Notices, event: DomainEvent) -> Notices:
    match event:
        case AssessmentNoticeIssued():
            return replace(state, issued={**state.issued, event.notice_id: event})
        case AssessmentNoticeAnswered():
            return replace(state, answered=state.answered | {event.notice_id})
    return state


def _not_after_today(day: dt.date, today: dt.date) -> None:
    if day > today:
        raise DomainError(f"effective_date {day} is after today ({today})", field="effective_date",
                          rule="not_in_future")


def issue(state: Notices, unit_id: str, unit_exists: bool, year: int, cmd: c.IssueAssessmentNotice, notice_id: str,
          today: dt.date) -> list[DomainEvent]:
    if not unit_exists:
        raise NotFound(f"no unit {unit_id}", field="unit_id", rule="unit_exists")
    if year > today.year:
        raise DomainError(f"year {year} has not begun", field="year", rule="year_begun")
    if cmd.period is not None and not cmd.period.startswith(str(year)):
        raise DomainError(f"period {cmd.period} is not in {year}", field="period", rule="period_in_year")
    _not_after_today(cmd.effective_date, today)
    if notice_id in state.issued:
        raise AlreadyDone(f"notice {notice_id} is already issued", field="notice_id", rule="notice_not_issued")
    return [AssessmentNoticeIssued(notice_id=notice_id, year=year, **cmd.model_dump())]


def answer(state: Notices, year: int, notice_id: str, cmd: c.AnswerAssessmentNotice, today: dt.date
           ) -> list[DomainEvent]:
    notice = state.issued.get(notice_id)
    if notice is None or notice.year != year:
        raise NotFound(f"no notice {notice_id} to this unit in {year}", field="notice_id", rule="notice_exists")
    if notice_id in state.answered:
        raise AlreadyDone(f"notice {notice_id} is already answered", field="notice_id", rule="notice_not_answered")
    if cmd.effective_date < notice.effective_date:
        raise DomainError(f"the answer ({cmd.effective_date}) is dated before the notice ({notice.effective_date})",
                          field="effective_date", rule="answer_after_notice")
    _not_after_today(cmd.effective_date, today)
    return [AssessmentNoticeAnswered(notice_id=notice_id, scheme_id=notice.scheme_id, year=year, **cmd.model_dump())]
