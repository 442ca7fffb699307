"""Scoring's internal reads of the annual comprehensive assessment (issue 16), computed on read."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import FastAPI, Path, Query
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring.assessment_service import AssessmentReads, default_as_of, results_view, subject_view
from shared.http import known_at_utc
from shared.settings import today

SchemeId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]+$", max_length=100)]
Year = Annotated[int, Query(ge=1949, le=2199, description="the assessment year")]
AsOf = Annotated[dt.date | None, Query(description="effective date; default the year's last day, or today")]
KnownAt = Annotated[dt.datetime | None, Query(description="recorded time with its UTC offset; default now")]


def add_routes(app: FastAPI, engine: AsyncEngine, timezone: str) -> None:
    reads = AssessmentReads(engine)
    app.state.assessment_reads = reads  # the bench turns its cache off for a side-by-side figure

    async def computed(scheme_id: str, year: int, as_of: dt.date | None, known_at: dt.datetime | None):
        stated = known_at_utc(known_at)
        return await reads.compute(scheme_id, year, as_of or default_as_of(year, today(timezone)), stated,
                                   stated if known_at is not None else None)

    @app.get("/v1/assessments/{scheme_id}/results", tags=["assessments"])
    async def assessment_results(scheme_id: SchemeId, year: Year,
                                 class_id: Annotated[str | None, Query(alias="class", max_length=100)] = None,
                                 as_of: AsOf = None, known_at: KnownAt = None) -> JSONResponse:
        return JSONResponse(results_view(await computed(scheme_id, year, as_of, known_at), class_id))

    @app.get("/v1/assessments/{scheme_id}/subjects/{subject_id}", tags=["assessments"])
    async def assessment_subject(scheme_id: SchemeId, subject_id: Annotated[str, Path(max_length=100)], year: Year,
                                 as_of: AsOf = None, known_at: KnownAt = None) -> JSONResponse:
        return JSONResponse(subject_view(await computed(scheme_id, year, as_of, known_at), subject_id))
