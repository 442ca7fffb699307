"""The dossier's part of a condition search (issue 20, fourth round): which cadres of a unit subtree meet the
search's fact conditions on a day, each with only what ordering them needs (name, age, years at rank) and, when
folded, the two-ends marks its facts give. The gateway then asks scoring for these ids only when a scoring
condition or the sort needs it, and the full facts only of the page's cadres.

Decided in SQL without folding when ``search_directory.decides`` says it can (as held now; age, education,
major, discipline and fields); otherwise each candidate's stream is folded as before
(``PortraitFacts.serving``), which every ``known_at`` read and every condition on rank, unit class or grades
takes. Both answer the same cadres (``tests/integration/test_profile_directory.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import FastAPI, Query
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from services.dossier import directory, search_directory
from services.dossier.portrait_facts import PortraitFacts
from services.portraits import dimensions, search
from shared.http import known_at_utc

CONDITIONS = TypeAdapter(search.Conditions)


def _slim(facts: dict[str, Any]) -> dict[str, Any]:
    return {"cadre_id": facts["cadre_id"], "name": facts["name"], "age": facts["basics"]["age"],
            "years_at_rank": facts["career"]["years_at_rank"], "marks": dimensions.tags(facts, None)}


async def matches(service: PortraitFacts, unit: str, as_of: dt.date, known_at: dt.datetime | None,
                  where: search.Conditions, sort: str) -> tuple[str, list[dict[str, Any]]]:
    """How it was decided (``sql`` or ``fold``) and the cadres meeting ``where``'s fact conditions."""
    facts_decide = where.of_facts()
    if search_directory.decides(facts_decide, known_at, sort) and where.tag is None:
        async with service._engine.connect() as conn:
            every = await directory.units(conn)
            units = {unit, *directory.subtree(every, unit)}
            whole = units == {u["unit_id"] for u in every}  # the whole city: no unit to filter by
            return "sql", await search_directory.matching(conn, None if whole else units, facts_decide, as_of)
    return "fold", [_slim(f) for f in await service.serving(unit, as_of, known_at, False, facts_decide)]


def add_routes(app: FastAPI, service: PortraitFacts) -> None:
    @app.get("/v1/search-matches", tags=["portraits"])
    async def search_matches(unit: Annotated[str, Query(max_length=100)], where: Annotated[str, Query(max_length=2000)],
                             sort: Annotated[str, Query(pattern="^-?(name|age|total|years_at_rank)$")] = "name",
                             as_of: dt.date | None = None, known_at: dt.datetime | None = None) -> dict[str, Any]:
        """``where``: the search's conditions (JSON, ``search.Conditions``); those the facts decide are applied."""
        day = as_of or service._today()
        moment = known_at_utc(known_at) if known_at is not None else None
        try:
            conditions = CONDITIONS.validate_json(where)
        except ValidationError as refused:
            raise RequestValidationError(refused.errors()) from None
        decided, cadres = await matches(service, unit, day, moment, conditions, sort)
        return {"as_of": day.isoformat(), "known_at": moment.isoformat() if moment else None, "decided": decided,
                "cadres": cadres}
