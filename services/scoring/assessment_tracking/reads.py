"""Tracking reads on the scoring side (issue 16 step 6): the rows, the subjects and their classes as known at a
recorded time, then the pure rules of this package. Computed on read like the composite; a year's rows are read
once per request (no kept result: these reads are the office's, not the hot path)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring import assessment_repository as repo
from services.scoring.assessment.read_model import BREACH, READING, REVOKED, InputRow
from services.scoring.assessment.results import plain
from services.scoring.assessment_tracking.bulletin import bulletin
from services.scoring.assessment_tracking.notices import ANSWERED, ISSUED, notices
from services.scoring.assessment_tracking.periods import Period
from services.scoring.assessment_tracking.readings import breaches, standing_readings
from services.scoring.assessment_tracking.warning_notices import WarningNotice, warning_notices
from shared.assessment_scheme import AssessmentScheme, in_force, parse_scheme
from shared.problems import Problem

TRACKED = (READING, BREACH, REVOKED)


@dataclass(frozen=True, slots=True)
class Year:
    versions: list[AssessmentScheme]
    classes: dict[str, str]  # subject -> class
    rows: list[InputRow]


class TrackingReads:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def _year(self, scheme_id: str, year: int, asked: dt.datetime | None, types: tuple[str, ...] = TRACKED
                    ) -> Year:
        async with self._engine.connect() as conn:
            versions = [parse_scheme(d) for d in await repo.scheme_documents(conn, scheme_id, asked)]
            if not versions:
                raise Problem(404, "scheme-not-found", "No such assessment scheme", f"no scheme {scheme_id} is published")
            rows = await repo.input_rows(conn, scheme_id, year, asked, types)
            known = {c.id for v in versions for c in v.classes}
            if versions[-1].subject_kind == "cadre":
                found = await repo.cadre_classes(conn, sorted({r.subject_id for r in rows}), asked)
            else:
                found = await repo.units_of_classes(conn, sorted(known), asked)
        return Year(versions, {s: c for s, c in found.items() if c in known}, rows)

    async def warning_notices(self, scheme_id: str, year: int, as_of: dt.date, known_at: dt.datetime,
                              asked: dt.datetime | None, status: str, class_id: str | None) -> dict[str, Any]:
        y = await self._year(scheme_id, year, asked)
        found = [n for n in _notices(y, year, as_of) if status in ("all", n.status)
                 and (class_id is None or n.class_id == class_id)]
        return {"scheme_id": scheme_id, "year": year, "as_of": as_of.isoformat(), "known_at": known_at.isoformat(),
                "status": status, "class": class_id, "notices": plain(found)}

    async def bulletins(self, scheme_id: str, period: Period, as_of: dt.date, known_at: dt.datetime,
                        asked: dt.datetime | None, class_id: str | None) -> dict[str, Any]:
        y = await self._year(scheme_id, period.year, asked)
        day = min(period.end, as_of)
        scheme = in_force(y.versions, day)
        if scheme is None:
            raise Problem(404, "no-version-in-force", "No version of the scheme is in force on that date",
                          f"no version of {scheme_id} is in force on {day.isoformat()}")
        classes = [c.id for c in scheme.classes if class_id is None or c.id == class_id]
        if not classes:
            raise Problem(404, "class-not-found", "The scheme has no such class",
                          f"{scheme.name} has no class {class_id}")
        readings = standing_readings(y.rows, as_of)
        notices = _notices(y, period.year, as_of)
        happened = breaches(y.rows, period.start, day)
        out = [bulletin(scheme, c, period, [s for s, k in y.classes.items() if k == c], readings, happened, notices)
               for c in classes]
        return {"scheme_id": scheme_id, "version": scheme.version, "year": period.year, "period": period.text,
                "as_of": as_of.isoformat(), "known_at": known_at.isoformat(), "bulletins": plain(out)}


    async def notices(self, scheme_id: str, year: int, as_of: dt.date, known_at: dt.datetime,
                      asked: dt.datetime | None, status: str, class_id: str | None) -> dict[str, Any]:
        y = await self._year(scheme_id, year, asked, (ISSUED, ANSWERED))
        found = [n for n in notices(y.rows, scheme_id, year, as_of, y.classes) if status in ("all", n.status)
                 and (class_id is None or n.class_id == class_id)]
        return {"scheme_id": scheme_id, "year": year, "as_of": as_of.isoformat(), "known_at": known_at.isoformat(),
                "status": status, "class": class_id, "notices": plain(found)}


def _notices(y: Year, year: int, as_of: dt.date) -> list[WarningNotice]:
    return warning_notices(y.versions, year, standing_readings(y.rows, as_of), y.classes)
