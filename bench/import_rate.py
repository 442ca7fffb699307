"""Bulk import into the event store: events per second, generated city to stored events.

Generates a city with ``shiji demo generate`` (to a temporary file), then imports it with
``shiji import`` (a separate process, as an operator runs it) into a fresh, migrated dossier database,
and imports it a second time (every row already there: the price of validating and recognising a row).
Figures are the median of ``--runs`` runs; each run on a fresh database. Publishing and scoring are
not part of this figure: the relay and the consumer drain the store afterwards.
Run: ``bench/run import_rate --cadres 2600 --events 500000`` (PostgreSQL up).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import machine, median
from tests.conftest import PgDatabases
from tests.support.connections import PgServer

PG = PgServer.from_env()  # the servers of SHIJI_TEST_PG and its client dir (tests/support/connections.py)


def shiji(*args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "services.cli", "--log-level", "warning", *args],
                          env={**os.environ, **(env or {})}, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise RuntimeError(done.stderr[-2000:])
    return done.stdout


async def one_run(path: Path, batch_rows: int) -> tuple[dict, dict]:
    dbs = PgDatabases(PG)
    try:
        env = {"SHIJI_DOSSIER_DATABASE_URL": await dbs.create("dossier")}
        first = json.loads(await asyncio.to_thread(shiji, "import", str(path), "--batch-rows", str(batch_rows), env=env))
        again = json.loads(await asyncio.to_thread(shiji, "import", str(path), "--batch-rows", str(batch_rows), env=env))
        return first, again
    finally:
        await dbs.drop_all()


async def main(cadres: int, events: int, seed: int, runs: int, batch_rows: int) -> None:
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "city.ndjson"
        started = time.perf_counter()
        shiji("demo", "generate", "--cadres", str(cadres), "--events", str(events), "--seed", str(seed), "-o", str(path))
        generated = time.perf_counter() - started
        rows = sum(1 for _ in path.open(encoding="utf-8"))
        print(f"generated {rows:,} rows ({path.stat().st_size / 2**20:.0f} MiB) in {generated:.1f} s "
              f"({rows / generated:,.0f} rows/s)", flush=True)
        firsts, agains = [], []
        for run in range(1, runs + 1):
            first, again = await one_run(path, batch_rows)
            assert first["refused"] == 0 and again["events"] == 0, (first, again)
            firsts.append(first)
            agains.append(again)
            print(f"run {run}: {first['events']:,} events in {first['seconds']:.1f} s = {first['events_per_second']:,}/s; "
                  f"again: {again['rows']:,} rows in {again['seconds']:.1f} s, nothing new", flush=True)
    rate = median([f["events"] / f["seconds"] for f in firsts])
    replay = median([a["rows"] / a["seconds"] for a in agains])
    print(f"\n{cadres:,} cadres, {rows:,} rows, batches of {batch_rows} rows; median of {runs} runs\n")
    print("| figure | median |")
    print("|---|---|")
    print(f"| import: events stored per second | {rate:,.0f} |")
    print(f"| import again (every row already there): rows per second | {replay:,.0f} |")
    print(f"| generate: rows per second | {rows / generated:,.0f} |")
    print(f"| 13.3 M events at this rate | {13_300_000 / rate / 60:,.0f} min |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cadres", type=int, default=520)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-rows", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(main(args.cadres, args.events, args.seed, args.runs, args.batch_rows))
