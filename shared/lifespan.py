"""The life of a service process: migrate (if asked), run its background worker, close what it opened."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import upgrade_to_head


def service_lifespan(service: str, engine: AsyncEngine, *, migrate: bool,
                     workers: Sequence[Callable[[], Awaitable[None]]] = (),
                     startup: Sequence[Callable[[], Awaitable[None]]] = (),
                     closers: Sequence[Callable[[], Awaitable[None]]] = ()):
    """A FastAPI lifespan: the ``workers`` (relay, consumer, publisher, daily job) run for as long as the
    app serves, and are cancelled before the ``closers`` run and the engine's connections are released."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        if migrate:
            await upgrade_to_head(service, engine.url.render_as_string(hide_password=False))
        for step in startup:
            await step()
        tasks = [asyncio.create_task(work(), name=f"{service}-{work.__qualname__}") for work in workers]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for close in closers:
                await close()
            await engine.dispose()

    return lifespan
