"""Publishes the scoring outbox (totals and warnings) to the bus in commit order, at least once.

The same discipline as the dossier's relay: one round per transaction, under an advisory lock on
PostgreSQL so one scoring instance publishes at a time; the checkpoint moves only after the bus
acknowledged the batch. Message ids are content-derived, so a republished batch de-duplicates.
"""

from __future__ import annotations

import logging
from itertools import groupby

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring.tables import outbox, outbox_checkpoints
from shared.bus import OutgoingMessage, Publisher
from shared.commit_order import Cursor, committed_after
from shared.db import upsert
from shared.rounds import RoundWorker

log = logging.getLogger(__name__)
LOCK_KEY = 0x53434F52  # "SCOR"
NAME = "scoring-outbox"


class OutboxPublisher(RoundWorker):
    def __init__(self, engine: AsyncEngine, publisher: Publisher, *, batch_size: int = 1000, idle_s: float = 0.5) -> None:
        super().__init__(batch_size=batch_size, idle_s=idle_s)
        self._engine = engine
        self._publisher = publisher
        self.published = 0

    async def run_once(self) -> int:
        async with self._engine.begin() as conn:
            if conn.dialect.name == "postgresql" and not await conn.scalar(
                    text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LOCK_KEY}):
                return 0
            row = (await conn.execute(select(outbox_checkpoints).where(outbox_checkpoints.c.name == NAME))).first()
            cursor = Cursor(row.tx_id, row.position) if row else Cursor()
            batch = list(await conn.execute(committed_after(outbox, cursor, self._batch_size, conn.dialect.name)))
            if not batch:
                return 0
            # Per topic, in order; one cadre's messages keep their order (same topic, same key, same partition).
            for topic, rows in groupby(batch, key=lambda r: r.topic):
                await self._publisher.publish(topic, [OutgoingMessage(r.key, r.value) for r in rows])
            last = batch[-1]
            await conn.execute(upsert(conn.dialect.name, outbox_checkpoints,
                                      {"name": NAME, "tx_id": last.tx_id, "position": last.position},
                                      ["name"], ["tx_id", "position"]))
        self.published += len(batch)
        return len(batch)
