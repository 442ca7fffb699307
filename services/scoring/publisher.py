"""Publishes the scoring outbox (totals and warnings) to the bus in commit order, at least once.

The same discipline as the dossier's relay: one round per transaction (``ScoringService.publish_outbox``),
under an advisory lock on PostgreSQL so one scoring instance publishes at a time; the checkpoint moves only
after the bus acknowledged the batch. Message ids are content-derived, so a republished batch de-duplicates.
"""

from __future__ import annotations

from services.scoring.service import ScoringService
from shared.bus import Publisher
from shared.rounds import RoundWorker


class OutboxPublisher(RoundWorker):
    def __init__(self, service: ScoringService, publisher: Publisher, *, batch_size: int = 1000,
                 idle_s: float = 0.5) -> None:
        super().__init__(batch_size=batch_size, idle_s=idle_s)
        self._service = service
        self._publisher = publisher
        self.published = 0

    async def run_once(self) -> int:
        done = await self._service.publish_outbox(self._publisher, self._batch_size)
        self.published += done
        return done
