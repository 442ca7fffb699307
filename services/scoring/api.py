"""The scoring service's internal HTTP API and its wiring, ``create_app``. The handlers parse the
request, ask ``ScoringService`` and shape its answer (``views.py``); the Kafka wiring is ``bootstrap.py``'s.

The hot answers (score, screening, rankings) are built from JSON-ready values and returned as a
``FastJSONResponse`` (``shared/http.py``, written by orjson): FastAPI's own encoding of a returned dict walks it
again value by value, which cost more than the query behind a score (2 ms of a few), and the standard encoder
took 230 ms of a city's screening."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import FastAPI, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from opentelemetry.sdk.trace import TracerProvider

from services.scoring import assessment_api, assessment_consequence_api, jobs, metrics, standing, views
from services.scoring.assessment_acting import ConsequenceActing
from services.scoring.assessment_tracking import api as tracking_api
from services.scoring.consumer import ScoringConsumer
from services.scoring.evaluation import Evaluator
from services.scoring.portrait_standing import portrait_standing
from services.scoring.publisher import OutboxPublisher
from services.scoring.rules import RuleBook, RuleSet
from services.scoring.screening_pages import MAX_SCREENING_PAGE, Cursor
from services.scoring.service import ScoringService
from services.scoring.settings import ScoringSettings
from services.scoring.standing_cache import StandingCache
from shared import tracing
from shared.bus import BusAdmin, Publisher, StartPositions, Subscription
from shared.db import DATABASE_UNAVAILABLE, database_ready, make_engine
from shared.http import EARLIEST_MOMENT, LATEST_MOMENT, FastJSONResponse, add_health_routes, invalid, known_at_utc
from shared.lifespan import service_lifespan
from shared.positions import POSITION_HEADER, position
from shared.problems import Problem, install_problem_handlers
from shared.service_identity import CallVerifier, RequireGatewayProof
from shared.settings import today
from shared.telemetry import install_telemetry

EARLIEST_AS_OF, LATEST_AS_OF = EARLIEST_MOMENT, LATEST_MOMENT
AsOf = Annotated[dt.date | None, Query(description="effective date; default today")]
KnownAt = Annotated[dt.datetime | None, Query(description="recorded time with its UTC offset; default now")]
Stream = Annotated[str | None, Query(max_length=100, description="the stream whose applied version the answer "
                                                                 "states (X-Shiji-Position); the gateway names "
                                                                 "the one its caller's min_position names")]


def stated(body: dict[str, Any], stream: str | None, version: int, in_body: bool = False) -> JSONResponse:
    """``body`` with the position it is current up to (``positions.py``): the header, and with ``in_body`` the
    ``position`` field of a cadre's answer. Without a stream (a jurisdiction's answer nobody asked a position
    of) there is none to state."""
    if stream is None:
        return FastJSONResponse(body)
    stated_position = position(stream, version)
    return FastJSONResponse({**body, "position": stated_position} if in_body else body,
                            headers={POSITION_HEADER: stated_position})


def moments(as_of: dt.date | None, known_at: dt.datetime | None,
            timezone: str) -> tuple[dt.date, dt.datetime, dt.datetime | None]:
    """The as-of date (default today); the known-at moment an answer states (default now); and the one its
    queries ask for: None when the caller gave none, so that they read what the projection holds now
    (``current_entries``: the same answer as at "now", without joining amendments and revocations)."""
    as_of = as_of or today(timezone)
    if not EARLIEST_AS_OF <= as_of <= LATEST_AS_OF:
        raise invalid("as_of", "date_range", f"as_of must be between {EARLIEST_AS_OF} and {LATEST_AS_OF}")
    stated = known_at_utc(known_at)
    return as_of, stated, stated if known_at is not None else None


def create_app(settings: ScoringSettings, *, callers: CallVerifier,
               subscribe: Callable[[StartPositions], Subscription] | None = None,
               publisher: Publisher | None = None, bus: BusAdmin | None = None,
               tracer_provider: TracerProvider | None = None, migrate: bool = False) -> FastAPI:
    """The scoring service. With ``subscribe`` it runs the consumer, with ``publisher`` it publishes its
    topics, and with ``settings.daily_job`` it refreshes every cadre once a day. ``bus`` answers for the
    bus in /readyz and /metrics (consumer lag). It answers only calls ``callers`` finds proven by the gateway.
    The app closes what it is given when it stops."""
    engine = make_engine(settings.database_url, pool_size=settings.pool_size)
    score_reads = make_engine(settings.database_url, pool_size=settings.pool_size, single_statement_reads=True)
    provider = tracer_provider or tracing.tracer_provider_from_env("scoring")
    rule_book = RuleBook.load(settings.rulesets_dir)
    evaluator = Evaluator(rule_book, totals_topic=settings.kafka.totals_topic,
                          warnings_topic=settings.kafka.warnings_topic)
    local_today = lambda: today(settings.timezone)  # noqa: E731
    consumer = (ScoringConsumer(engine, subscribe, max_batch=settings.max_batch, tracer=tracing.tracer_of(provider),
                                evaluator=evaluator, today=local_today,
                                acting=ConsequenceActing(warnings_topic=settings.kafka.warnings_topic,
                                                         consequences_topic=settings.kafka.consequences_topic),
                                dead_letters_topic=settings.kafka.dead_letters_topic if publisher else None)
                if subscribe else None)
    scoring = ScoringService(engine, evaluator, score_reads=score_reads, today=local_today)
    workers = [w for w in (consumer, OutboxPublisher(scoring, publisher) if publisher else None) if w is not None]
    if settings.daily_job:
        workers.append(jobs.DailyRefresh(scoring, local_today, settings.timezone))
    closers = [owned.close for owned in (publisher, bus) if owned is not None]
    lifespan = service_lifespan("scoring", engine, migrate=migrate, workers=workers,
                                closers=[*closers, score_reads.dispose, tracing.shutdown_closer(provider)])
    app = FastAPI(title="Shiji scoring service (internal)", version="1", lifespan=lifespan)
    app.state.consumer = consumer
    app.state.engine = engine
    install_problem_handlers(app, unavailable=DATABASE_UNAVAILABLE)
    app.add_middleware(RequireGatewayProof, verifier=callers)  # inside the telemetry: refusals are counted too
    metrics.register(install_telemetry(app, "scoring", tracing.tracer_of(provider), engine), consumer, bus,
                     settings.kafka.topic, evaluator)
    checks = {"database": lambda: database_ready(engine, "scoring")}
    if consumer is not None and bus is not None:
        checks["bus"] = lambda: bus.ready(settings.kafka.topic)
    add_health_routes(app, checks)
    assessment_api.add_routes(app, engine, settings.timezone)  # the annual assessment (issue 16)
    kept = StandingCache()  # the city's totals and bands, shared by the standing and the portraits' reads
    standing.add_routes(app, scoring, engine, settings.timezone, kept)  # portraits, searches, team reports (issue 20)
    tracking_api.add_routes(app, engine, settings.timezone)  # and its tracking through the year
    assessment_consequence_api.add_routes(app, engine, settings.timezone)  # its consequences and what-if

    @app.get("/v1/cadres/{cadre_id}/score", tags=["scores"])
    async def score(cadre_id: str, as_of: AsOf = None, known_at: KnownAt = None) -> JSONResponse:
        as_of, known_at, asked = moments(as_of, known_at, settings.timezone)
        card = await scoring.score(cadre_id, as_of, asked)
        return stated(views.score_view(cadre_id, as_of, known_at, card), cadre_id, card.applied, in_body=True)

    @app.get("/v1/cadres/{cadre_id}/portrait-standing", tags=["portraits"])
    async def cadre_portrait_standing(cadre_id: str, as_of: AsOf = None, known_at: KnownAt = None) -> dict[str, Any]:
        """A portrait's score, screening, active warnings and bands in one call (``portrait_standing.py``)."""
        as_of, stated, asked = moments(as_of, known_at, settings.timezone)
        return await portrait_standing(scoring, engine, kept, cadre_id, as_of, stated, asked)

    @app.get("/v1/cadres/{cadre_id}/screening", tags=["screening"])
    async def cadre_screening(cadre_id: str, as_of: AsOf = None, known_at: KnownAt = None) -> JSONResponse:
        as_of, _, asked = moments(as_of, known_at, settings.timezone)
        applied = await scoring.applied(cadre_id)
        [result] = await scoring.screening([cadre_id], as_of, asked)
        return stated(views.screening_view(result), cadre_id, applied, in_body=True)

    @app.get("/v1/screenings", tags=["screening"])
    async def screenings(unit: Annotated[str | None, Query(max_length=100)] = None, as_of: AsOf = None,
                         known_at: KnownAt = None, stream: Stream = None,
                         limit: Annotated[int | None, Query(ge=1, le=MAX_SCREENING_PAGE)] = None,
                         cursor: Annotated[str | None, Query(max_length=1000)] = None) -> JSONResponse:
        """The whole list, or with ``limit`` a page of it and ``next`` (``screening_pages.py``); a page after
        the first is answered at the moments its cursor names."""
        start = Cursor.decode(cursor) if cursor is not None else None
        if start is not None:
            as_of, known_at = start.as_of, start.known_at
        as_of, known_at, asked = moments(as_of, known_at, settings.timezone)
        applied = await scoring.applied(stream) if stream else 0
        results, more, who, mark = await scoring.screenings(unit, as_of, known_at, asked, start and start.after, limit,
                                                            start and start.sheet)
        view = views.screenings_view(unit, as_of, known_at, rule_book.for_date(as_of).name, results, who)
        if limit is not None:
            view["next"] = Cursor(results[-1].cadre_id, as_of, known_at, mark).encode() if more else None
        return stated(view, stream, applied)

    @app.get("/v1/rankings", tags=["rankings"])
    async def rankings(
        unit_class: Annotated[str | None, Query(alias="class", max_length=100, description="a unit class")] = None,
        leadership: Annotated[str, Query(pattern="^(chief|deputy)$")] = "chief",
        team: Annotated[str | None, Query(max_length=100, description="rank the deputies of this unit's team")] = None,
        as_of: AsOf = None, known_at: KnownAt = None, stream: Stream = None,
    ) -> JSONResponse:
        as_of, known_at, asked = moments(as_of, known_at, settings.timezone)
        if (unit_class is None) == (team is None):
            raise invalid("class", "class_or_team", "give either class (with leadership) or team")
        group = f"team:{team}:deputy" if team else f"class:{unit_class}:{leadership}"
        applied = await scoring.applied(stream) if stream else 0
        rules, ranked = await scoring.rankings(group, as_of, known_at, asked)
        _, unit_names = await scoring.names(unit_ids=[r.candidate.unit_id for r in ranked])
        return stated(views.ranking_view(group, as_of, known_at, rules, ranked, unit_names), stream, applied)

    @app.get("/v1/warnings", tags=["warnings"])
    async def list_warnings(cadre_id: Annotated[str | None, Query(max_length=64)] = None,
                            status: Annotated[str, Query(pattern="^(active|cleared|all)$")] = "active",
                            limit: Annotated[int, Query(ge=1, le=1000)] = 200,
                            cursor: Annotated[str | None, Query(max_length=1000)] = None,
                            unit: Annotated[str | None, Query(max_length=100)] = None,
                            stream: Stream = None) -> JSONResponse:
        """Newest first; ``next`` is the cursor of the following page (None on the last). The position stated
        is the named stream's, else the cadre's when one is asked about. ``unit``: only the warnings of the
        cadres in that unit or beneath it today (a unit's clerk's list: see ``unit_cadres.py``)."""
        after = views.decode_cursor(cursor) if cursor is not None else None
        stream = stream or cadre_id
        applied = await scoring.applied(stream) if stream else 0
        rows = await scoring.warnings(cadre_id=cadre_id, status=status, limit=limit, after=after, unit=unit,
                                      day=local_today())
        who, _ = await scoring.names([r.cadre_id for r in rows])
        return stated(jsonable_encoder(views.warnings_page_view(rows, limit, who)), stream, applied)

    @app.get("/v1/applied", tags=["positions"])
    async def applied(stream: Annotated[str, Query(min_length=1, max_length=100)]) -> dict[str, Any]:
        """How far ``stream`` is applied: what the gateway polls while a read waits for its ``min_position``."""
        version = await scoring.applied(stream)
        return {"stream": stream, "version": version, "position": position(stream, version)}

    @app.post("/v1/what-if", tags=["rule sets"])
    async def what_if(proposed: RuleSet, unit: Annotated[str | None, Query(max_length=100)] = None,
                      as_of: AsOf = None) -> dict[str, Any]:
        as_of, known_at, _ = moments(as_of, None, settings.timezone)
        return {"unit": unit, **await scoring.what_if(proposed, unit, as_of, known_at)}

    @app.post("/v1/jobs/daily-refresh", tags=["operations"])
    async def daily_refresh(as_of: AsOf = None) -> dict[str, Any]:
        as_of, _, _ = moments(as_of, None, settings.timezone)
        done = await scoring.daily_refresh(as_of)
        if done is None:
            raise Problem(409, "job-running", "Another scoring instance is running the refresh")
        return {"as_of": as_of.isoformat(), "cadres": done.cadres, "raised": done.raised, "cleared": done.cleared,
                "totals_published": done.totals_published}

    return app
