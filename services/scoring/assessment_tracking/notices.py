"""Notices (通知单, issue 16 step 6) on the scoring side: their events projected among the assessment's inputs
(one row each, the notice id as the input id; the composite's rules read only readings, scores, breaches and
revocations, so these rows count for nothing there), and a unit's notices as they stand. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from shared.events import AssessmentNoticeAnswered, AssessmentNoticeIssued

ISSUED, ANSWERED = AssessmentNoticeIssued.event_type, AssessmentNoticeAnswered.event_type


def notice_row(event_id: str, recorded_at: dt.datetime, unit_id: str,
               event: AssessmentNoticeIssued | AssessmentNoticeAnswered) -> dict[str, Any]:
    """The ``assessment_inputs`` row of a notice's event (``from_store.FILL`` makes the same in SQL)."""
    issued = isinstance(event, AssessmentNoticeIssued)
    row = dict.fromkeys(("evaluation", "value", "level", "last_year", "target", "score"))
    return {**row, "event_id": event_id, "event_type": event.event_type, "input_id": event.notice_id,
            "subject_id": unit_id, "scheme_id": event.scheme_id, "year": event.year,
            "item_id": event.indicator_id if issued else None, "period": event.period if issued else None,
            "effective_date": event.effective_date, "note": event.note,
            "source": event.basis.document if issued else event.document, "recorded_at": recorded_at}


@dataclass(frozen=True, slots=True)
class Answer:
    answered_on: str
    answer: str
    document: str | None
    event_id: str


@dataclass(frozen=True, slots=True)
class Notice:
    notice_id: str
    scheme_id: str
    year: int
    subject_id: str
    class_id: str | None
    indicator_id: str | None
    period: str | None
    issued_on: str
    note: str
    document: str
    event_id: str
    status: str  # open | answered
    answer: Answer | None


def notices(rows: Iterable[Any], scheme_id: str, year: int, as_of: dt.date, classes: dict[str, str]) -> list[Notice]:
    """The notices issued by ``as_of`` and, with the answers given by then, their status; by issue date and id.
    ``rows``: ``InputRow``s of the notice event types (the recorded time was chosen by the query)."""
    rows = [r for r in rows if r.effective_date is not None and r.effective_date <= as_of]
    answers = {r.input_id: r for r in sorted(rows, key=lambda r: (r.recorded_at, r.event_id)) if r.event_type == ANSWERED}
    out = []
    for r in sorted((r for r in rows if r.event_type == ISSUED), key=lambda r: (r.effective_date, r.input_id)):
        a = answers.get(r.input_id)
        out.append(Notice(r.input_id, scheme_id, year, r.subject_id, classes.get(r.subject_id), r.item_id, r.period,
                          r.effective_date.isoformat(), r.note or "", r.source or "", r.event_id,
                          "answered" if a else "open",
                          Answer(a.effective_date.isoformat(), a.note or "", a.source, a.event_id) if a else None))
    return out
