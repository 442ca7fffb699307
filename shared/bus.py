"""The message bus port: what the relay publishes to and the scoring consumer reads from.

Two adapters implement it: Kafka (production, ``shared.kafka_bus``) and a durable single-partition
log in a SQLite file (embedded, ``shared.log_bus``). Both deliver at least once; consumers keep
their own positions (in their database, in the same transaction as their effects) and tell the
bus where to start through ``StartPositions``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

# Message headers as Kafka has them: (name, value) pairs in order. Ours carry the request context
# of the write that produced the event (W3C ``traceparent``/``tracestate``, ``request_id``), never data.
Headers = tuple[tuple[str, bytes], ...]


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    key: str
    value: bytes
    headers: Headers = ()


@dataclass(frozen=True, slots=True)
class DeliveredMessage:
    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes
    headers: Headers = ()

    def header(self, name: str) -> str | None:
        """The first header called ``name``, decoded; None when absent or not UTF-8."""
        for key, value in self.headers:
            if key == name:
                try:
                    return value.decode()
                except UnicodeDecodeError:
                    return None
        return None


# Given the partitions just assigned to this consumer, the next offset to read for each
# (a partition missing from the answer starts at the beginning).
StartPositions = Callable[[str, list[int]], Awaitable[dict[int, int]]]


class Publisher(Protocol):
    async def publish(self, topic: str, messages: Sequence[OutgoingMessage]) -> None:
        """Return only when every message is durably accepted, in order per key; raise otherwise."""

    async def close(self) -> None: ...


class BusAdmin(Protocol):
    """What operations ask of the bus itself: is it there, how far does each partition reach."""

    errors: Counter[tuple[str, str]]  # client errors so far by (client, error type), for /metrics

    async def ready(self, topic: str) -> bool:
        """The bus answers and ``topic`` exists (for /readyz); False rather than a long wait."""

    async def end_offsets(self, topic: str, partitions: Sequence[int]) -> dict[int, int]:
        """The offset the next message on each partition will get (for consumer lag)."""

    async def close(self) -> None: ...


class Subscription(Protocol):
    assigned: list[int]  # the partitions this member holds now (it shares the topic with its group)

    async def poll(self, max_records: int, timeout_s: float) -> list[DeliveredMessage]:
        """The next messages of the assigned partitions; an empty list after ``timeout_s``."""

    async def committed(self, positions: dict[tuple[str, int], int]) -> None:
        """Tell the bus how far the consumer got (monitoring only: the database is authoritative)."""

    async def close(self) -> None: ...
