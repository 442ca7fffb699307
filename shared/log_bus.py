"""The embedded wiring's bus: a durable, single-partition message log in a SQLite file.

It stands in for Kafka when Shiji runs as one process (``shiji up``): the relay appends to it, the
scoring consumer reads from it at the position kept in the scoring database. Being a file, it
survives a restart exactly as a topic does, so the embedded wiring runs the same relay and
consumer code paths as production.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from shared.bus import DeliveredMessage, Headers, OutgoingMessage, StartPositions

PARTITION = 0


class LogBus:
    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS messages ("
            " offset INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, key TEXT, value BLOB NOT NULL)"
        )
        self._conn.execute("CREATE INDEX IF NOT EXISTS ix_messages_topic_offset ON messages (topic, offset)")
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(messages)")}
        if "headers" not in columns:  # a data dir from before headers existed
            self._conn.execute("ALTER TABLE messages ADD COLUMN headers TEXT")
        self._lock = threading.Lock()
        self._waiters: set[asyncio.Event] = set()

    def _insert(self, topic: str, messages: Sequence[OutgoingMessage]) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany(
                "INSERT INTO messages (topic, key, value, headers) VALUES (?, ?, ?, ?)",
                [(topic, m.key, m.value, _dump(m.headers)) for m in messages],
            )
            self._conn.execute("COMMIT")

    def _read(self, topic: str, start: int, limit: int) -> list[DeliveredMessage]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT offset, key, value, headers FROM messages WHERE topic = ? AND offset >= ? ORDER BY offset LIMIT ?",
                (topic, start, limit),
            ).fetchall()
        return [DeliveredMessage(topic, PARTITION, off, key, bytes(value), _load(headers))
                for off, key, value, headers in rows]

    def _end(self, topic: str) -> int:
        with self._lock:
            newest = self._conn.execute("SELECT max(offset) FROM messages WHERE topic = ?", (topic,)).fetchone()[0]
        return newest + 1 if newest is not None else 0

    async def publish(self, topic: str, messages: Sequence[OutgoingMessage]) -> None:
        if not messages:
            return
        await asyncio.to_thread(self._insert, topic, messages)
        for waiter in self._waiters:
            waiter.set()

    def subscribe(self, topic: str, start_positions: StartPositions) -> LogSubscription:
        return LogSubscription(self, topic, start_positions)

    def admin(self) -> LogAdmin:
        return LogAdmin(self)

    async def close(self) -> None:
        with self._lock:
            self._conn.close()


class LogAdmin:
    """The log as operations see it (``BusAdmin``). Closing it leaves the log open: the log belongs to
    whoever publishes to it, while every service that reads or watches it may hold an admin."""

    def __init__(self, bus: LogBus) -> None:
        self._bus = bus
        self.errors: Counter[tuple[str, str]] = Counter()  # a file has no client to fail

    async def ready(self, topic: str) -> bool:
        return True

    async def end_offsets(self, topic: str, partitions: Sequence[int]) -> dict[int, int]:
        return {PARTITION: await asyncio.to_thread(self._bus._end, topic)} if PARTITION in partitions else {}

    async def close(self) -> None:
        return None


def _dump(headers: Headers) -> str | None:
    return json.dumps([[k, v.decode("latin-1")] for k, v in headers]) if headers else None


def _load(raw: str | None) -> Headers:
    return tuple((k, v.encode("latin-1")) for k, v in json.loads(raw)) if raw else ()


class LogSubscription:
    def __init__(self, bus: LogBus, topic: str, start_positions: StartPositions) -> None:
        self.assigned = [PARTITION]
        self._bus = bus
        self._topic = topic
        self._start_positions = start_positions
        self._next: int | None = None
        self._wakeup = asyncio.Event()
        bus._waiters.add(self._wakeup)

    async def poll(self, max_records: int, timeout_s: float) -> list[DeliveredMessage]:
        if self._next is None:
            self._next = (await self._start_positions(self._topic, [PARTITION])).get(PARTITION, 0)
        self._wakeup.clear()
        batch = await asyncio.to_thread(self._bus._read, self._topic, self._next, max_records)
        if not batch:
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout_s)
            except TimeoutError:
                return []
            batch = await asyncio.to_thread(self._bus._read, self._topic, self._next, max_records)
        if batch:
            self._next = batch[-1].offset + 1
        return batch

    async def committed(self, positions: dict[tuple[str, int], int]) -> None:
        return None

    async def close(self) -> None:
        self._bus._waiters.discard(self._wakeup)
