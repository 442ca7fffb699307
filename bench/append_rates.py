"""Append rates side by side on one PostgreSQL, in one run: Shiji's event store, the pyeventsourcing
library (``eventsourcing`` on PyPI, its PostgreSQL persistence), Emmett (``@event-driven-io/emmett-postgresql``
on npm, a PostgreSQL event store for Node; ``bench/emmett``), and raw asyncpg COPY as the ceiling.

- ``shiji store``: 16 concurrent writers, each its own stream, one event per transaction through
  ``store.append_alone`` (hash chain made in Python on the head the writer knows; one call of
  ``shiji_append``, its own transaction, which takes the stream's advisory lock, checks the expected version
  and hash and inserts: one round trip). No HTTP, no domain decision.
- ``shiji service``: the same writers through ``DossierService.execute("record_entry")``: the whole
  single-write path (fold the stream, read the catalogue, decide, append, idempotency key).
- ``eventsourcing``: 16 threads, each its own aggregate, ``app.save()`` after every event (one event per
  save). The library takes a table lock on every insert (``LOCK TABLE ... IN EXCLUSIVE MODE``), so its
  writers queue behind each other.
- ``emmett``: 16 concurrent writers in one Node process, each its own stream, one event per
  ``appendToStream`` with an expected version (BEGIN, one call of its PL/pgSQL append function, COMMIT).
  Emmett keeps no hash chain and no outbox.
- ``COPY``: pre-built event rows copied into the event table in one transaction: no Python per row.

Each figure is the median of ``--runs`` runs of ``--seconds`` each, every run on fresh databases; the paths
run one after another, in reverse order every other run, so a slow spell of the (shared) machine does not
always fall on the same path. ``--paths`` picks some of them.
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

from bench import emmett
from bench.machine import machine, median
from services.dossier import store
from services.dossier.service import DossierService, dossier_engine
from services.dossier.store import Actor
from shared import chain
from shared import commands as c
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


async def _for(seconds: float, write) -> tuple[float, float]:
    """Run ``write(writer, n)`` in ``WRITERS`` concurrent loops for ``seconds``: writes per second, and this
    process's CPU seconds per write (the client's cost: PostgreSQL's backends are other processes)."""
    done = [0] * WRITERS
    started, cpu = time.perf_counter(), time.process_time()
    deadline = started + seconds

    async def loop(w: int) -> None:
        while time.perf_counter() < deadline:
            await write(w, done[w])
            done[w] += 1

    await asyncio.gather(*(loop(w) for w in range(WRITERS)))
    return sum(done) / (time.perf_counter() - started), (time.process_time() - cpu) / sum(done)


async def shiji_store(dbs: PgDatabases, seconds: float) -> tuple[float, float]:
    engine = dossier_engine(await dbs.create("dossier"), WRITERS)
    streams = [str(uuid.uuid4()) for _ in range(WRITERS)]
    heads = [chain.GENESIS] * WRITERS  # each writer's last hash, as the dossier keeps its streams' heads

    async def write(w: int, n: int) -> None:
        (stored,) = await store.append_alone(engine, streams[w], n, [entry(n)], ACTOR, dt.datetime.now(dt.UTC),
                                             previous_hash=heads[w])
        heads[w] = stored.hash

    try:
        return await _for(seconds, write)
    finally:
        await engine.dispose()


async def shiji_service(dbs: PgDatabases, seconds: float) -> tuple[float, float]:
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

        return await _for(seconds, write)
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


def eventsourcing_library(database: str, seconds: float) -> tuple[float, float]:
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

    started, cpu = time.perf_counter(), time.process_time()
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    app.close()
    return sum(done) / elapsed, cpu / sum(done)


async def copy_ceiling(dbs: PgDatabases, rows: int) -> tuple[float, float]:
    """Event rows as the dossier would write them, built beforehand, COPYed into the event table."""
    url = await dbs.create("dossier")
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        now = dt.datetime.now(dt.UTC)
        data = json.dumps(entry(0).model_dump(mode="json"))
        records = [(f"s{n // 200}", n % 200 + 1, str(uuid.uuid4()), "entry_recorded", 1, data, DAY, now, "bench",
                    "clerk", "sm3:" + "0" * 64) for n in range(rows)]
        started, cpu = time.perf_counter(), time.process_time()
        async with conn.transaction():
            await conn.copy_records_to_table("events", records=records, columns=[
                "stream_id", "stream_version", "event_id", "event_type", "schema_version", "data", "effective_date",
                "recorded_at", "actor", "actor_role", "hash"])
        return rows / (time.perf_counter() - started), (time.process_time() - cpu) / rows
    finally:
        await conn.close()


PATHS = ("shiji store", "emmett", "shiji service", "eventsourcing", "COPY")


async def _measure(path: str, dbs: PgDatabases, seconds: float, copy_rows: int) -> tuple[float, float]:
    if path == "shiji store":
        return await shiji_store(dbs, seconds)
    if path == "shiji service":
        return await shiji_service(dbs, seconds)
    if path == "emmett":
        url = (await dbs.create()).replace("postgresql+asyncpg://", "postgresql://")
        return await asyncio.to_thread(emmett.append_rate, url, WRITERS, seconds)
    if path == "eventsourcing":
        es_url = await dbs.create()
        return await asyncio.to_thread(eventsourcing_library, es_url.rsplit("/", 1)[1], seconds)
    return await copy_ceiling(dbs, copy_rows)


def _ratio(m: dict[str, float], a: str, b: str) -> str:
    return f"{a} / {b} = {m[a] / m[b]:.2f}x" if a in m and b in m else ""


async def main(runs: int, seconds: float, copy_rows: int, paths: list[str]) -> None:
    print(f"machine: {machine()}")
    if "emmett" in paths:
        await asyncio.to_thread(emmett.install)
    results: dict[str, list[float]] = {p: [] for p in paths}
    cpu: dict[str, list[float]] = {p: [] for p in paths}  # the client's CPU seconds per event
    for run in range(1, runs + 1):
        dbs = PgDatabases(PG)
        try:
            for path in paths if run % 2 else reversed(paths):
                rate, per_event = await _measure(path, dbs, seconds, copy_rows)
                results[path].append(rate)
                cpu[path].append(per_event)
        finally:
            await dbs.drop_all()
        print(f"run {run}: " + ", ".join(f"{k} {v[-1]:,.0f}/s ({cpu[k][-1] * 1e6:,.0f} µs CPU)"
                                         for k, v in results.items()), flush=True)
    m = {k: median(v) for k, v in results.items()}
    print(f"\n{WRITERS} concurrent writers, one event per transaction, {seconds:.0f} s per run; COPY of {copy_rows:,} "
          f"rows; median of {runs} runs; client CPU: the writing process's own CPU per event\n")
    print("| path | events/s (median) | runs | client CPU per event (median) |")
    print("|---|---|---|---|")
    for k, v in results.items():
        print(f"| {k} | {m[k]:,.0f} | {' / '.join(f'{x:,.0f}' for x in v)} | {median(cpu[k]) * 1e6:,.0f} µs |")
    ratios = [_ratio(m, "shiji store", "emmett"), _ratio(m, "shiji store", "eventsourcing"),
              _ratio(m, "shiji service", "eventsourcing"), _ratio(m, "shiji service", "emmett"),
              _ratio(m, "shiji store", "COPY")]
    print("\nratios: " + "; ".join(r for r in ratios if r))
    per_run = [f"{a / b:.2f}" for a, b in zip(results.get("shiji store", []), results.get("emmett", []), strict=False)]
    if per_run:
        print(f"shiji store / emmett, run by run: {', '.join(per_run)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--copy-rows", type=int, default=200_000)
    parser.add_argument("--paths", default=",".join(PATHS), help=f"comma-separated, of: {', '.join(PATHS)}")
    args = parser.parse_args()
    chosen = [p.strip() for p in args.paths.split(",")]
    if unknown := set(chosen) - set(PATHS):
        parser.error(f"unknown paths: {', '.join(sorted(unknown))}")
    asyncio.run(main(args.runs, args.seconds, args.copy_rows, chosen))
