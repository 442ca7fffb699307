"""Scoring's internal tracking reads (issue 16 step 6): a period's bulletins, the year's warning notices and\nnotices."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import FastAPI, Path, Query
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring.assessment_service import default_as_of
from services.scoring.assessment_tracking.periods import parse_period
from services.scoring.assessment_tracking.reads import TrackingReads
from shared.assessment_events import ASSESSMENT_PERIOD
from shared.http import known_at_utc
from shared.settings import today

SchemeId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]+$", max_length=100)]
ClassId = Annotated[str | None, Query(alias="class", max_length=100)]
AsOf = Annotated[dt.date | None, Query(description="effective date; default the period's or year's last day, or today")]
KnownAt = Annotated[dt.datetime | None, Query(description="recorded time with its UTC offset; default now")]


def add_routes(app: FastAPI, engine: AsyncEngine, timezone: str) -> None:
    reads = TrackingReads(engine)

    def moment(year: int, as_of: dt.date | None, known_at: dt.datetime | None
               ) -> tuple[dt.date, dt.datetime, dt.datetime | None]:
        """The effective date (default the year's last day, or today), the time stated and the one asked."""
        stated = known_at_utc(known_at)
        return as_of or default_as_of(year, today(timezone)), stated, stated if known_at else None

    @app.get("/v1/assessments/{scheme_id}/bulletins/{period}", tags=["assessments"])
    async def assessment_bulletins(scheme_id: SchemeId,
                                   period: Annotated[str, Path(pattern=ASSESSMENT_PERIOD)],
                                   class_id: ClassId = None, as_of: AsOf = None, known_at: KnownAt = None
                                   ) -> JSONResponse:
        p = parse_period(period)
        stated = known_at_utc(known_at)
        day = as_of or min(p.end, today(timezone))
        return JSONResponse(await reads.bulletins(scheme_id, p, day, stated, stated if known_at else None, class_id))

    @app.get("/v1/assessments/{scheme_id}/warning-notices", tags=["assessments"])
    async def assessment_warning_notices(
            scheme_id: SchemeId, year: Annotated[int, Query(ge=1949, le=2199)],
            status: Literal["open", "closed", "all"] = "all", class_id: ClassId = None, as_of: AsOf = None,
            known_at: KnownAt = None) -> JSONResponse:
        return JSONResponse(await reads.warning_notices(scheme_id, year, *moment(year, as_of, known_at), status,
                                                        class_id))

    @app.get("/v1/assessments/{scheme_id}/notices", tags=["assessments"])
    async def assessment_notices(
            scheme_id: SchemeId, year: Annotated[int, Query(ge=1949, le=2199)],
            status: Literal["open", "answered", "all"] = "all", class_id: ClassId = None, as_of: AsOf = None,
            known_at: KnownAt = None) -> JSONResponse:
        return JSONResponse(await reads.notices(scheme_id, year, *moment(year, as_of, known_at), status, class_id))
