"""The life of a service process: migrate (if asked), run its background worker, close what it opened."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import upgrade_to_head


def service_lifespan(service: str, engine: AsyncEngine, *, migrate: bool,
                     worker: Callable[[], Awaitable[None]] | None = None,
                     closers: Sequence[Callable[[], Awaitable[None]]] = (),
                     preflight: Sequence[Callable[[], Awaitable[None]]] = ()):
    """A FastAPI lifespan: the ``preflight`` checks run first (one that raises keeps the service from
    starting), then the ``worker`` (relay, consumer) runs for as long as the app serves, and is
    cancelled before the ``closers`` run and the engine's connections are released."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        if migrate:
            await upgrade_to_head(service, engine.url.render_as_string(hide_password=False))
        for check in preflight:
            await check()
        task = asyncio.create_task(worker(), name=f"{service}-worker") if worker else None
        try:
            yield
        finally:
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for close in closers:
                await close()
            await engine.dispose()

    return lifespan
