"""What a request through the gateway costs, process by process (issue 22): CPU ms per write and per read.

On the production wiring (``tests/support/production.py``: ``shiji serve dossier|scoring|gateway`` as
processes on the servers of ``SHIJI_TEST_PG``/``SHIJI_TEST_KAFKA``), each run:

- **writes**: ``--writes`` entries through the gateway by ``--clients`` concurrent clients (closed loop),
  then the wait until the dossier has published them and scoring applied them; entries/s, p50/p99;
- **bare**: the same entries, same clients, to a bare FastAPI + asyncpg append endpoint
  (``bench/bare_append.py``) on the same PostgreSQL: the reference the gateway's rate is a ratio of;
- **reads**: one cadre's score through the gateway at ``--read-rate`` requests/s for ``--seconds``
  (open loop, latency counted from when each request was due, as ``bench/loads.py``).

Per request, the CPU time (``/proc/<pid>/stat`` utime + stime) each process spent from before the load to
after its drain, less what the process spends idle (its background loops, measured just before), divided
by the requests answered: the gateway, the dossier, scoring, and the PostgreSQL backends serving the run's
databases (``pg_stat_activity``). Kafka's broker is shared by the machine's other sessions and is left
out. The phases alternate within each run; the figures printed are medians over ``--runs``.

    .venv/bin/python -m bench.gateway_cost --runs 3 --writes 2000 --seconds 8
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx

from bench.loads import UNLIMITED, closed_loop_writes, metric_sum, open_loop, port_of, wait_until
from bench.machine import machine, median, percentile
from tests.conftest import PgDatabases
from tests.support.connections import KafkaServer, PgServer
from tests.support.load import register_cadres
from tests.support.production import ProductionSystem, free_port, production_system, wait_ready

PG = PgServer.from_env()
KAFKA = KafkaServer.from_env()
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")
IDLE_S = 3.0


def cpu_ms(pid: int) -> float:
    """The process's user + system CPU so far, in ms (0 once it has gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) * TICK_MS


async def backends(databases: list[str]) -> list[int]:
    """The PostgreSQL backends connected to ``databases`` now (the services keep pools: they stay)."""
    conn = await asyncpg.connect(PG.dsn("postgres"))
    try:
        rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = ANY($1::text[])", databases)
    finally:
        await conn.close()
    return [r["pid"] for r in rows]


class Meter:
    """CPU per request of named groups of processes over a load, less their idle CPU."""

    def __init__(self, groups: Callable[[], Awaitable[dict[str, list[int]]]]) -> None:
        self._groups = groups

    async def _sample(self) -> tuple[dict[str, list[int]], dict[int, float], float]:
        groups = await self._groups()
        return groups, {pid: cpu_ms(pid) for pids in groups.values() for pid in pids}, time.perf_counter()

    @staticmethod
    def _spent(groups: dict[str, list[int]], before: dict[int, float], after: dict[int, float]) -> dict[str, float]:
        return {name: sum(after.get(p, 0.0) - before.get(p, cpu_ms(p)) for p in pids) for name, pids in groups.items()}

    async def measure(self, load: Callable[[], Awaitable[int]]) -> dict[str, float]:
        """``load`` runs and drains, and returns how many requests it had answered: CPU ms per request by group."""
        groups, idle0, t0 = await self._sample()
        await asyncio.sleep(IDLE_S)
        _, idle1, t1 = await self._sample()
        idle_rate = {k: v / (t1 - t0) for k, v in self._spent(groups, idle0, idle1).items()}
        answered = await load()
        groups, after, t2 = await self._sample()
        spent = self._spent(groups, idle1, after)
        return {name: max(0.0, spent[name] - idle_rate.get(name, 0.0) * (t2 - t1)) / max(answered, 1)
                for name in spent}


async def score_reads(system: ProductionSystem, token: str, cadre_ids: list[str], rate: float,
                      seconds: float) -> dict[str, Any]:
    """One cadre's score through the gateway at ``rate`` per second, open loop (as ``bench.loads``)."""
    today = dt.date.today()

    def request(i: int) -> tuple[str, str, None, dict[str, str]]:
        as_of = (today - dt.timedelta(days=i % 1500)).isoformat()
        return "GET", f"/api/v1/cadres/{cadre_ids[i % len(cadre_ids)]}/score?as_of={as_of}", None, {}

    latencies, failures, achieved = await open_loop(port_of(system.gateway_url), {"Authorization": f"Bearer {token}"},
                                                    rate, seconds, request)
    return {"achieved_per_s": achieved, "p50_ms": median(latencies), "p99_ms": percentile(latencies, 99),
            "failures": failures, "answered": len(latencies)}


def tls_of(system: ProductionSystem) -> ssl.SSLContext | None:
    """The services' TLS context (the wiring of an older checkout, alternated with this one, may have none)."""
    return getattr(system, "tls", None)


async def drained(system: ProductionSystem) -> bool:
    return ((await metric_sum(system.dossier_url, "shiji_relay_lag_events", tls_of(system))) == 0
            and (await metric_sum(system.scoring_url, "shiji_scoring_consumer_lag_messages", tls_of(system))) in (0, None))


@asynccontextmanager
async def sampled(folder: str | None, phase: str, pids: dict[str, int]):
    """py-spy sampling each of ``pids`` while the block runs, as folded stacks in ``folder``/<phase>-<name>.txt."""
    spies = [] if folder is None else [
        subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "py-spy"), "record", "--nonblocking",
                          "-r", "100", "-f", "raw", "-o", os.path.join(folder, f"{phase}-{name}.txt"), "-p", str(pid)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for name, pid in pids.items()]
    try:
        yield
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)
        for spy in spies:
            spy.wait(timeout=60)


@asynccontextmanager
async def bare_endpoint(dbs: PgDatabases):
    url = await dbs.create()
    port = free_port()
    dsn = PG.dsn(dbs.name_of(url))
    proc = subprocess.Popen([sys.executable, "-m", "bench.bare_append", "--port", str(port), "--dsn", dsn])
    try:
        await wait_ready(f"http://127.0.0.1:{port}/readyz", [proc])
        yield port, proc, dbs.name_of(url)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


async def run_once(system: ProductionSystem, bare: tuple[int, subprocess.Popen, str], token: str,
                   cadre_ids: list[str], args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    databases = [system.env[f"SHIJI_{s}_DATABASE_URL"].rsplit("/", 1)[1].split("?")[0] for s in ("DOSSIER", "SCORING")]

    async def shiji_groups() -> dict[str, list[int]]:
        return {**{n: [p.pid] for n, p in system.processes.items()}, "postgres": await backends(databases)}

    async def bare_groups() -> dict[str, list[int]]:
        return {"bare": [bare[1].pid], "postgres": await backends([bare[2]])}

    headers = {"Authorization": f"Bearer {token}"}
    found: dict[str, dict[str, Any]] = {}

    pids = {n: p.pid for n, p in system.processes.items()}

    async def applied_total() -> float:
        return await metric_sum(system.scoring_url, "shiji_scoring_events_applied_total", tls_of(system)) or 0

    async def gateway_load() -> int:
        applied = await applied_total()
        async with sampled(args.py_spy, "writes", pids):
            found["writes"] = await closed_loop_writes(port_of(system.gateway_url), headers, cadre_ids, args.clients,
                                                       total=args.writes)
            recorded = found["writes"]["answered"] - found["writes"]["failures"]

            async def scored() -> bool:  # every entry applied by scoring: its CPU for them is in the figure
                return await applied_total() >= applied + recorded
            await wait_until(scored, 600)
        return found["writes"]["answered"]

    async def bare_load() -> int:
        found["bare"] = await closed_loop_writes(bare[0], {}, cadre_ids, args.clients, total=args.writes, prefix="")
        return found["bare"]["answered"]

    async def read_load() -> int:
        async with sampled(args.py_spy, "reads", pids):
            found["reads"] = await score_reads(system, token, cadre_ids, args.read_rate, args.seconds)
        return found["reads"]["answered"]

    found_cpu = {"writes": await Meter(shiji_groups).measure(gateway_load),
                 "bare": await Meter(bare_groups).measure(bare_load),
                 "reads": await Meter(shiji_groups).measure(read_load)}
    for phase, cpu in found_cpu.items():
        found[phase]["cpu_ms"] = cpu
        print(phase, {k: round(v, 2) if isinstance(v, float) else v for k, v in found[phase].items()}, flush=True)
    return found


def report(runs: list[dict[str, dict[str, Any]]], args: argparse.Namespace) -> str:
    def med(phase: str, key: str) -> float:
        return median([r[phase][key] for r in runs])

    def cpu(phase: str) -> dict[str, float]:
        return {name: median([r[phase]["cpu_ms"][name] for r in runs]) for name in runs[0][phase]["cpu_ms"]}

    lines = [f"Machine: {machine()}", f"Medians of {len(runs)} runs; {args.writes} writes by {args.clients} clients, "
             f"reads at {args.read_rate:.0f}/s for {args.seconds:.0f} s.", "",
             "| phase | rate | p50 | p99 | CPU ms per request, by process | total |", "|---|---|---|---|---|---|"]
    for phase, label in (("writes", "entries through the gateway"), ("bare", "bare FastAPI + asyncpg append"),
                         ("reads", f"one cadre's score through the gateway, {args.read_rate:.0f}/s asked")):
        rate = med(phase, "per_s" if phase != "reads" else "achieved_per_s")
        per = cpu(phase)
        lines.append(f"| {label} | {rate:,.0f}/s | {med(phase, 'p50_ms'):.1f} ms | {med(phase, 'p99_ms'):.1f} ms | "
                     + ", ".join(f"{k} {v:.2f}" for k, v in per.items()) + f" | {sum(per.values()):.2f} |")
    ratios = [r["writes"]["per_s"] / r["bare"]["per_s"] for r in runs]
    lines += ["", "Gateway entries/s ÷ bare endpoint's, per run: " + ", ".join(f"{x:.2f}" for x in ratios)
              + f"; median {median(ratios):.2f}."]
    return "\n".join(lines)


async def measure(args: argparse.Namespace) -> str:
    return report(await measure_runs(args), args)


async def measure_runs(args: argparse.Namespace) -> list[dict[str, dict[str, Any]]]:
    """Each run's figures (``run_once``), ``args.runs`` runs on one production wiring."""
    dbs = PgDatabases(PG)
    runs = []
    try:
        async with production_system(PG, KAFKA, extra_env=UNLIMITED) as system, bare_endpoint(dbs) as bare:
            token = system.token(unit="bench")
            async with httpx.AsyncClient(base_url=system.gateway_url, timeout=60,
                                         headers={"Authorization": f"Bearer {token}"}) as client:
                cadre_ids = await register_cadres(client, args.cadres, "bench")
            # warm-up: the first requests load code and fill pools
            await closed_loop_writes(port_of(system.gateway_url), {"Authorization": f"Bearer {token}"}, cadre_ids,
                                     args.clients, total=300)
            await closed_loop_writes(bare[0], {}, cadre_ids, args.clients, total=300, prefix="")
            await score_reads(system, token, cadre_ids, 200, 2)  # and the connections to scoring
            await wait_until(lambda: drained(system), 600)
            for _ in range(args.runs):
                runs.append(await run_once(system, bare, token, cadre_ids, args))
                if args.json:  # one line per run, to take medians over runs alternated with another checkout
                    with open(args.json, "a") as out:
                        out.write(json.dumps({"label": args.label, **runs[-1]}) + "\n")
    finally:
        await dbs.drop_all()
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--cadres", type=int, default=100)
    parser.add_argument("--read-rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--json", metavar="FILE", help="append each run's figures to FILE, one JSON line")
    parser.add_argument("--label", default="", help="the label of those lines (e.g. before, after)")
    parser.add_argument("--py-spy", metavar="FOLDER", help="sample each service with py-spy during the loads")
    print(asyncio.run(measure(parser.parse_args())))


if __name__ == "__main__":
    main()
