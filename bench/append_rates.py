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
always fall on the same path. ``--paths`` picks some of them. Every path's writers write once before the
clock starts (connections opened, statements prepared, heads kept), so each measures its steady state.
Beside each rate: the client's CPU per event and the server's (the database's backends, read from /proc,
``bench/backend_cpu.py``): on a two-core machine both come out of the same cores. The Shiji paths run on
uvloop, the loop the services serve on (``--loop asyncio`` for the standard one).
Run: ``bench/run append_rates`` (or ``.venv/bin/python -m bench.append_rates`` with PostgreSQL up).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal

import asyncpg
import uvloop

from bench import emmett
from bench.backend_cpu import BackendCpu
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


@dataclass
class Rate:
    """One path's measurement: events per second, and the CPU seconds per event of the writing process (the
    client) and of the database's backends (the server, ``bench/backend_cpu.py``; None if unreadable)."""

    per_second: float
    client_cpu: float
    server_cpu: float | None


async def _for(seconds: float, write, database: str) -> Rate:
    """``write(writer, n)`` in ``WRITERS`` concurrent loops for ``seconds``, after one warm-up write per writer
    (connections opened, statements prepared, kept heads read: the steady state is measured, as for the peers)."""
    await asyncio.gather(*(write(w, 0) for w in range(WRITERS)))
    done = [1] * WRITERS
    server = BackendCpu(PG.dsn(), database).start()
    started, cpu = time.perf_counter(), time.process_time()
    deadline = started + seconds

    async def loop(w: int) -> None:
        while time.perf_counter() < deadline:
            await write(w, done[w])
            done[w] += 1

    await asyncio.gather(*(loop(w) for w in range(WRITERS)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    backends = await asyncio.to_thread(server.stop)
    events = sum(done) - WRITERS
    return Rate(events / elapsed, cpu / events, backends / events if backends is not None else None)


async def shiji_store(dbs: PgDatabases, seconds: float) -> Rate:
    url = await dbs.create("dossier")
    engine = dossier_engine(url, WRITERS)
    streams = [str(uuid.uuid4()) for _ in range(WRITERS)]
    heads = [chain.GENESIS] * WRITERS  # each writer's last hash, as the dossier keeps its streams' heads

    async def write(w: int, n: int) -> None:
        (stored,) = await store.append_alone(engine, streams[w], n, [entry(n)], ACTOR, dt.datetime.now(dt.UTC),
                                             previous_hash=heads[w])
        heads[w] = stored.hash

    try:
        return await _for(seconds, write, dbs.name_of(url))
    finally:
        await engine.dispose()


async def shiji_service(dbs: PgDatabases, seconds: float) -> Rate:
    url = await dbs.create("dossier")
    engine = dossier_engine(url, WRITERS)
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

        return await _for(seconds, write, dbs.name_of(url))
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


def eventsourcing_library(database: str, seconds: float) -> Rate:
    """16 threads, one aggregate each, one event per save; the library's own PostgreSQL recorder. Each thread
    saves its new aggregate first (the warm-up), then all save events for ``seconds``."""
    from eventsourcing.application import Application

    Dossier = _library_aggregate()
    if PG.client_dir is not None:  # a secured server: TLS verify-full for libpq too, as Shiji and Emmett connect
        os.environ.update(PGSSLMODE="verify-full", PGSSLROOTCERT=str(PG.client_dir / "ca.crt"))
    app = Application(env={"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": database,
                           "POSTGRES_HOST": PG.host, "POSTGRES_PORT": str(PG.port), "POSTGRES_USER": "postgres",
                           "POSTGRES_PASSWORD": PG.password("postgres") or "", "POSTGRES_POOL_SIZE": str(WRITERS),
                           "CREATE_TABLE": "y"})
    done = [0] * WRITERS
    warm = threading.Barrier(WRITERS + 1)
    go = threading.Event()
    deadline = [0.0]

    def writer(w: int) -> None:
        dossier = Dossier()
        app.save(dossier)
        warm.wait()
        go.wait()
        while time.perf_counter() < deadline[0]:
            dossier.record(title=f"entry {done[w]}", points=2.5)
            app.save(dossier)
            done[w] += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    warm.wait()
    server = BackendCpu(PG.dsn(), database).start()
    started, cpu = time.perf_counter(), time.process_time()
    deadline[0] = started + seconds
    go.set()
    for t in threads:
        t.join()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    backends = server.stop()
    app.close()
    events = sum(done)
    return Rate(events / elapsed, cpu / events, backends / events if backends is not None else None)


async def copy_ceiling(dbs: PgDatabases, rows: int) -> Rate:
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
        return Rate(rows / (time.perf_counter() - started), (time.process_time() - cpu) / rows, None)
    finally:
        await conn.close()


PATHS = ("shiji store", "emmett", "shiji service", "eventsourcing", "COPY")


async def _measure(path: str, dbs: PgDatabases, seconds: float, copy_rows: int) -> Rate:
    if path == "shiji store":
        return await shiji_store(dbs, seconds)
    if path == "shiji service":
        return await shiji_service(dbs, seconds)
    if path == "emmett":
        url = await dbs.create()
        server = BackendCpu(PG.dsn(), dbs.name_of(url))
        events, elapsed, cpu = await asyncio.to_thread(emmett.append_rate, url.replace("postgresql+asyncpg://",
                                                       "postgresql://"), WRITERS, seconds, server.start)
        backends = server.stop()
        return Rate(events / elapsed, cpu / events, backends / events if backends is not None else None)
    if path == "eventsourcing":
        es_url = await dbs.create()
        return await asyncio.to_thread(eventsourcing_library, dbs.name_of(es_url), seconds)
    return await copy_ceiling(dbs, copy_rows)


def _ratio(m: dict[str, float], a: str, b: str) -> str:
    return f"{a} / {b} = {m[a] / m[b]:.2f}x" if a in m and b in m else ""


def _us(value: float | None) -> str:
    return f"{value * 1e6:,.0f} µs" if value is not None else "n/a"


async def measure(runs: int, seconds: float, copy_rows: int, paths: list[str]) -> dict[str, list[Rate]]:
    """Each path's rate, run by run (the paths in reverse order every other run)."""
    if "emmett" in paths:
        await asyncio.to_thread(emmett.install)
    results: dict[str, list[Rate]] = {p: [] for p in paths}
    for run in range(1, runs + 1):
        dbs = PgDatabases(PG)
        try:
            for path in paths if run % 2 else reversed(paths):
                results[path].append(await _measure(path, dbs, seconds, copy_rows))
        finally:
            await dbs.drop_all()
        print(f"run {run}: " + ", ".join(f"{k} {v[-1].per_second:,.0f}/s (client {_us(v[-1].client_cpu)}, server "
                                         f"{_us(v[-1].server_cpu)})" for k, v in results.items()), flush=True)
    return results


async def main(runs: int, seconds: float, copy_rows: int, paths: list[str]) -> None:
    print(f"machine: {machine()}")
    results = await measure(runs, seconds, copy_rows, paths)
    m = {k: median([r.per_second for r in v]) for k, v in results.items()}
    print(f"\n{WRITERS} concurrent writers, one event per transaction, {seconds:.0f} s per run after a warm-up write "
          f"each; COPY of {copy_rows:,} rows; median of {runs} runs; CPU per event: the writing process's own "
          f"(client) and the database's backends' (server)\n")
    print("| path | events/s (median) | runs | client CPU per event | server CPU per event |")
    print("|---|---|---|---|---|")
    for k, v in results.items():
        server = [r.server_cpu for r in v if r.server_cpu is not None]
        print(f"| {k} | {m[k]:,.0f} | {' / '.join(f'{r.per_second:,.0f}' for r in v)} | "
              f"{_us(median([r.client_cpu for r in v]))} | {_us(median(server) if server else None)} |")
    ratios = [_ratio(m, "shiji store", "emmett"), _ratio(m, "shiji store", "eventsourcing"),
              _ratio(m, "shiji service", "eventsourcing"), _ratio(m, "shiji service", "emmett"),
              _ratio(m, "shiji store", "COPY")]
    print("\nratios: " + "; ".join(r for r in ratios if r))
    for a, b in (("shiji store", "emmett"), ("shiji service", "eventsourcing")):
        if a in results and b in results:
            per_run = [x.per_second / y.per_second for x, y in zip(results[a], results[b], strict=True)]
            print(f"{a} / {b}, run by run: {', '.join(f'{r:.2f}' for r in per_run)}; median {median(per_run):.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--copy-rows", type=int, default=200_000)
    parser.add_argument("--paths", default=",".join(PATHS), help=f"comma-separated, of: {', '.join(PATHS)}")
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop",
                        help="the event loop of the Shiji paths (the services serve on uvloop)")
    args = parser.parse_args()
    chosen = [p.strip() for p in args.paths.split(",")]
    if unknown := set(chosen) - set(PATHS):
        parser.error(f"unknown paths: {', '.join(sorted(unknown))}")
    if args.loop == "uvloop":  # the loop the dossier serves on (uvicorn picks uvloop when installed)
        uvloop.run(main(args.runs, args.seconds, args.copy_rows, chosen))
    else:
        asyncio.run(main(args.runs, args.seconds, args.copy_rows, chosen))
