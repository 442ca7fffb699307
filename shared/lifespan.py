"""The life of a service process: migrate (if asked), run its background worker, close what it opened."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import upgrade_to_head

log = logging.getLogger(__name__)

# How long a stopping worker may take to finish its round (a relay batch, a consumer batch) before
# it is cancelled. Well inside the 30 s a container gets between SIGTERM and SIGKILL, after the
# 10 s uvicorn gives requests in flight.
WORKER_STOP_GRACE_S = 15.0


class Worker(Protocol):
    """A background loop (the relay, the consumer) that can be asked to stop after its current round."""

    async def run(self) -> None: ...

    def stop(self) -> None: ...


def service_lifespan(service: str, engine: AsyncEngine, *, migrate: bool, workers: Sequence[Worker] = (),
                     startup: Sequence[Callable[[], Awaitable[None]]] = (),
                     closers: Sequence[Callable[[], Awaitable[None]]] = (), grace_s: float = WORKER_STOP_GRACE_S):
    """A FastAPI lifespan: the ``startup`` steps run once, then the ``workers`` (relay, consumer,
    publisher, daily job) run for as long as the app serves. At shutdown (after uvicorn has finished
    the requests in flight) each is asked to stop, so it ends on a committed round; only if that takes
    longer than ``grace_s`` is it cancelled. Then the ``closers`` run and the engine's connections are
    released."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        if migrate:
            await upgrade_to_head(service, engine.url.render_as_string(hide_password=False))
        for step in startup:
            await step()
        tasks = [(w, asyncio.create_task(w.run(), name=f"{service}-{type(w).__name__}")) for w in workers]
        try:
            yield
        finally:
            await asyncio.gather(*(_stop(w, task, grace_s) for w, task in tasks))
            for close in closers:
                await close()
            await engine.dispose()

    return lifespan


async def _stop(worker: Worker, task: asyncio.Task, grace_s: float) -> None:
    worker.stop()
    try:
        await asyncio.wait_for(asyncio.shield(task), grace_s)
    except TimeoutError:
        log.warning("%s did not stop within %.0fs; cancelling it", task.get_name(), grace_s)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
