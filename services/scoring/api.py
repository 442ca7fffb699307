"""The scoring service's internal HTTP API and its wiring, ``create_app``.

The hot answers (score, screening, rankings) are built from JSON-ready values and returned as a
``JSONResponse``: FastAPI's own encoding of a returned dict walks it again value by value, which
cost more than the query behind a score (2 ms of a few)."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import and_, literal, or_, select, tuple_

from services.scoring import jobs, metrics
from services.scoring.consumer import ScoringConsumer
from services.scoring.evaluation import (
    Evaluator,
    rank_group,
    ranking_groups,
    screening_years,
    summing_for_breakdowns,
    summing_for_screening,
    summing_for_totals,
    weighted,
)
from services.scoring.facts import CadreFacts, cadres_under, load_entries, load_facts
from services.scoring.publisher import OutboxPublisher
from services.scoring.rules import RuleBook, RuleSet
from services.scoring.screening import Screening
from services.scoring.settings import ScoringSettings
from services.scoring.tables import warnings as warnings_table
from services.scoring.what_if import compare as what_if_compare
from services.scoring.window import Subtotal, by_quarter, quarters_ending, rolling_window, summarize
from shared import tracing
from shared.bus import BusAdmin, Publisher, StartPositions, Subscription
from shared.calendar import Quarter
from shared.db import DATABASE_UNAVAILABLE, database_ready, make_engine
from shared.http import EARLIEST_MOMENT, LATEST_MOMENT, add_health_routes, invalid, known_at_utc
from shared.lifespan import service_lifespan
from shared.problems import Problem, install_problem_handlers
from shared.settings import today
from shared.telemetry import install_telemetry

EARLIEST_AS_OF, LATEST_AS_OF = EARLIEST_MOMENT, LATEST_MOMENT
AsOf = Annotated[dt.date | None, Query(description="effective date; default today")]
KnownAt = Annotated[dt.datetime | None, Query(description="recorded time with its UTC offset; default now")]


def number(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


def subtotal_view(sub: Subtotal) -> dict[str, Any]:
    return {"total": number(sub.total), "positive": number(sub.positive), "negative": number(sub.negative),
            "entries": sub.count}


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


def period_view(label: str, start: dt.date, end: dt.date, sub: Subtotal) -> dict[str, Any]:
    return {"period": label, "start": start.isoformat(), "end": end.isoformat(), **subtotal_view(sub)}


def screening_view(s: Screening) -> dict[str, Any]:
    return {"cadre_id": s.cadre_id, "as_of": s.as_of.isoformat(), "rule_set": s.rule_set, "verdict": s.verdict,
            "excluded_by": s.excluded_by,
            "rules": [{"rule": r.rule, "status": r.status, "reason_zh": r.reason_zh, "reason_en": r.reason_en,
                       "evidence": list(r.evidence), "source": r.source} for r in s.results]}


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


def create_app(settings: ScoringSettings, *, subscribe: Callable[[StartPositions], Subscription] | None = None,
               publisher: Publisher | None = None, bus: BusAdmin | None = None,
               tracer_provider: TracerProvider | None = None, migrate: bool = False) -> FastAPI:
    """The scoring service. With ``subscribe`` it runs the consumer, with ``publisher`` it publishes its
    topics, and with ``settings.daily_job`` it refreshes every cadre once a day. ``bus`` answers for the
    bus in /readyz and /metrics (consumer lag). The app closes what it is given when it stops."""
    engine = make_engine(settings.database_url, pool_size=settings.pool_size)
    score_reads = make_engine(settings.database_url, pool_size=settings.pool_size, single_statement_reads=True)
    provider = tracer_provider or tracing.tracer_provider_from_env("scoring")
    rule_book = RuleBook.load(settings.rulesets_dir)
    evaluator = Evaluator(rule_book, totals_topic=settings.kafka.totals_topic,
                          warnings_topic=settings.kafka.warnings_topic)
    local_today = lambda: today(settings.timezone)  # noqa: E731
    consumer = (ScoringConsumer(engine, subscribe, max_batch=settings.max_batch, tracer=tracing.tracer_of(provider),
                                evaluator=evaluator, today=local_today) if subscribe else None)
    workers = [w for w in (consumer, OutboxPublisher(engine, publisher) if publisher else None) if w is not None]
    if settings.daily_job:
        workers.append(jobs.DailyRefresh(engine, evaluator, local_today, settings.timezone))
    closers = [owned.close for owned in (publisher, bus) if owned is not None]
    lifespan = service_lifespan("scoring", engine, migrate=migrate, workers=workers,
                                closers=[*closers, score_reads.dispose, tracing.shutdown_closer(provider)])
    app = FastAPI(title="Shiji scoring service (internal)", version="1", lifespan=lifespan)
    app.state.consumer = consumer
    app.state.engine = engine
    install_problem_handlers(app, unavailable=DATABASE_UNAVAILABLE)
    metrics.register(install_telemetry(app, "scoring", tracing.tracer_of(provider), engine), consumer, bus,
                     settings.kafka.topic, evaluator)
    checks = {"database": lambda: database_ready(engine, "scoring")}
    if consumer is not None and bus is not None:
        checks["bus"] = lambda: bus.ready(settings.kafka.topic)
    add_health_routes(app, checks)

    @app.get("/v1/cadres/{cadre_id}/score", tags=["scores"])
    async def score(cadre_id: str, as_of: AsOf = None, known_at: KnownAt = None) -> JSONResponse:
        as_of, known_at, asked = moments(as_of, known_at, settings.timezone)
        rules = rule_book.for_date(as_of)
        window = rolling_window(as_of, rules.window_years)
        async with score_reads.connect() as conn:  # one statement: no sanctions kept, so no second query
            found = await load_entries(conn, [cadre_id], asked, summing=summing_for_breakdowns(as_of, rules))
        points = weighted(CadreFacts(cadre_id, entries=found.get(cadre_id, [])), rules)
        summary = summarize(points, as_of, rules.window_years)
        quarters = by_quarter(points, as_of)
        nothing = Subtotal()
        return JSONResponse({
            "cadre_id": cadre_id,
            "as_of": as_of.isoformat(),
            "known_at": known_at.isoformat(),
            "rule_set": rules.name,
            "window_start": window.start.isoformat(),
            "window_end": window.end.isoformat(),
            **subtotal_view(summary.overall),
            "quarters": [{"quarter": str(q), "start": max(q.first_day, window.start).isoformat(),
                          "end": min(q.last_day, window.end).isoformat(), **subtotal_view(sub)}
                         for q, sub in summary.quarters.items()],
            # The three complete calendar years before the as-of year (annual reviews) ...
            "years": [period_view(str(y), dt.date(y, 1, 1), dt.date(y, 12, 31),
                                  functools.reduce(Subtotal.merge, (quarters.get(Quarter(y, n), nothing)
                                                                    for n in range(1, 5))))
                      for y in range(as_of.year - 3, as_of.year)],
            # ... and the 12 quarters ending with the as-of quarter (quarterly sheets), up to as_of.
            "last_12_quarters": [period_view(str(q), q.first_day, min(q.last_day, as_of), quarters.get(q, nothing))
                                 for q in quarters_ending(Quarter.of(as_of), 12)],
        })

    @app.get("/v1/cadres/{cadre_id}/screening", tags=["screening"])
    async def cadre_screening(cadre_id: str, as_of: AsOf = None, known_at: KnownAt = None) -> JSONResponse:
        as_of, _, asked = moments(as_of, known_at, settings.timezone)
        async with engine.connect() as conn:
            [result] = await evaluator.screening(conn, [cadre_id], as_of, asked)
        return JSONResponse(screening_view(result))

    @app.get("/v1/screenings", tags=["screening"])
    async def screenings(unit: Annotated[str | None, Query(max_length=100)] = None, as_of: AsOf = None,
                         known_at: KnownAt = None) -> JSONResponse:
        as_of, known_at, asked = moments(as_of, known_at, settings.timezone)
        async with engine.connect() as conn:
            ids = await cadres_under(conn, unit, as_of, known_at)
            results = await evaluator.screening(conn, ids, as_of, asked)
        return JSONResponse({
            "unit": unit, "as_of": as_of.isoformat(), "known_at": known_at.isoformat(),
            "rule_set": rule_book.for_date(as_of).name, "cadres": len(results),
            "eligible": [s.cadre_id for s in results if s.verdict == "eligible"],
            "ineligible": [{"cadre_id": s.cadre_id, "excluded_by": s.excluded_by} for s in results
                           if s.verdict == "ineligible"],
            "undetermined": [{"cadre_id": s.cadre_id, "unknown": [r.rule for r in s.results if r.status == "unknown"]}
                             for s in results if s.verdict == "undetermined"],
        })

    @app.get("/v1/rankings", tags=["rankings"])
    async def rankings(
        unit_class: Annotated[str | None, Query(alias="class", max_length=100, description="a unit class")] = None,
        leadership: Annotated[str, Query(pattern="^(chief|deputy)$")] = "chief",
        team: Annotated[str | None, Query(max_length=100, description="rank the deputies of this unit's team")] = None,
        as_of: AsOf = None, known_at: KnownAt = None,
    ) -> JSONResponse:
        as_of, known_at, asked = moments(as_of, known_at, settings.timezone)
        if (unit_class is None) == (team is None):
            raise invalid("class", "class_or_team", "give either class (with leadership) or team")
        group = f"team:{team}:deputy" if team else f"class:{unit_class}:{leadership}"
        rules = rule_book.for_date(as_of)
        async with engine.connect() as conn:
            ids = await cadres_under(conn, None, as_of, known_at)
            facts = await load_facts(conn, ids, asked, summing=summing_for_totals(as_of, rules))
        ranked = rank_group(facts, ranking_groups(facts, as_of).get(group, []), as_of, rules)
        return JSONResponse({
            "group": group, "as_of": as_of.isoformat(), "known_at": known_at.isoformat(), "rule_set": rules.name,
            "size": len(ranked),
            "tie_rule": "equal totals share a rank (1, 2, 2, 4) and are listed by name; a tie across a band's edge "
                        "falls wholly inside the band",
            "ranking": [{"rank": r.rank, "cadre_id": r.candidate.cadre_id, "name": r.candidate.name,
                         "unit_id": r.candidate.unit_id, "total": number(r.candidate.total), "band": r.band}
                        for r in ranked],
        })

    @app.get("/v1/warnings", tags=["warnings"])
    async def list_warnings(cadre_id: Annotated[str | None, Query(max_length=64)] = None,
                            status: Annotated[str, Query(pattern="^(active|cleared|all)$")] = "active",
                            limit: Annotated[int, Query(ge=1, le=1000)] = 200,
                            cursor: Annotated[str | None, Query(max_length=1000)] = None) -> dict[str, Any]:
        """Newest first; ``next`` is the cursor of the following page (None on the last)."""
        w = warnings_table.c
        query = select(warnings_table).order_by(w.raised_at.desc(), w.cadre_id, w.key, w.raised_on).limit(limit)
        if cursor is not None:
            at, cadre, key, raised_on = decode_cursor(cursor)
            query = query.where(or_(w.raised_at < at, and_(w.raised_at == at, tuple_(w.cadre_id, w.key, w.raised_on)
                                                             > tuple_(literal(cadre), literal(key), literal(raised_on)))))
        if cadre_id:
            query = query.where(w.cadre_id == cadre_id)
        if status != "all":
            column = w.cleared_at
            query = query.where(column.is_(None) if status == "active" else column.is_not(None))
        async with engine.connect() as conn:
            rows = list(await conn.execute(query))
        last = rows[-1] if len(rows) == limit else None
        return {"warnings": [{"cadre_id": r.cadre_id, "key": r.key, "kind": r.kind, "level": r.level,
                              "detail": r.detail, "rule_set": r.rule_set, "raised_on": r.raised_on.isoformat(),
                              "cleared_on": r.cleared_on.isoformat() if r.cleared_on else None,
                              "status": "cleared" if r.cleared_at else "active"} for r in rows],
                "next": encode_cursor(last.raised_at, last.cadre_id, last.key, last.raised_on) if last else None}

    @app.post("/v1/what-if", tags=["rule sets"])
    async def what_if(proposed: RuleSet, unit: Annotated[str | None, Query(max_length=100)] = None,
                      as_of: AsOf = None) -> dict[str, Any]:
        as_of, known_at, _ = moments(as_of, None, settings.timezone)
        current = rule_book.for_date(as_of)
        async with engine.connect() as conn:
            every = await cadres_under(conn, None, as_of, known_at)  # rankings need whole classes
            ids = await cadres_under(conn, unit, as_of, known_at) if unit else every
            facts = await load_facts(conn, every, None, summing=summing_for_screening(as_of, current, proposed),
                                     result_years=screening_years(as_of, current, proposed))
        return {"unit": unit, **what_if_compare(facts, ids, as_of, current, proposed)}

    @app.post("/v1/jobs/daily-refresh", tags=["operations"])
    async def daily_refresh(as_of: AsOf = None) -> dict[str, Any]:
        as_of, _, _ = moments(as_of, None, settings.timezone)
        done = await jobs.refresh_all(engine, evaluator, as_of)
        if done is None:
            raise Problem(409, "job-running", "Another scoring instance is running the refresh")
        return {"as_of": as_of.isoformat(), "cadres": done.cadres, "raised": done.raised, "cleared": done.cleared,
                "totals_published": done.totals_published}

    return app
