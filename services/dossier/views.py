"""Reading the dossier: the whole dossier and the annual appraisal sheet, as JSON-ready dicts.

Both are built from a stream's events as known at a moment (a prefix of the stream), so what
was served at time T is served again, identically, whenever T is asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from services.dossier import domain
from services.dossier.store import StoredEvent
from shared.calendar import Quarter
from shared.events import DeclarationKind, DomainEvent, EntryKind

# Who may read sealed declarations: the organization department, assessment teams and the cadre.
DECLARATION_READERS = frozenset({"clerk", "auditor"})
REPORT_FIELDS = ("key_work", "indicator_progress", "most_satisfied", "least_satisfied")


def number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def full_years(start: dt.date, end: dt.date) -> int:
    """Completed years from ``start`` to ``end`` (任职年限): 2023-03-01 .. 2026-02-28 is 2; a 29 February
    start completes its years on 1 March."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def _trace(event: StoredEvent, happened: DomainEvent) -> dict[str, Any]:
    """``happened``: the event as the domain reads it (upcast); its reason, comment and grounds are text or None.
    Read from the model's fields (``__dict__``): ``getattr`` of a field an event lacks goes through pydantic's
    slow ``__getattr__`` and an exception, which cost more than the rest of the view for a long dossier."""
    fields = happened.__dict__
    reason = fields.get("reason") or fields.get("comment") or fields.get("grounds")
    return {"event": event.event_type, "version": event.stream_version, "recorded_at": event.recorded_at.isoformat(),
            "actor": event.actor, "reason": reason}


def _histories(events: Sequence[StoredEvent], happened: Sequence[DomainEvent], key: str
               ) -> dict[str, list[dict[str, Any]]]:
    """Per record id (entry_id, achievement_id, period, post_id), the events that touched it (``happened``: each
    event as the domain reads it, made once for the fold and these)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for event, domain_event in zip(events, happened, strict=True):
        if (value := event.data.get(key)) is not None:
            out.setdefault(str(value), []).append(_trace(event, domain_event))
    return out


def missing_quarters(state: domain.Dossier, registered_on: dt.date, today: dt.date) -> list[str]:
    """Closed quarters since the cadre's dossier was opened here without a filed (endorsed) report.
    Quarters before registration are not asked for: their paper files stay where they are."""
    q, last_closed = Quarter.of(registered_on), Quarter.of(today)
    missing = []
    while q < last_closed:
        report = state.reports.get(str(q))
        if report is None or report.status != "endorsed":
            missing.append(str(q))
        q = q.next()
    return missing


def dossier_view(events: Sequence[StoredEvent], *, known_at: dt.datetime, today: dt.date, reader_role: str,
                 reader: str, open_sealed: Callable[[DeclarationKind, str], str]) -> dict[str, Any]:
    cadre_id = events[0].stream_id
    happened = [e.domain_event() for e in events]
    state = domain.fold(cadre_id, happened)
    entry_history = _histories(events, happened, "entry_id")
    achievement_history = _histories(events, happened, "achievement_id")
    report_history = _histories(events, happened, "period")
    may_open = reader_role in DECLARATION_READERS or reader == cadre_id
    return {
        "cadre_id": cadre_id,
        "version": state.version,
        "known_at": known_at.isoformat(),
        "basics": {"name": state.name, "unit_id": state.unit_id, **state.basics},
        "self_evaluation": state.self_evaluation,
        "posts": [
            {"post_id": p.post_id, "unit_id": p.unit_id, "position": p.position, "rank": p.rank,
             "leadership": p.leadership.value, "start_date": p.start_date.isoformat(),
             "end_date": p.end_date.isoformat() if p.end_date else None,
             "years_in_post": full_years(p.start_date, p.end_date or today)}
            for p in sorted(state.posts.values(), key=lambda p: p.start_date)
        ],
        "achievements": [
            {"achievement_id": a.achievement_id, "title": a.title, "description": a.description,
             "effective_date": a.effective_date.isoformat(), "status": a.status, "category": a.category,
             "points": number(a.points), "decision": a.decision, "history": achievement_history.get(a.achievement_id, [])}
            for a in state.achievements.values()
        ],
        "quarterly_reports": [
            {"period": r.period, "status": "filed" if r.status == "endorsed" else r.status, "comment": r.comment,
             **{k: r.content.get(k) for k in REPORT_FIELDS}, "history": report_history.get(r.period, [])}
            for r in sorted(state.reports.values(), key=lambda r: r.period)
        ],
        "missing_quarterly_reports": missing_quarters(state, events[0].recorded_at.date(), today),
        "entries": [
            {"entry_id": e.entry_id, "kind": e.kind.value, "category": e.category, "title": e.title,
             "points": number(e.points), "effective_date": e.effective_date.isoformat(),
             "basis": e.basis.model_dump(), "impact_period": e.impact_period.model_dump(mode="json") if e.impact_period else None,
             "status": "revoked" if e.revoked else ("under_appeal" if e.open_appeal else "active"),
             "history": entry_history.get(e.entry_id, [])}
            for e in state.entries.values()
        ],
        "appeals": [
            {"appeal_id": a.appeal_id, "entry_id": a.entry_id, "grounds": a.grounds,
             "outcome": a.outcome.value if a.outcome else None, "reason": a.reason}
            for a in state.appeals.values()
        ],
        "assessments": [_year_view(y) for _, y in sorted(state.assessments.items())],
        "declarations": [
            {"declaration": kind.value, "flagged": d.flagged if may_open else None,
             "details": open_sealed(kind, d.sealed_details) if may_open else None, "masked": not may_open}
            for kind, d in state.declarations.items()
        ],
    }


def _year_view(y: domain.YearAssessment) -> dict[str, Any]:
    return {
        "year": y.year,
        "annual_grade": y.annual_grade.value if y.annual_grade else None,
        "appraisal_level": y.appraisal_level.value if y.appraisal_level else None,
        "mass_satisfaction": number(y.mass_satisfaction),
        "political_quality": number(y.political_quality),
        "democratic_evaluation": y.democratic,
        "vetoes": [b.model_dump() for b in y.vetoes],
    }


def appraisal_sheet(events: Sequence[StoredEvent], year: int, *, known_at: dt.datetime) -> dict[str, Any]:
    """工作实绩鉴定表 (002): the year's quarters with their points and the basis of every add and
    subtract (verified achievements included, revoked entries not), the democratic evaluation,
    and the last three years' results."""
    state = domain.fold(events[0].stream_id, [e.domain_event() for e in events])
    items: list[tuple[dt.date, dict[str, Any]]] = [
        (e.effective_date, {"entry_id": e.entry_id, "kind": e.kind.value, "category": e.category, "title": e.title,
                            "points": e.points, "basis": e.basis.model_dump()})
        for e in state.entries.values() if not e.revoked and e.effective_date.year == year
    ] + [
        (a.effective_date, {"achievement_id": a.achievement_id, "kind": EntryKind.ACHIEVEMENT.value,
                            "category": a.category, "title": a.title, "points": a.points,
                            "basis": {"reason": a.decision or "verified by the superior", "document": "achievement"}})
        for a in state.achievements.values() if a.status == "verified" and a.effective_date.year == year
    ]
    quarters = []
    for number_ in range(1, 5):
        q = Quarter(year, number_)
        lines = sorted(((d, i) for d, i in items if Quarter.of(d) == q), key=lambda x: x[0])
        points = [i["points"] for _, i in lines]
        quarters.append({
            "quarter": str(q),
            "positive": number(sum((p for p in points if p > 0), Decimal(0))),
            "negative": number(sum((p for p in points if p < 0), Decimal(0))),
            "total": number(sum(points, Decimal(0))),
            "items": [{**i, "effective_date": d.isoformat(), "points": number(i["points"])} for d, i in lines],
        })
    this_year = state.year(year)
    return {
        "cadre_id": state.cadre_id,
        "name": state.name,
        "year": year,
        "known_at": known_at.isoformat(),
        "quarters": quarters,
        "year_total": number(sum((Decimal(str(q["total"])) for q in quarters), Decimal(0))),
        "democratic_evaluation": this_year.democratic,
        "last_three_years": [_year_view(state.year(y)) for y in range(year - 2, year + 1)],
    }
