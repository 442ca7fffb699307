"""Append rates side by side on one PostgreSQL, in one run: Shiji's event store, the pyeventsourcing
library (``eventsourcing`` on PyPI, its PostgreSQL persistence), and raw asyncpg COPY as the ceiling.

- ``shiji store``: 16 concurrent writers, each its own stream, one event per transaction through
  ``store.append`` exactly as the dossier does it (per-stream advisory lock, read the head, hash chain,
  insert with an expected version). No HTTP, no domain decision.
- ``shiji service``: the same writers through ``DossierService.execute("record_entry")``: the whole
  single-write path (fold the stream, read the catalogue, decide, append, idempotency key).
- ``eventsourcing``: 16 threads, each its own aggregate, ``app.save()`` after every event (one event per
  save). The library takes a table lock on every insert (``LOCK TABLE ... IN EXCLUSIVE MODE``), so its
  writers queue behind each other.
- ``COPY``: pre-built event rows copied into the event table in one transaction: no Python per row.

Each figure is the median of ``--runs`` runs of ``--seconds`` each, every run on fresh databases.
Run: ``bench/run append_rates`` (or ``.venv/bin/python -m bench.append_rates`` with PostgreSQL up).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import json
import threading
import time
import uuid
from decimal import Decimal

import asyncpg

from bench.machine import machine, median
from services.dossier import store
from services.dossier.service import DossierService, dossier_engine
from services.dossier.store import Actor
from shared import commands as c
from shared.db import write_transaction
from shared.events import Basis, EntryKind, EntryRecorded
from tests.conftest import PgDatabases
from tests.support.connections import PgServer

PG = PgServer.from_env()  # the servers of SHIJI_TEST_PG and its client dir (tests/support/connections.py)
WRITERS = 16
ACTOR = Actor("bench", "clerk")
DAY = dt.date(2026, 1, 15)


def entry(n: int) -> EntryRecorded:
    return EntryRecorded(entry_id=str(uuid.uuid4()), kind=EntryKind.POSITIVE, category="honour", title=f"entry {n}",
                         points=Decimal("2.5"), effective_date=DAY, basis=Basis(reason="bench", document="bench"))


async def _for(seconds: float, write) -> int:
    """Run ``write(writer, n)`` in ``WRITERS`` concurrent loops for ``seconds``; how many writes finished."""
    done = [0] * WRITERS
    deadline = time.perf_counter() + seconds

    async def loop(w: int) -> None:
        while time.perf_counter() < deadline:
            await write(w, done[w])
            done[w] += 1

    await asyncio.gather(*(loop(w) for w in range(WRITERS)))
    return sum(done)


async def shiji_store(dbs: PgDatabases, seconds: float) -> float:
    engine = dossier_engine(await dbs.create("dossier"), WRITERS)
    streams = [str(uuid.uuid4()) for _ in range(WRITERS)]

    async def write(w: int, n: int) -> None:
        async with write_transaction(engine) as conn:
            await store.lock_stream(conn, streams[w])
            await store.append(conn, streams[w], n, [entry(n)], ACTOR, dt.datetime.now(dt.UTC))

    try:
        started = time.perf_counter()
        return await _for(seconds, write) / (time.perf_counter() - started)
    finally:
        await engine.dispose()


async def shiji_service(dbs: PgDatabases, seconds: float) -> float:
    engine = dossier_engine(await dbs.create("dossier"), WRITERS)
    service = DossierService(engine, today=lambda: DAY)
    try:
        await service.seed_catalogue()
        await service.execute("register_unit", c.RegisterUnit(unit_id="b", name="b", level="city", unit_class="city"),
                              {}, ACTOR)
        cadres = [(await service.execute("register_cadre", c.RegisterCadre(name="干部", unit_id="b"), {}, ACTOR)).body["id"]
                  for _ in range(WRITERS)]
        body = c.RecordEntry(kind="positive", category="honour", title="bench", points=Decimal("2.5"), effective_date=DAY,
                             basis=Basis(reason="bench", document="bench"))

        async def write(w: int, n: int) -> None:
            await service.execute("record_entry", body, {"cadre_id": cadres[w]}, ACTOR, idempotency_key=str(uuid.uuid4()))

        started = time.perf_counter()
        return await _for(seconds, write) / (time.perf_counter() - started)
    finally:
        await engine.dispose()


@functools.cache
def _library_aggregate() -> type:
    """The library's aggregate, defined once per process (it registers each class under a topic)."""
    from eventsourcing.domain import Aggregate, event

    class Dossier(Aggregate):
        def __init__(self) -> None:
            self.entries = 0

        @event("EntryRecorded")
        def record(self, title: str, points: float) -> None:
            self.entries += 1

    return Dossier


def eventsourcing_library(database: str, seconds: float) -> float:
    """16 threads, one aggregate each, one event per save; the library's own PostgreSQL recorder."""
    from eventsourcing.application import Application

    Dossier = _library_aggregate()
    app = Application(env={"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": database,
                           "POSTGRES_HOST": PG.host, "POSTGRES_PORT": str(PG.port), "POSTGRES_USER": "postgres",
                           "POSTGRES_PASSWORD": PG.password("postgres") or "", "POSTGRES_POOL_SIZE": str(WRITERS),
                           "CREATE_TABLE": "y"})
    done = [0] * WRITERS
    deadline = time.perf_counter() + seconds

    def writer(w: int) -> None:
        dossier = Dossier()
        app.save(dossier)
        while time.perf_counter() < deadline:
            dossier.record(title=f"entry {done[w]}", points=2.5)
            app.save(dossier)
            done[w] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    app.close()
    return sum(done) / elapsed


async def copy_ceiling(dbs: PgDatabases, rows: int) -> float:
    """Event rows as the dossier would write them, built beforehand, COPYed into the event table."""
    url = await dbs.create("dossier")
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        now = dt.datetime.now(dt.UTC)
        data = json.dumps(entry(0).model_dump(mode="json"))
        records = [(f"s{n // 200}", n % 200 + 1, str(uuid.uuid4()), "entry_recorded", 1, data, DAY, now, "bench",
                    "clerk", "sm3:" + "0" * 64) for n in range(rows)]
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("events", records=records, columns=[
                "stream_id", "stream_version", "event_id", "event_type", "schema_version", "data", "effective_date",
                "recorded_at", "actor", "actor_role", "hash"])
        return rows / (time.perf_counter() - started)
    finally:
        await conn.close()


async def main(runs: int, seconds: float, copy_rows: int) -> None:
    print(f"machine: {machine()}")
    results: dict[str, list[float]] = {"shiji store": [], "shiji service": [], "eventsourcing": [], "COPY": []}
    for run in range(1, runs + 1):
        dbs = PgDatabases(PG)
        try:
            results["shiji store"].append(await shiji_store(dbs, seconds))
            results["shiji service"].append(await shiji_service(dbs, seconds))
            es_url = await dbs.create()
            results["eventsourcing"].append(await asyncio.to_thread(eventsourcing_library, es_url.rsplit("/", 1)[1],
                                                                    seconds))
            results["COPY"].append(await copy_ceiling(dbs, copy_rows))
        finally:
            await dbs.drop_all()
        print(f"run {run}: " + ", ".join(f"{k} {v[-1]:,.0f}/s" for k, v in results.items()), flush=True)
    m = {k: median(v) for k, v in results.items()}
    print(f"\n{WRITERS} concurrent writers, one event per transaction, {seconds:.0f} s per run; COPY of {copy_rows:,} "
          f"rows; median of {runs} runs (events per second)\n")
    print("| path | events/s (median) | runs |")
    print("|---|---|---|")
    for k, v in results.items():
        print(f"| {k} | {m[k]:,.0f} | {' / '.join(f'{x:,.0f}' for x in v)} |")
    print(f"\nratios: shiji store / eventsourcing = {m['shiji store'] / m['eventsourcing']:.2f}x; "
          f"shiji service / eventsourcing = {m['shiji service'] / m['eventsourcing']:.2f}x; "
          f"shiji store / COPY = {m['shiji store'] / m['COPY']:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--copy-rows", type=int, default=200_000)
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.seconds, args.copy_rows))
