"""Scoring's part of one cadre's portrait (issue 20) in one call: the score card, the screening with every rule,
the active warnings and the ranking bands, on a day and as known at a moment.

A portrait used to ask scoring four times (the score, the screening, the warnings and the standing); each call
paid an internal hop (the proof checked, the middleware, a pooled connection checked out and reset), and on a
shared machine those four, each waiting its turn on the event loop, were most of a portrait's time
(bench/RESULTS.md, issue 20, third round). Here the four are read on one connection and answered together, each
part exactly as its own endpoint answers it (``views.score_view``, ``views.screening_view``, the bands of
``standing.city_on``), except the warnings, of which only what a portrait shows is sent (kind, level, detail,
raised on). The bands come from the kept day sheet when it answers the day (``day_sheet``: three counts in the
group), else from the city standing kept while the projection stands (``standing_cache.py``): the same two
``/v1/standing`` reads. Read-only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring import repository, views
from services.scoring.day_sheet import reads as sheet
from services.scoring.service import ScoringService
from services.scoring.standing import city_on
from services.scoring.standing_cache import StandingCache

WARNINGS = 200  # the active warnings read, as many as the warnings list's default page
WARNING_FIELDS = ("kind", "level", "detail", "raised_on")


async def portrait_standing(service: ScoringService, engine: AsyncEngine, kept: StandingCache | None, cadre_id: str,
                            as_of: dt.date, stated: dt.datetime, known_at: dt.datetime | None) -> dict[str, Any]:
    """``stated``: the moment the score says it is known at; ``known_at``: the one the reads ask (None: as held
    now), as ``api.moments`` gives them."""
    rules = service.rules.for_date(as_of)
    async with sheet.snapshot(engine) as conn:  # one snapshot: the sheet's state and its rows agree
        card = await service.score_on(conn, cadre_id, as_of, known_at)
        [screened] = await service.evaluator.screening(conn, [cadre_id], as_of, known_at)
        active = await repository.warnings_page(conn, cadre_id=cadre_id, status="active", limit=WARNINGS, after=None)
        if known_at is None and await sheet.answers(conn, as_of, rules):
            bands = (await sheet.bands(conn, [cadre_id], rules)).get(cadre_id, [])
        else:
            city = await city_on(conn, rules, as_of, known_at, kept)
            bands = city.bands.get(cadre_id, []) if cadre_id in city.registered else []
    score = views.score_view(cadre_id, as_of, stated, card)
    return {"cadre_id": cadre_id, "as_of": as_of.isoformat(), "score": score,
            "screening": views.screening_view(screened),
            "warnings": [{"kind": w.kind, "level": w.level, "detail": w.detail, "raised_on": w.raised_on.isoformat()}
                         for w in active],
            "bands": bands}
