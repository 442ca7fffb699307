"""The scoring service's internal HTTP API and its wiring, ``create_app``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from fastapi import FastAPI, Query

from services.scoring import projection
from services.scoring.consumer import ScoringConsumer
from services.scoring.settings import ScoringSettings
from services.scoring.window import Subtotal, rolling_window, summarize
from shared.bus import StartPositions, Subscription
from shared.db import DATABASE_UNAVAILABLE, database_ready, make_engine
from shared.http import add_health_routes
from shared.lifespan import service_lifespan
from shared.problems import Problem, install_problem_handlers
from shared.settings import today

EARLIEST_AS_OF = dt.date(1949, 10, 1)
LATEST_AS_OF = dt.date(2199, 12, 31)


def number(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


def subtotal_view(sub: Subtotal) -> dict[str, Any]:
    return {"total": number(sub.total), "positive": number(sub.positive), "negative": number(sub.negative),
            "entries": sub.count}


def create_app(settings: ScoringSettings, *, subscribe: Callable[[StartPositions], Subscription] | None = None,
               migrate: bool = False) -> FastAPI:
    """The scoring service. With ``subscribe`` it runs the consumer in the background."""
    engine = make_engine(settings.database_url, pool_size=settings.pool_size)
    consumer = ScoringConsumer(engine, subscribe, max_batch=settings.max_batch) if subscribe else None

    lifespan = service_lifespan("scoring", engine, migrate=migrate, worker=consumer.run if consumer else None)
    app = FastAPI(title="Shiji scoring service (internal)", version="1", lifespan=lifespan)
    app.state.consumer = consumer
    app.state.engine = engine
    install_problem_handlers(app, unavailable=DATABASE_UNAVAILABLE)

    add_health_routes(app, {"database": lambda: database_ready(engine, "scoring")})

    @app.get("/v1/cadres/{cadre_id}/score", tags=["scores"])
    async def score(
        cadre_id: str,
        as_of: Annotated[dt.date | None, Query(description="effective date; default today")] = None,
        known_at: Annotated[dt.datetime | None, Query(description="recorded time; default now")] = None,
    ) -> dict[str, Any]:
        as_of = as_of or today(settings.timezone)
        if not EARLIEST_AS_OF <= as_of <= LATEST_AS_OF:
            raise Problem(422, "validation-error", "The request is not valid", errors=[{
                "field": "as_of", "rule": "date_range",
                "message": f"as_of must be between {EARLIEST_AS_OF} and {LATEST_AS_OF}"}])
        if known_at is not None and not EARLIEST_AS_OF <= known_at.date() <= LATEST_AS_OF:
            # Checked before the conversion to UTC below, which overflowed (a 500) near year 1 or 9999.
            raise Problem(422, "validation-error", "The request is not valid", errors=[{
                "field": "known_at", "rule": "date_range",
                "message": f"known_at must be between {EARLIEST_AS_OF} and {LATEST_AS_OF}"}])
        if known_at is not None and known_at.tzinfo is None:
            raise Problem(422, "validation-error", "The request is not valid", errors=[{
                "field": "known_at", "rule": "timezone_required",
                "message": "known_at needs a UTC offset, e.g. 2026-11-21T08:00:00+08:00"}])
        known_at = (known_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        window = rolling_window(as_of)
        async with engine.connect() as conn:
            points = await projection.points_known(conn, cadre_id, window.start, window.end, known_at)
        summary = summarize(points, as_of)
        return {
            "cadre_id": cadre_id,
            "as_of": as_of.isoformat(),
            "known_at": known_at.isoformat(),
            "window_start": window.start.isoformat(),
            "window_end": window.end.isoformat(),
            **subtotal_view(summary.overall),
            "quarters": [{"quarter": str(q), "start": max(q.first_day, window.start).isoformat(),
                          "end": min(q.last_day, window.end).isoformat(), **subtotal_view(sub)}
                         for q, sub in summary.quarters.items()],
        }

    return app
