"""The daily refresh: time passes and points leave the window with no new event, so once a day
(and on demand) every cadre's totals and warnings are re-evaluated, rankings included
(``ScoringService.daily_refresh``)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

from services.scoring.service import ScoringService

log = logging.getLogger(__name__)
RUN_AT = dt.time(0, 5)  # local time: just after midnight, when the day (and the window) has moved


def seconds_until_next_run(now: dt.datetime, timezone: str) -> float:
    local = now.astimezone(ZoneInfo(timezone))
    run = local.replace(hour=RUN_AT.hour, minute=RUN_AT.minute, second=0, microsecond=0)
    if run <= local:
        run += dt.timedelta(days=1)
    return (run - local).total_seconds()


class DailyRefresh:
    """Refresh at start (a restarted service catches up on the days it missed), then every day."""

    def __init__(self, service: ScoringService, today: Callable[[], dt.date], timezone: str) -> None:
        self._service = service
        self._today = today
        self._timezone = timezone
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                done = await self._service.daily_refresh(self._today())
                log.info("daily refresh: %s", done)
            except Exception:
                log.exception("daily refresh failed; next try at the next run")
            wait = seconds_until_next_run(dt.datetime.now(dt.UTC), self._timezone)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), wait)
