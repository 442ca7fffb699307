"""The province model's check (docs/province.md): the production wiring with two scoring processes and two
gateway processes, measured together.

``production_system(..., scoring_instances=2)`` starts dossier, scoring, scoring-2 (one consumer group: the
topic's partitions split between them) and gateway; a second gateway process (``gateway-2``, its own port)
is started beside it, asking ``scoring-2`` for its reads so both scoring processes answer. Then, for
``--seconds``:

- ``--writers`` clients post entries, half at each gateway (each with its Idempotency-Key);
- ``--readers`` clients read cadres' scores, half at each gateway;
- a probe writes one entry at a time (alternating gateways) and polls the score until it shows it: the
  end-to-end lag under that load, p50/p99;
- every 0.5 s the group's consumer lag is read from both scoring processes' ``/metrics``
  (``shiji_scoring_consumer_lag_messages``, summed): its peak.

Measured: entries/s and score reads/s taken, the probe's lag, the peak consumer lag and the time to drain it
after the writers stop, and the CPU each process spent (``/proc/<pid>/stat``), with the PostgreSQL backends of
the dossier's and scoring's databases (``bench/backend_cpu.py``): share of a core, and CPU per entry of what
the load added to each process's idle use (measured first, ``--idle-seconds`` with no load: the relay's and
the consumers' polls, which a light load would otherwise spread over its few entries).
Run: ``bench/run province_check`` (or ``.venv/bin/python -m bench.province_check`` with the servers up).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import statistics
import time
import uuid

import httpx

from bench.backend_cpu import BackendCpu, process_cpu_seconds
from bench.e2e_latency import percentile
from bench.machine import machine
from bench.security_cost import entry
from tests.conftest import PgDatabases
from tests.support.connections import KafkaServer, PgServer
from tests.support.load import register_cadres
from tests.support.production import ProductionSystem, production_system

PG = PgServer.from_env()
KAFKA = KafkaServer.from_env()
_LAG = re.compile(r"^shiji_scoring_consumer_lag_messages\{[^}]*\} ([0-9.e+]+)$", re.M)
_ASSIGNED = re.compile(r"^shiji_scoring_partition_assigned\{[^}]*\} ([0-9.e+]+)$", re.M)


async def consumer_lag(client: httpx.AsyncClient, system: ProductionSystem) -> float:
    """The group's lag: the sum over both scoring processes of their held partitions' lag."""
    total = 0.0
    for url in system.scoring_urls:
        with contextlib.suppress(httpx.HTTPError):
            total += sum(float(v) for v in _LAG.findall((await client.get(f"{url}/metrics", timeout=5)).text))
    return total


async def assigned(client: httpx.AsyncClient, system: ProductionSystem, partitions: int) -> None:
    """Back once the group has settled: every partition held, each scoring process holding some (before that,
    a rebalance would pause consuming in the middle of the measurement)."""
    while True:
        held = []
        for url in system.scoring_urls:
            with contextlib.suppress(httpx.HTTPError):
                held.append(sum(float(v) for v in _ASSIGNED.findall((await client.get(f"{url}/metrics", timeout=5)).text)))
        if len(held) == len(system.scoring_urls) and sum(held) == partitions and all(held):
            return
        await asyncio.sleep(0.5)


async def drained(client: httpx.AsyncClient, system: ProductionSystem) -> None:
    """Back once both scoring processes have applied everything on the topic."""
    while True:
        if await consumer_lag(client, system) == 0:
            return
        await asyncio.sleep(0.1)


async def cpu_over(pids: dict[str, int], databases: dict[str, str], seconds: float) -> dict[str, float]:
    """Each process's CPU seconds per second over ``seconds`` (the databases' backends' too)."""
    pollers = {name: BackendCpu(PG.dsn(), db).start() for name, db in databases.items()}
    before = {name: process_cpu_seconds(pid) or 0.0 for name, pid in pids.items()}
    await asyncio.sleep(seconds)
    used = {name: (process_cpu_seconds(pid) or 0.0) - before[name] for name, pid in pids.items()}
    for name, poller in pollers.items():
        used[name] = await asyncio.to_thread(poller.stop) or 0.0
    return {name: value / seconds for name, value in used.items()}


class Load:
    """The writers, readers and the lag probe, against both gateways, until ``deadline``."""

    def __init__(self, gateways: list[httpx.AsyncClient], ids: list[str], deadline: float) -> None:
        self.gateways, self.ids, self.deadline = gateways, ids, deadline
        self.written = self.read = 0
        self.lags: list[float] = []

    async def writer(self, n: int) -> None:
        client, i = self.gateways[n % 2], 0
        while time.perf_counter() < self.deadline:
            cadre = self.ids[(n + i * 7) % len(self.ids)]
            r = await client.post(f"/api/v1/cadres/{cadre}/entries", json=entry(i),
                                  headers={"Idempotency-Key": str(uuid.uuid4())})
            r.raise_for_status()
            self.written += 1
            i += 1

    async def reader(self, n: int) -> None:
        client, i = self.gateways[n % 2], 0
        while time.perf_counter() < self.deadline:
            r = await client.get(f"/api/v1/cadres/{self.ids[(n * 13 + i) % len(self.ids)]}/score")
            r.raise_for_status()
            self.read += 1
            i += 1

    async def probe(self, cadre: str) -> None:
        """One entry at a time on a cadre no writer touches, followed until its score shows it."""
        total, i = 0, 0
        while time.perf_counter() < self.deadline:
            client = self.gateways[i % 2]
            r = await client.post(f"/api/v1/cadres/{cadre}/entries", json=entry(i),
                                  headers={"Idempotency-Key": str(uuid.uuid4())})
            accepted = time.perf_counter()
            r.raise_for_status()
            total += 1
            while True:
                if (await client.get(f"/api/v1/cadres/{cadre}/score")).json()["total"] == total:
                    break
                await asyncio.sleep(0.005)
            self.lags.append((time.perf_counter() - accepted) * 1000)
            i += 1


async def measure(args: argparse.Namespace) -> dict:
    async with production_system(PG, KAFKA, partitions=args.partitions, scoring_instances=2) as system:
        await system.start("gateway-2", extra_env={"SHIJI_GATEWAY_SCORING_URL": system.urls["scoring-2"]})
        headers = {"Authorization": f"Bearer {system.token(unit='province')}"}
        limits = httpx.Limits(max_connections=args.writers + args.readers + 8)
        gateways = [httpx.AsyncClient(base_url=system.urls[name], headers=headers, timeout=60, limits=limits)
                    for name in ("gateway", "gateway-2")]
        try:
            ids = await register_cadres(gateways[0], args.cadres + 1, "province")
            probe_cadre, ids = ids[0], ids[1:]
            # The group settled and everything registered scored before the clock starts.
            async with httpx.AsyncClient(verify=system.tls) as plain:
                await assigned(plain, system, args.partitions)
                await drained(plain, system)
                databases = {"postgres (dossier)": PgDatabases.name_of(system.admin_urls["dossier"]),
                             "postgres (scoring)": PgDatabases.name_of(system.admin_urls["scoring"])}
                pids = {name: proc.pid for name, proc in system.processes.items()}
                # What the processes spend with no load (the relay's and consumers' polls, health checks), so
                # that what the load adds can be told apart from it.
                idle = await cpu_over(pids, databases, args.idle_seconds)
                backends = {name: BackendCpu(PG.dsn(), db).start() for name, db in databases.items()}
                cpu_before = {name: process_cpu_seconds(pid) or 0.0 for name, pid in pids.items()}
                started = time.perf_counter()
                load = Load(gateways, ids, started + args.seconds)
                peak = [0.0]

                async def watch() -> None:
                    while time.perf_counter() < load.deadline:
                        peak[0] = max(peak[0], await consumer_lag(plain, system))
                        await asyncio.sleep(0.5)

                async def clients() -> float:
                    await asyncio.gather(*(load.writer(n) for n in range(args.writers)),
                                         *(load.reader(n) for n in range(args.readers)))
                    return time.perf_counter() - started

                elapsed, *_ = await asyncio.gather(clients(), load.probe(probe_cadre), watch())
                await drained(plain, system)
                drain = max(0.0, time.perf_counter() - started - elapsed)
                cpu = {name: (process_cpu_seconds(pid) or 0.0) - cpu_before[name] for name, pid in pids.items()}
                wall = time.perf_counter() - started
                for name, poller in backends.items():
                    cpu[name] = await asyncio.to_thread(poller.stop) or 0.0
        finally:
            for client in gateways:
                await client.aclose()
        return {"seconds": elapsed, "wall": wall, "written": load.written, "read": load.read, "lags": load.lags,
                "peak_lag": peak[0], "drained": drain, "cpu": cpu,
                "idle": idle}


def report(args: argparse.Namespace, m: dict) -> str:
    lines: list[str] = []
    out = lines.append
    entries = m["written"] + len(m["lags"])
    wall = m["wall"]  # the processes' CPU was read once the probe was done and the lag had drained
    out(f"machine: {machine()}")
    out(f"\n{args.writers} writers and {args.readers} score readers, half at each gateway, {args.seconds:.0f} s; "
        f"{args.cadres} cadres; topic of {args.partitions} partitions; two scoring processes, two gateways\n")
    out("| figure | measured |\n|---|---|")
    out(f"| entries accepted (both gateways) | **{entries / m['seconds']:,.1f}/s** ({entries:,}) |")
    out(f"| score reads answered (both gateways) | **{m['read'] / m['seconds']:,.1f}/s** ({m['read']:,}) |")
    lags = m["lags"] or [float("nan")]
    out(f"| end-to-end lag under that load (probe, {len(m['lags'])} entries) | p50 {statistics.median(lags):,.0f} ms, "
        f"p99 {percentile(lags, 99):,.0f} ms |")
    out(f"| consumer lag, peak (both scoring processes) | {m['peak_lag']:,.0f} messages; drained "
        f"{m['drained']:.1f} s after the writers stopped |")
    out(f"| wall time of the measurement (CPU shares below are of it) | {wall:.1f} s |")
    out(f"\nCPU of each process under the load, and what the load added to its idle use (measured for "
        f"{args.idle_seconds:.0f} s before, with no load), per entry accepted:\n")
    out("| process | CPU seconds | share of one core | idle share | added by the load, per entry |")
    out("|---|---|---|---|---|")
    added = {name: max(0.0, seconds - m["idle"].get(name, 0.0) * wall) for name, seconds in m["cpu"].items()}
    for name, seconds in sorted(m["cpu"].items(), key=lambda kv: -kv[1]):
        out(f"| {name} | {seconds:.1f} | {100 * seconds / wall:.0f} % | {100 * m['idle'].get(name, 0.0):.0f} % | "
            f"{1000 * added[name] / max(entries, 1):.2f} ms |")
    total, idle = sum(m["cpu"].values()), sum(m["idle"].values())
    out(f"| **all of them** | {total:.1f} | {100 * total / wall:.0f} % | {100 * idle:.0f} % | "
        f"**{1000 * sum(added.values()) / max(entries, 1):.2f} ms** |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--cadres", type=int, default=200)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--idle-seconds", type=float, default=10)
    args = parser.parse_args()
    print(report(args, asyncio.run(measure(args))))


if __name__ == "__main__":
    main()
