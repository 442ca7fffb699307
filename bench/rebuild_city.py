"""The rebuild of scoring from a whole city's event store (13.3 M events), measured rather than scaled.

Importing 13.3 M generated events takes over an hour at the import's measured rate, so this bench
imports a generated slice once (``shiji demo generate`` + ``shiji import``, ``--slice-events``) and then
has PostgreSQL copy it until the store holds ``--events``: each copy's cadres, entries, posts and
achievements get ids of their own (the slice's id + ``.k``), every event a new event id; the units
and the catalogue are the slice's. The copies are not hash-chained (nothing here verifies chains).
Then ``shiji rebuild scoring --into <fresh database> --from-store <this store>`` runs ``--runs``
times, each into a fresh database; the facts' row counts are checked against the store.

Run: ``bench/run rebuild_city`` (default: the city, 13.3 M events; ~30 GB of disk, most of an hour),
or ``.venv/bin/python -m bench.rebuild_city --events 2000000`` with the servers up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import tempfile
import time
from pathlib import Path

import asyncpg

from bench import loads
from bench.machine import machine, median
from tests.conftest import PgDatabases
from tests.support.connections import KafkaServer, PgServer

PG = PgServer.from_env()  # the servers of SHIJI_TEST_PG and its client dir (tests/support/connections.py)

# One copy of the slice's cadre streams: new stream, event and object ids, the rest as it was.
_COPY = """
INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version, data, effective_date,
                    recorded_at, actor, actor_role, context, hash)
SELECT stream_id || '.' || $1, stream_version, gen_random_uuid()::text, event_type, schema_version,
       CASE WHEN data ? 'entry_id' THEN jsonb_set(data, '{entry_id}', to_jsonb(data->>'entry_id' || '.' || $1))
            WHEN data ? 'post_id' THEN jsonb_set(data, '{post_id}', to_jsonb(data->>'post_id' || '.' || $1))
            WHEN data ? 'achievement_id'
                 THEN jsonb_set(data, '{achievement_id}', to_jsonb(data->>'achievement_id' || '.' || $1))
            ELSE data END,
       effective_date, recorded_at, actor, actor_role, context, NULL
FROM events WHERE position <= $2 AND stream_id NOT LIKE 'unit-%' AND stream_id <> 'catalogue'
"""


def shiji(*args: str, env: dict[str, str]) -> str:
    return loads.shiji(*args, env={**os.environ, **env})


async def connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))


async def entries_in(store: str) -> int:
    """The entries recorded or verified in the store: as many as a rebuild must make."""
    conn = await connect(store)
    try:
        return await conn.fetchval(
            "SELECT count(*) FROM events WHERE event_type IN ('entry_recorded', 'achievement_verified')")
    finally:
        await conn.close()


async def fill_store(dbs: PgDatabases, events: int, slice_events: int, cadres: int) -> str:
    url = await dbs.create("dossier")
    env = {"SHIJI_DOSSIER_DATABASE_URL": url}
    with tempfile.TemporaryDirectory() as tmp:
        city = Path(tmp) / "slice.ndjson"
        shiji("demo", "generate", "--cadres", str(cadres), "--events", str(slice_events), "--seed", "1", "-o", str(city),
              env=env)
        started = time.perf_counter()
        shiji("import", str(city), env=env)
        print(f"slice imported in {time.perf_counter() - started:.0f} s", flush=True)
    conn = await connect(url)
    try:
        last, held = await conn.fetchrow("SELECT max(position), count(*) FROM events")
        per_copy = await conn.fetchval("SELECT count(*) FROM events WHERE stream_id NOT LIKE 'unit-%' "
                                       "AND stream_id <> 'catalogue'")
        started, k = time.perf_counter(), 0
        while held < events:
            k += 1
            await conn.execute(_COPY, str(k), last)
            held += per_copy
            if k % 10 == 0:
                print(f"  {held:,} events ({time.perf_counter() - started:.0f} s)", flush=True)
        await conn.execute("VACUUM ANALYZE events")
        await conn.execute("CHECKPOINT")
        held = await conn.fetchval("SELECT count(*) FROM events")
        size = await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('events'))")
        print(f"store: {held:,} events ({size}) in {time.perf_counter() - started:.0f} s of copying", flush=True)
    finally:
        await conn.close()
    return url


async def rebuild_once(dbs: PgDatabases, store: str, store_entries: int, env: dict[str, str]) -> dict[str, float]:
    target = await dbs.create("scoring")
    started = time.perf_counter()
    out = shiji("rebuild", "scoring", "--into", target, "--from-store", store, "--no-checksum", env=env)
    command_s = time.perf_counter() - started
    built = re.search(r"rebuilt (\d+) events .*copied in ([\d.]+) s, facts made in ([\d.]+) s, current entries "
                      r"derived in ([\d.]+) s, indexes built in ([\d.]+) s\).* in ([\d.]+) s$", out, re.MULTILINE)
    conn = await connect(target)
    try:
        entries = await conn.fetchval("SELECT count(*) FROM entries")
        current = await conn.fetchval("SELECT count(*) FROM current_entries")
    finally:
        await conn.close()
    await dbs.drop(target)  # ~10 GB each at the city's size
    assert entries == store_entries, (entries, store_entries)
    return {"events": int(built.group(1)), "copy_s": float(built.group(2)), "fill_s": float(built.group(3)),
            "current_s": float(built.group(4)), "index_s": float(built.group(5)), "seconds": float(built.group(6)),
            "command_s": command_s, "entries": entries, "current": current}


async def main(args: argparse.Namespace) -> None:
    print(f"machine: {machine()}", flush=True)
    dbs = PgDatabases(PG)
    try:
        store = args.store or await fill_store(dbs, args.events, args.slice_events, args.cadres)
        store_entries = await entries_in(store)
        # The rebuild asks the broker where the topic ends; an empty topic of its own is enough here.
        env = {"SHIJI_SCORING_DATABASE_URL": await dbs.create("scoring"),
               **KafkaServer.from_env().service_env("admin"),
               "SHIJI_KAFKA_TOPIC": f"bench.rebuild-city.{os.getpid()}"}
        runs = []
        for run in range(1, args.runs + 1):
            runs.append(await rebuild_once(dbs, store, store_entries, env))
            print(f"run {run}: {runs[-1]}", flush=True)
    finally:
        await dbs.drop_all()
    m = {k: median([r[k] for r in runs]) for k in runs[0]}
    print(f"\nrebuild of scoring from {m['events']:,.0f} events in the store (median of {args.runs}): "
          f"{m['seconds']:.0f} s (copy {m['copy_s']:.0f} s, facts {m['fill_s']:.0f} s, current entries "
          f"{m['current_s']:.0f} s, indexes {m['index_s']:.0f} s) = {m['events'] / m['seconds']:,.0f} "
          f"events/s; the whole command {m['command_s']:.0f} s; {m['entries']:,.0f} entries, "
          f"{m['current']:,.0f} current; runs " + " / ".join(f"{r['seconds']:.0f}" for r in runs) + " s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=13_300_000)
    parser.add_argument("--slice-events", type=int, default=100_000)
    parser.add_argument("--cadres", type=int, default=1_000, help="cadres of the slice (the city has ~70x the slice's)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--store", default=None, metavar="DOSSIER_DATABASE_URL",
                        help="a store filled by an earlier run (kept, not dropped): skip making one")
    asyncio.run(main(parser.parse_args()))
