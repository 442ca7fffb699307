"""A steady write load through the gateway, retrying like a careful client.

Each write (an entry, now and then a revocation of an acknowledged entry) is sent with its own
``Idempotency-Key`` and, until it is answered, re-sent with the same key and the same body: after
a connection error, a 5xx, or a 409 from a lost race. So every write ends acknowledged (201) exactly
once, or refused for good (a 4xx the client cannot retry, counted in ``refused``). Titles and
reasons carry the key, so a checker can find each write in the event store.

A 500 is retried like the client would, but it is a bug, never an answer to a fault (an outage is
503 + Retry-After): each one is kept in ``server_errors``, and the fault harness requires none.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from shared.settings import today

RETRIED_STATUSES = {409, 500, 502, 503, 504}


@dataclass(frozen=True, slots=True)
class Write:
    key: str
    cadre_id: str
    path: str
    body: dict[str, Any]
    revoked_entry: str | None = None  # a revocation: the entry it revokes


@dataclass(frozen=True, slots=True)
class Ack:
    write: Write
    entry_id: str
    version: int
    attempts: int
    replayed: bool  # the answer was the stored first answer (Idempotent-Replayed)
    at: float  # loop time of the acknowledgement


async def register_cadres(gateway: httpx.AsyncClient, count: int, unit_id: str) -> list[str]:
    """Register ``count`` cadres through the gateway (their unit too, once); their ids."""
    r = await gateway.post("/api/v1/units", json={"unit_id": unit_id, "name": unit_id, "level": "city",
                                                  "unit_class": "load"}, headers={"Idempotency-Key": f"unit-{unit_id}"})
    assert r.status_code in (201, 409), r.text  # 409: registered by an earlier round
    ids = []
    for n in range(count):
        r = await gateway.post("/api/v1/cadres", json={"name": f"干部{n}", "unit_id": unit_id},
                               headers={"Idempotency-Key": str(uuid.uuid4())})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


def entry_body(rng: random.Random, title: str) -> dict[str, Any]:
    kind = rng.choice(["achievement", "positive", "negative", "positive"])
    halves = rng.randint(1, 20)
    points = {"achievement": Decimal(halves - 1) / 2, "positive": Decimal(halves) / 2,
              "negative": -Decimal(halves) / 2}[kind]
    # Some entries are older than three years: the checker sees them fall out of the window.
    effective = today() - dt.timedelta(days=rng.randint(0, 1400))
    category = {"achievement": "key_project", "positive": "honour", "negative": "inaction"}[kind]  # ranges fit
    return {"kind": kind, "category": category, "title": title, "points": float(points),
            "effective_date": effective.isoformat(), "basis": {"reason": "load test", "document": "load"}}


@dataclass
class WriteLoad:
    client: httpx.AsyncClient  # the gateway, with an Authorization header
    cadre_ids: list[str]
    rate: float = 10.0  # writes started per second
    concurrency: int = 8  # writes in flight at most (a stalled system is not flooded)
    patience_s: float = 150.0  # a write still unanswered after this long is given up ("unfinished")
    revoke_every: int = 6
    seed: int = 7
    acked: list[Ack] = field(default_factory=list)
    refused: list[tuple[Write, int, str]] = field(default_factory=list)
    unfinished: list[Write] = field(default_factory=list)
    server_errors: list[tuple[Write, str]] = field(default_factory=list)  # every 500 answered: (write, body)
    retried: Counter = field(default_factory=Counter)  # why attempts failed: status or exception name

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._revocable: list[Ack] = []
        self._in_flight: set[asyncio.Task] = set()
        self._stopping = asyncio.Event()
        self._ticker: asyncio.Task | None = None
        self._issued = 0

    def _next_write(self) -> Write:
        key = str(uuid.uuid4())
        self._issued += 1
        if self._issued % self.revoke_every == 0 and self._revocable:
            target = self._revocable.pop(self._rng.randrange(len(self._revocable)))
            cadre = target.write.cadre_id
            return Write(key, cadre, f"/api/v1/cadres/{cadre}/entries/{target.entry_id}/revocation",
                         {"reason": f"load {key}"}, revoked_entry=target.entry_id)
        cadre = self._rng.choice(self.cadre_ids)
        return Write(key, cadre, f"/api/v1/cadres/{cadre}/entries", entry_body(self._rng, f"load {key}"))

    async def _send(self, write: Write) -> None:
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self.patience_s
        attempts = 0
        while loop.time() < give_up:
            attempts += 1
            try:
                r = await self.client.post(write.path, json=write.body, headers={"Idempotency-Key": write.key})
            except httpx.TransportError as exc:
                self.retried[type(exc).__name__] += 1
            else:
                if r.status_code == 201:
                    body = r.json()
                    ack = Ack(write, body["entry_id"], body["version"], attempts,
                              r.headers.get("idempotent-replayed") == "true", loop.time())
                    self.acked.append(ack)
                    if write.revoked_entry is None:
                        self._revocable.append(ack)
                    return
                if r.status_code not in RETRIED_STATUSES:
                    self.refused.append((write, r.status_code, r.text[:500]))
                    return
                if r.status_code == 500:
                    self.server_errors.append((write, r.text[:500]))
                self.retried[r.status_code] += 1
            await asyncio.sleep(0.3)
        self.unfinished.append(write)

    async def _tick(self) -> None:
        while not self._stopping.is_set():
            if len(self._in_flight) < self.concurrency:
                task = asyncio.create_task(self._send(self._next_write()))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), 1 / self.rate)

    async def until(self, acked: int, timeout_s: float = 120) -> None:
        """Wait until at least ``acked`` writes have been acknowledged in all."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while len(self.acked) < acked:
            assert asyncio.get_running_loop().time() < deadline, f"only {len(self.acked)}/{acked} writes acknowledged"
            await asyncio.sleep(0.1)

    async def __aenter__(self) -> WriteLoad:
        self._ticker = asyncio.create_task(self._tick())
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        """Stop issuing; let every write in flight finish (answered, refused or given up), or, when
        the test failed, cancel them."""
        self._stopping.set()
        if self._ticker is not None:
            await self._ticker
        if exc_type is not None:
            for task in self._in_flight:
                task.cancel()
        await asyncio.gather(*self._in_flight, return_exceptions=exc_type is not None)

    def summary(self) -> str:
        return (f"{len(self.acked)} acknowledged ({sum(a.attempts > 1 for a in self.acked)} after retries, "
                f"{sum(a.replayed for a in self.acked)} replayed), {len(self.refused)} refused, "
                f"{len(self.unfinished)} unfinished, {len(self.server_errors)} answered 500; "
                f"failed attempts: {dict(self.retried)}")
