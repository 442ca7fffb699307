"""A unit's rectification report for a year graded 不达标 (004; issue 16, step 5). Pure.

What the unit stream knows for it rides along in the unit's fold (``units.fold``): the newest unit grade decided
per scheme and year, and the reports filed. A report is accepted only for a year whose newest decision is 不达标
(there is nothing to rectify otherwise), and once: scoring shows it owed until then.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from services.dossier.errors import AlreadyDone, DomainError, NotFound
from shared.assessment_consequence_commands import FileRectificationReport
from shared.events import AssessmentGradeDecided, DomainEvent, RectificationReportFiled


@dataclass(frozen=True, slots=True)
class Rectifications:
    decided: dict[tuple[str, int], str] = field(default_factory=dict)  # (scheme, year) -> newest unit grade
    filed: frozenset[tuple[str, int]] = frozenset()


def evolve(state: Rectifications, event: DomainEvent) -> Rectifications:
    match event:
        case AssessmentGradeDecided(subject_kind="unit"):
            which = (event.scheme_id, event.year)
            # decided otherwise, the report is no longer owed; a later 不达标 owes a new one (scoring raises the
            # consequence again: its next occurrence)
            filed = state.filed if event.grade == "fail" else state.filed - {which}
            return replace(state, decided={**state.decided, which: event.grade}, filed=filed)
        case RectificationReportFiled():
            return replace(state, filed=state.filed | {(event.scheme_id, event.year)})
    return state


def file_report(state: Rectifications, unit_exists: bool, unit_id: str, year: int,
                cmd: FileRectificationReport) -> list[DomainEvent]:
    if not unit_exists:
        raise NotFound(f"no unit {unit_id}", field="unit_id", rule="unit_exists")
    which = (cmd.scheme_id, year)
    if state.decided.get(which) != "fail":
        raise DomainError(f"{unit_id} is not graded 不达标 (fail) under {cmd.scheme_id} in {year}: no rectification "
                          "report is owed", field="scheme_id", rule="rectification_owed")
    if which in state.filed:
        raise AlreadyDone(f"the rectification report of {year} under {cmd.scheme_id} is already filed",
                          field="year", rule="rectification_filed_once")
    return [RectificationReportFiled(scheme_id=cmd.scheme_id, year=year, report=cmd.report)]
