"""Scoring's part of a condition search and of a team report (issue 20): for each cadre of a unit subtree (or of
the ids asked), on a day and as known at a moment, the three-year total, the screening verdict and the rules
that excluded, the ranking band in their class group or deputies' team, and the active warnings.

The bands are those of the whole group (a class spans the city), as the rankings answer them. As held now, on a
day the kept day sheet answers (``day_sheet``: complete for that day), everything is read from it: totals and
verdicts by row, bands by counting in the group; that is the fast path. Otherwise the facts of every cadre are
loaded, as ``ScoringService.rankings`` does: as held now that city-wide part is kept between reads while the
projection stands still (``standing_cache.py``); as known at a past moment it is computed. Read-only.

``POST /v1/standing`` asks the same with the ids in a JSON body (``StandingQuery``): a search over a city passes
thousands of candidates, more than a URL holds.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.scoring import unit_cadres
from services.scoring.day_sheet import reads as sheet
from services.scoring.facts import cadres_under, load_facts
from services.scoring.model import summing_for_totals, weighted
from services.scoring.ranking import rank_group, ranking_groups
from services.scoring.service import ScoringService
from services.scoring.standing_cache import CityStanding, StandingCache, watermark
from services.scoring.tables import warnings
from services.scoring.window import summarize
from shared.http import FastJSONResponse, known_at_utc
from shared.rule_sets import RuleSet
from shared.settings import today


async def _city(conn: AsyncConnection, rules: RuleSet, as_of: dt.date, known_at: dt.datetime | None) -> CityStanding:
    """Every registered cadre's total and bands on ``as_of`` as known at ``known_at`` (None: as held now)."""
    every = await cadres_under(conn, None, as_of, known_at or dt.datetime.now(dt.UTC))
    facts = await load_facts(conn, every, known_at, summing=summing_for_totals(as_of, rules))
    bands: dict[str, list[dict[str, Any]]] = {}
    for group, ids in ranking_groups(facts, as_of).items():
        for r in rank_group(facts, ids, as_of, rules):
            if r.band:
                bands.setdefault(r.candidate.cadre_id, []).append({"group": group, "band": r.band, "rank": r.rank,
                                                                   "size": len(ids)})
    totals = {c: summarize(weighted(f, rules), as_of, rules.window_years).overall.total for c, f in facts.items()}
    return CityStanding(frozenset(facts), totals, bands)


async def city_on(conn: AsyncConnection, rules: RuleSet, as_of: dt.date, known_at: dt.datetime | None,
                  kept: StandingCache | None) -> CityStanding:
    """The city's totals and bands on ``as_of`` as known at ``known_at``: kept while the projection stands when
    asked as held now (``kept``), computed otherwise."""
    if known_at is not None or kept is None:
        return await _city(conn, rules, as_of, known_at)
    # The positions first, then the facts: a batch committed in between can only make what is kept under these
    # positions newer than they say, never older than positions read later (a batch writes both).
    key = (as_of, rules.name, await watermark(conn))
    if (city := kept.get(key)) is None:
        city = await _city(conn, rules, as_of, None)
        kept.keep(key, city)
    return city


async def _from_sheet(engine: AsyncEngine, unit: str | None, cadre_ids: list[str], as_of: dt.date, rules: RuleSet,
                      screen: bool) -> list[dict[str, Any]] | None:
    """The same answer from the kept day sheet (``day_sheet``), as held now; None when it does not answer ``as_of``."""
    async with sheet.snapshot(engine) as conn:
        if not await sheet.answers(conn, as_of, rules):
            return None
        if cadre_ids:
            asked: list[str] | None = cadre_ids
        elif unit and await unit_cadres.narrows(conn, unit):  # by index, not the city's every post in Python
            asked = await unit_cadres.cadres_in(conn, unit, as_of)
        else:
            asked = None  # the whole city: every row
        found = await sheet.rows(conn, asked)
        wanted = [c for c in asked if c in found] if asked is not None else sorted(found)
        bands = await sheet.bands(conn, wanted if asked is not None else None, rules)
        active = await _active(conn, wanted if cadre_ids else None)
    return [{"cadre_id": c, "total": float(row[1]), "screening": row[2] if screen else None,
             "excluded_by": list(row[3]) if screen else [], "bands": bands.get(c, []), "active_warning": c in active}
            for c in wanted for row in (found[c],)]


FEW = 1000  # up to this many cadres asked, only their warnings are read (an IN list); beyond, every active one


async def _active(conn: AsyncConnection, few: list[str] | None) -> set[str]:
    """The cadres with an active warning: among ``few`` when a few were asked, else all of them (a superset: the
    caller looks up the cadres it answers for)."""
    active_now = select(warnings.c.cadre_id).where(warnings.c.cleared_at.is_(None))
    if few is not None and len(few) <= FEW:
        active_now = active_now.where(warnings.c.cadre_id.in_(few))
    return set((await conn.execute(active_now)).scalars())


async def standing(service: ScoringService, engine: AsyncEngine, unit: str | None, cadre_ids: list[str],
                   as_of: dt.date, known_at: dt.datetime | None, kept: StandingCache | None = None,
                   screen: bool = True) -> list[dict[str, Any]]:
    """``screen`` False: no screening verdicts (None; a portrait asks screening for its details anyway). As held
    now, from the kept day sheet when it answers the day; computed from every cadre's facts otherwise."""
    rules = service.rules.for_date(as_of)
    if known_at is None and (answer := await _from_sheet(engine, unit, cadre_ids, as_of, rules, screen)) is not None:
        return answer
    registered_by = known_at or dt.datetime.now(dt.UTC)
    async with engine.connect() as conn:
        city = await city_on(conn, rules, as_of, known_at, kept)
        if cadre_ids:
            wanted = cadre_ids
        else:
            wanted = await cadres_under(conn, unit, as_of, registered_by) if unit else sorted(city.registered)
        wanted = [c for c in wanted if c in city.registered]
        active = await _active(conn, wanted if cadre_ids else None)
        screened = {s.cadre_id: s for s in await service.evaluator.screening(conn, wanted, as_of, known_at)} \
            if screen else {}
    answer = []
    for cadre_id in wanted:
        screening = screened.get(cadre_id)
        answer.append({"cadre_id": cadre_id, "total": float(city.totals[cadre_id]),
                       "screening": screening.verdict if screening else None,
                       "excluded_by": screening.excluded_by if screening else [],
                       "bands": city.bands.get(cadre_id, []),
                       "active_warning": cadre_id in active})
    return answer


MANY = 100_000  # the most ids one POST asks about: more than a city's cadres


class StandingQuery(BaseModel):
    """``POST /v1/standing``: what ``GET /v1/standing`` asks, the ids in the body (a search passes thousands)."""

    model_config = ConfigDict(extra="forbid")
    cadre_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(default_factory=list,
                                                                                max_length=MANY)
    unit: Annotated[str | None, Field(max_length=100)] = None
    as_of: dt.date | None = None
    known_at: dt.datetime | None = None
    screening: bool = True


def add_routes(app: FastAPI, service: ScoringService, engine: AsyncEngine, timezone: str,
               kept: StandingCache) -> None:
    async def answer(unit: str | None, cadre_ids: list[str], as_of: dt.date | None, known_at: dt.datetime | None,
                     screening: bool) -> JSONResponse:
        """JSON-ready values, answered as they are (a city's rows walked again by FastAPI's encoder cost more than
        reading them from the sheet)."""
        day = as_of or today(timezone)
        moment = known_at_utc(known_at) if known_at is not None else None
        return FastJSONResponse({"as_of": day.isoformat(), "cadres": await standing(
            service, engine, unit, cadre_ids, day, moment, kept, screening)})

    @app.post("/v1/standing", tags=["portraits"])
    async def standing_of_many(query: StandingQuery) -> JSONResponse:
        """The same answer as the GET, for as many ids as a city holds (no URL to outgrow)."""
        return await answer(query.unit, query.cadre_ids, query.as_of, query.known_at, query.screening)

    @app.get("/v1/standing", tags=["portraits"])
    async def standing_of(unit: Annotated[str | None, Query(max_length=100)] = None,
                          cadre_id: Annotated[list[str] | None, Query(max_length=1000)] = None,
                          as_of: dt.date | None = None, known_at: dt.datetime | None = None,
                          screening: bool = True) -> JSONResponse:
        return await answer(unit, cadre_id or [], as_of, known_at, screening)
