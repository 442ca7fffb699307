"""The shapes of scoring's HTTP answers: JSON-ready dicts of what ``ScoringService`` returns, and the
warnings list's page cursor."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from services.scoring.day_sheet.reads import SheetVerdict
from services.scoring.ranking import Ranked
from services.scoring.rules import RuleSet
from services.scoring.screening import Screening
from services.scoring.service import ScoreCard
from services.scoring.window import Subtotal, quarters_ending
from shared.calendar import Quarter
from shared.http import invalid

TIE_RULE = ("equal totals share a rank (1, 2, 2, 4) and are listed by name; a tie across a band's edge "
            "falls wholly inside the band")


def number(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


def subtotal_view(sub: Subtotal) -> dict[str, Any]:
    return {"total": number(sub.total), "positive": number(sub.positive), "negative": number(sub.negative),
            "entries": sub.count}


def period_view(label: str, start: dt.date, end: dt.date, sub: Subtotal) -> dict[str, Any]:
    return {"period": label, "start": start.isoformat(), "end": end.isoformat(), **subtotal_view(sub)}


def score_view(cadre_id: str, as_of: dt.date, known_at: dt.datetime, card: ScoreCard) -> dict[str, Any]:
    window, quarters, nothing = card.window, card.quarters, Subtotal()
    return {
        "cadre_id": cadre_id,
        "as_of": as_of.isoformat(),
        "known_at": known_at.isoformat(),
        "rule_set": card.rules.name,
        "window_start": window.start.isoformat(),
        "window_end": window.end.isoformat(),
        **subtotal_view(card.summary.overall),
        "quarters": [{"quarter": str(q), "start": max(q.first_day, window.start).isoformat(),
                      "end": min(q.last_day, window.end).isoformat(), **subtotal_view(sub)}
                     for q, sub in card.summary.quarters.items()],
        # The three complete calendar years before the as-of year (annual reviews) ...
        "years": [period_view(str(y), dt.date(y, 1, 1), dt.date(y, 12, 31),
                              functools.reduce(Subtotal.merge, (quarters.get(Quarter(y, n), nothing)
                                                                for n in range(1, 5))))
                  for y in range(as_of.year - 3, as_of.year)],
        # ... and the 12 quarters ending with the as-of quarter (quarterly sheets), up to as_of.
        "last_12_quarters": [period_view(str(q), q.first_day, min(q.last_day, as_of), quarters.get(q, nothing))
                             for q in quarters_ending(Quarter.of(as_of), 12)],
    }


def screening_view(s: Screening) -> dict[str, Any]:
    return {"cadre_id": s.cadre_id, "as_of": s.as_of.isoformat(), "rule_set": s.rule_set, "verdict": s.verdict,
            "excluded_by": s.excluded_by,
            "rules": [{"rule": r.rule, "status": r.status, "reason_zh": r.reason_zh, "reason_en": r.reason_en,
                       "evidence": list(r.evidence), "source": r.source} for r in s.results]}


NOBODY = {"name": None, "unit_id": None, "unit_name": None}


def named(cadre_id: str, who: dict[str, dict]) -> dict[str, Any]:
    """The fields that say who a row is about: the cadre's name, their unit and its name (issue 15)."""
    return {"cadre_id": cadre_id, **who.get(cadre_id, NOBODY)}


def screenings_view(unit: str | None, as_of: dt.date, known_at: dt.datetime, rule_set: str,
                    results: Sequence[Screening | SheetVerdict], who: dict[str, dict]) -> dict[str, Any]:
    """``results``: screened on the fly, or as the kept day sheet holds them (verdict, failed and unknown rules)."""
    return {
        "unit": unit, "as_of": as_of.isoformat(), "known_at": known_at.isoformat(),
        "rule_set": rule_set, "cadres": len(results),
        "eligible": [s.cadre_id for s in results if s.verdict == "eligible"],
        "eligible_cadres": [named(s.cadre_id, who) for s in results if s.verdict == "eligible"],
        "ineligible": [{**named(s.cadre_id, who), "excluded_by": s.excluded_by} for s in results
                       if s.verdict == "ineligible"],
        "undetermined": [{**named(s.cadre_id, who), "unknown": s.unknown}
                         for s in results if s.verdict == "undetermined"],
    }


def ranking_view(group: str, as_of: dt.date, known_at: dt.datetime, rules: RuleSet,
                 ranked: list[Ranked], unit_names: dict[str, str | None]) -> dict[str, Any]:
    return {
        "group": group, "as_of": as_of.isoformat(), "known_at": known_at.isoformat(), "rule_set": rules.name,
        "size": len(ranked),
        "tie_rule": TIE_RULE,
        "ranking": [{"rank": r.rank, "cadre_id": r.candidate.cadre_id, "name": r.candidate.name,
                     "unit_id": r.candidate.unit_id, "unit_name": unit_names.get(r.candidate.unit_id or ""),
                     "total": number(r.candidate.total), "band": r.band}
                    for r in ranked],
    }


def encode_cursor(raised_at: dt.datetime, cadre_id: str, key: str, raised_on: dt.date) -> str:
    """An opaque page cursor: where the previous page ended in (raised_at desc, cadre, key, day) order."""
    raw = json.dumps([raised_at.isoformat(), cadre_id, key, raised_on.isoformat()])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[dt.datetime, str, str, dt.date]:
    try:
        at, cadre_id, key, day = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return dt.datetime.fromisoformat(at), str(cadre_id), str(key), dt.date.fromisoformat(day)
    except (ValueError, TypeError, UnicodeError) as exc:
        raise invalid("cursor", "cursor_format", "not a cursor this list gave out") from exc


def _decimal(text: str | None) -> float | int | None:
    return number(Decimal(text)) if text is not None else None


def warnings_page_view(rows: list, limit: int, who: dict[str, dict]) -> dict[str, Any]:
    """A page of warnings; ``next`` is the cursor of the following page (None on the last)."""
    last = rows[-1] if len(rows) == limit else None
    return {"warnings": [{**named(r.cadre_id, who), "key": r.key, "kind": r.kind, "level": r.level,
                          "detail": r.detail, "rule_set": r.rule_set, "raised_on": r.raised_on.isoformat(),
                          "occurrence": r.occurrence, "figure": _decimal(r.figure), "threshold": _decimal(r.threshold),
                          "cleared_on": r.cleared_on.isoformat() if r.cleared_on else None,
                          "status": "cleared" if r.cleared_at else "active"} for r in rows],
            "next": encode_cursor(last.raised_at, last.cadre_id, last.key, last.raised_on) if last else None}
