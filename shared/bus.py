"""The message bus port: what the relay publishes to and the scoring consumer reads from.

Two adapters implement it: Kafka (production, ``shared.kafka_bus``) and a durable single-partition
log in a SQLite file (embedded, ``shared.log_bus``). Both deliver at least once; consumers keep
their own positions (in their database, in the same transaction as their effects) and tell the
bus where to start through ``StartPositions``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    key: str
    value: bytes


@dataclass(frozen=True, slots=True)
class DeliveredMessage:
    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes


# Given the partitions just assigned to this consumer, the next offset to read for each
# (a partition missing from the answer starts at the beginning).
StartPositions = Callable[[str, list[int]], Awaitable[dict[int, int]]]


class Publisher(Protocol):
    async def publish(self, topic: str, messages: Sequence[OutgoingMessage]) -> None:
        """Return only when every message is durably accepted, in order per key; raise otherwise."""

    async def close(self) -> None: ...


class Subscription(Protocol):
    async def poll(self, max_records: int, timeout_s: float) -> list[DeliveredMessage]:
        """The next messages of the assigned partitions; an empty list after ``timeout_s``."""

    async def committed(self, positions: dict[tuple[str, int], int]) -> None:
        """Tell the bus how far the consumer got (monitoring only: the database is authoritative)."""

    async def close(self) -> None: ...
