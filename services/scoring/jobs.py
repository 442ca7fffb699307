"""The daily refresh: time passes and points leave the window with no new event, so once a day
(and on demand) every cadre's totals and warnings are re-evaluated, rankings included."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring.evaluation import Evaluator, Refreshed, summing_for_totals
from services.scoring.facts import cadres_under, load_facts

log = logging.getLogger(__name__)
LOCK_KEY = 0x44414C59  # "DALY"
RUN_AT = dt.time(0, 5)  # local time: just after midnight, when the day (and the window) has moved


async def refresh_all(engine: AsyncEngine, evaluator: Evaluator, as_of: dt.date) -> Refreshed | None:
    """Re-evaluate every cadre as of ``as_of``; None when another instance is already doing it."""
    now = dt.datetime.now(dt.UTC)
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql" and not await conn.scalar(
                text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LOCK_KEY}):
            return None
        ids = await cadres_under(conn, None, as_of, now)
        facts = await load_facts(conn, ids, None, summing=summing_for_totals(as_of, evaluator.rules.for_date(as_of)))
        return await evaluator.refresh(conn, ids, as_of, now, with_rankings=True, all_facts=facts)


def seconds_until_next_run(now: dt.datetime, timezone: str) -> float:
    local = now.astimezone(ZoneInfo(timezone))
    run = local.replace(hour=RUN_AT.hour, minute=RUN_AT.minute, second=0, microsecond=0)
    if run <= local:
        run += dt.timedelta(days=1)
    return (run - local).total_seconds()


class DailyRefresh:
    """Refresh at start (a restarted service catches up on the days it missed), then every day."""

    def __init__(self, engine: AsyncEngine, evaluator: Evaluator, today: Callable[[], dt.date], timezone: str) -> None:
        self._engine = engine
        self._evaluator = evaluator
        self._today = today
        self._timezone = timezone
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                done = await refresh_all(self._engine, self._evaluator, self._today())
                log.info("daily refresh: %s", done)
            except Exception:
                log.exception("daily refresh failed; next try at the next run")
            wait = seconds_until_next_run(dt.datetime.now(dt.UTC), self._timezone)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), wait)
