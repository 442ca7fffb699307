"""Soak: the production wiring at a steady rate for a long time, with zero errors and flat memory.

Three ``shiji serve`` processes on the PostgreSQL and Kafka of SHIJI_TEST_PG / SHIJI_TEST_KAFKA (as
``bench/run`` sets them). Entries, and now and then a revocation, are written through the gateway at
``--rate`` per second and scores read at ``--reads`` per second, for ``--minutes``. Every attempt that
is not answered 201 (writes) or 200 (reads) is an error. The resident memory (RSS) of each service
process is sampled every ``--sample-s``; memory is flat when it grew by less than 10 % (or 8 MiB)
between the end of the first fifth of the run (warm-up: caches, pools, JIT-less Python settling) and
the end. At the end the invariant of the fault tests is checked: nothing lost, nothing doubled.

Not part of the test suite. Run ``bench/run soak --minutes 10`` (or, servers already up,
``.venv/bin/python -m bench.soak --minutes 10``); the figures go to bench/RESULTS.md and RELIABILITY.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time

import httpx

from shared.db import make_engine
from shared.settings import today
from tests.support.checker import check_acknowledged, check_scores, read_all_events, wait_converged
from tests.support.connections import KafkaServer, PgServer
from tests.support.load import WriteLoad, register_cadres
from tests.support.production import production_system

PG = PgServer.from_env()  # the servers of SHIJI_TEST_PG and its client dir (tests/support/connections.py)
KAFKA = KafkaServer.from_env()
SERVICES = ("gateway", "dossier", "scoring")


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Reader:
    """Score reads at a steady rate; every answer but 200 is an error."""

    def __init__(self, client: httpx.AsyncClient, cadre_ids: list[str], rate: float) -> None:
        self.client, self.cadre_ids, self.rate = client, cadre_ids, rate
        self.reads = 0
        self.errors: dict[str, int] = {}

    async def run(self, stop: asyncio.Event) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                r = await self.client.get(f"/api/v1/cadres/{self.cadre_ids[n % len(self.cadre_ids)]}/score")
                outcome = "ok" if r.status_code == 200 else str(r.status_code)
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
            if outcome == "ok":
                self.reads += 1
            else:
                self.errors[outcome] = self.errors.get(outcome, 0) + 1
            try:
                await asyncio.wait_for(stop.wait(), 1 / self.rate)
            except TimeoutError:
                pass


async def soak(minutes: float, rate: float, reads: float, cadres: int, sample_s: float) -> bool:
    async with production_system(PG, KAFKA) as system:
        pids = {name: system.processes[name].pid for name in SERVICES}
        headers = {"Authorization": f"Bearer {system.token(unit='soak')}"}
        async with httpx.AsyncClient(base_url=system.gateway_url, headers=headers, timeout=30,
                                     limits=httpx.Limits(max_connections=32)) as client:
            cadre_ids = await register_cadres(client, cadres, "soak")
            reader, stop = Reader(client, cadre_ids, reads), asyncio.Event()
            samples: list[tuple[float, int, dict[str, float]]] = []
            started = time.monotonic()
            async with WriteLoad(client, cadre_ids, rate=rate, concurrency=16) as load:
                reading = asyncio.create_task(reader.run(stop))
                print(f"{'min':>5} {'writes':>7} {'reads':>7} {'errors':>6}  " + "  ".join(f"{s + ' MiB':>12}" for s in SERVICES))
                while (elapsed := time.monotonic() - started) < minutes * 60:
                    rss = {name: rss_mib(pid) for name, pid in pids.items()}
                    samples.append((elapsed, len(load.acked), rss))
                    errors = sum(load.retried.values()) + len(load.refused) + sum(reader.errors.values())
                    print(f"{elapsed / 60:5.1f} {len(load.acked):7d} {reader.reads:7d} {errors:6d}  "
                          + "  ".join(f"{rss[s]:12.1f}" for s in SERVICES), flush=True)
                    await asyncio.sleep(sample_s)
                stop.set()
                await reading
            duration = time.monotonic() - started
            final_rss = {name: rss_mib(pid) for name, pid in pids.items()}

        dossier_db = make_engine(system.env["SHIJI_DOSSIER_DATABASE_URL"], pool_size=1)
        scoring_db = make_engine(system.env["SHIJI_SCORING_DATABASE_URL"], pool_size=1)
        try:
            projection = await wait_converged(dossier_db, scoring_db)
            check_acknowledged(load.acked, await read_all_events(dossier_db))
            async with httpx.AsyncClient(base_url=system.gateway_url, headers=headers, timeout=30) as client:
                await check_scores(client, projection, cadre_ids, today())
        finally:
            await dossier_db.dispose()
            await scoring_db.dispose()

    warm = next((rss for elapsed, _, rss in samples if elapsed >= duration / 5), samples[-1][2])
    print(f"\nmachine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"duration {duration / 60:.1f} min; writes acknowledged {len(load.acked)} ({len(load.acked) / duration:.1f}/s), "
          f"score reads {reader.reads} ({reader.reads / duration:.1f}/s)")
    print(f"errors: write attempts {dict(load.retried)} refused {len(load.refused)} unfinished {len(load.unfinished)}; "
          f"reads {reader.errors}")
    flat = True
    for name in SERVICES:
        start_rss, warm_rss, end_rss = samples[0][2][name], warm[name], final_rss[name]
        grew = end_rss - warm_rss
        ok = grew < max(8.0, 0.10 * warm_rss)
        flat &= ok
        print(f"{name}: RSS {start_rss:.1f} MiB at start, {warm_rss:.1f} after warm-up, {end_rss:.1f} at the end "
              f"({grew:+.1f} MiB since warm-up: {'flat' if ok else 'GROWING'})")
    no_errors = not (load.retried or load.refused or load.unfinished or reader.errors)
    print("invariant: every acknowledged write in the event store once; projection = recomputation; scores agree")
    print(f"verdict: {'PASS' if no_errors and flat else 'FAIL'}")
    return no_errors and flat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=20, help="writes per second")
    parser.add_argument("--reads", type=float, default=10, help="score reads per second")
    parser.add_argument("--cadres", type=int, default=200)
    parser.add_argument("--sample-s", type=float, default=30)
    args = parser.parse_args()
    sys.exit(0 if asyncio.run(soak(args.minutes, args.rate, args.reads, args.cadres, args.sample_s)) else 1)


if __name__ == "__main__":
    main()
