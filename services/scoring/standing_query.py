"""Scoring's standing of many cadres by id (issue 20, fourth round): the POST form of ``/v1/standing``, the ids in
a JSON body, so a condition search asks for exactly the cadres its facts matched (thousands over a city) instead
of the whole unit, and no query string limits them. Same answer as GET ``/v1/standing`` for those ids
(``standing.standing``), asked ``CHUNK`` ids at a time: each ask names its ids in one SQL list, which a
database driver bounds. A read, hence no Idempotency-Key. Read-only.

(The branch i20-sheet builds a kept per-cadre day sheet with its own POST form; the coordinator reconciles.)
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring import standing
from services.scoring.service import ScoringService
from services.scoring.standing_cache import StandingCache
from shared.http import known_at_utc
from shared.settings import today

CHUNK = 5000
MAX_IDS = 100_000  # a city is ~70,000 cadres

CadreIdText = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class StandingQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cadre_id: list[CadreIdText] = Field(max_length=MAX_IDS)
    as_of: dt.date | None = None
    known_at: dt.datetime | None = None
    screening: bool = True


def add_routes(app: FastAPI, service: ScoringService, engine: AsyncEngine, timezone: str,
               kept: StandingCache) -> None:
    @app.post("/v1/standing/query", tags=["portraits"])
    async def standing_of_many(query: StandingQuery) -> dict[str, Any]:
        day = query.as_of or today(timezone)
        moment = known_at_utc(query.known_at) if query.known_at is not None else None
        ids = list(dict.fromkeys(query.cadre_id))
        answer: list[dict[str, Any]] = []
        for start in range(0, len(ids), CHUNK):
            answer += await standing.standing(service, engine, None, ids[start:start + CHUNK], day, moment, kept,
                                              query.screening)
        return {"as_of": day.isoformat(), "cadres": answer}
