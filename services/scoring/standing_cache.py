"""What a standing read needs of the whole city, kept between reads (issue 20): the cadres registered, every
cadre's window total and every ranking band.

A band is a place in a class group that spans the city, so computing one loads the facts of every cadre: at
city size that is seconds, and a portrait, a team report and a what-if each ask for a handful of cadres. What is
kept depends only on the projection's facts, the day and the rule set; the facts change only when the consumer
applies a batch (or a rebuild replays the topic), and each such transaction moves ``consumer_positions``. So an
entry is keyed by the day, the rule set and the positions (offsets and the last update), and is valid exactly
while the positions stand: the first read after a batch computes afresh, every later one reuses it. Only reads
as held now are kept; a read as known at a past moment computes its own (``standing.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scoring.tables import consumer_positions


@dataclass(frozen=True, slots=True)
class CityStanding:
    registered: frozenset[str]
    totals: dict[str, Decimal]
    bands: dict[str, list[dict]]


async def watermark(conn: AsyncConnection) -> tuple:
    """Where the projection stands: every consumer position and when it last moved."""
    p = consumer_positions.c
    rows = await conn.execute(select(p.consumer, p.topic, p.partition, p.next_offset, p.updated_at)
                              .order_by(p.consumer, p.topic, p.partition))
    return tuple(tuple(r) for r in rows)


class StandingCache:
    """The last ``size`` city standings kept (a few days or rule sets asked at once), the first kept dropped first:
    a stale key (the projection moved on) is never asked again and leaves in turn."""

    def __init__(self, size: int = 4) -> None:
        self._size = size
        self._kept: dict[tuple, CityStanding] = {}

    def get(self, key: tuple) -> CityStanding | None:
        return self._kept.get(key)

    def keep(self, key: tuple, standing: CityStanding) -> None:
        if key not in self._kept and len(self._kept) >= self._size:
            del self._kept[next(iter(self._kept))]
        self._kept[key] = standing
