"""A background worker that runs in rounds (the dossier's relay, scoring's outbox publisher).

``run`` repeats ``run_once`` until ``stop``: a round that fails is retried after a pause that grows
to ten seconds; a round that did less than a full batch is followed by an idle pause, which
``wake`` cuts short. ``stop`` lets the round under way finish (its checkpoint commits) first.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)


class RoundWorker:
    def __init__(self, *, batch_size: int, idle_s: float) -> None:
        self._batch_size = batch_size
        self._idle_s = idle_s
        self._wakeup = asyncio.Event()
        self._stopping = False

    async def run_once(self) -> int:
        """One round; how much it did (a full batch means: go again at once)."""
        raise NotImplementedError

    def wake(self) -> None:
        self._wakeup.set()

    def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()

    async def _pause(self, seconds: float) -> None:
        """Sleep until ``seconds`` pass, a wake-up comes, or we are asked to stop."""
        try:
            await asyncio.wait_for(self._wakeup.wait(), seconds)
        except TimeoutError:
            pass

    async def run(self) -> None:
        backoff = 0.5
        while not self._stopping:
            self._wakeup.clear()
            try:
                done = await self.run_once()
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s round failed; retrying in %.1fs", type(self).__name__, backoff)
                await self._pause(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            if done < self._batch_size:
                await self._pause(self._idle_s)
