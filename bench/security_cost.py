"""What issue 19's transport security costs: the same run with security on and off, side by side.

Starts two server pairs of its own with the deploy scripts (``tests/support/servers.py``): one secured
(PostgreSQL over TLS with verify-full and SCRAM, a role per service; Kafka SASL_SSL/SCRAM with ACLs)
and one plaintext and unauthenticated (``SHIJI_PG_SECURE=0``, ``SHIJI_KAFKA_SECURE=0``); "on" also has the
gateway call dossier and scoring over HTTPS (a private CA, tests/support/production.py), "off" over plain
HTTP (the gateway's signed service tokens are in both: they cannot be turned off). Each round runs
the production wiring (three ``shiji serve`` processes) on each pair in turn, the order alternating,
and measures

- entries/s through the gateway: ``--writers`` clients posting entries back to back for ``--seconds``;
- end-to-end lag: ``--entries`` entries written one at a time, each followed until the cadre's score
  shows it (as ``bench/e2e_latency.py``), p50 and p99.

The medians over the rounds are printed with the ratio on/off. Run: ``bench/run security_cost``
(the servers bench/run starts are not used), or ``.venv/bin/python -m bench.security_cost``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import statistics
import time
import uuid

import httpx

from bench.e2e_latency import percentile
from shared.settings import today
from tests.support.load import register_cadres
from tests.support.production import ProductionSystem, production_system
from tests.support.servers import DedicatedServers

MODES = ("off", "on")


def entry(i: int) -> dict:
    return {"kind": "positive", "category": "honour", "title": f"entry {i}", "points": 1,
            "effective_date": (today() - dt.timedelta(days=1)).isoformat(),
            "basis": {"reason": "bench", "document": "bench"}}


async def write_rate(client: httpx.AsyncClient, ids: list[str], writers: int, seconds: float) -> float:
    """Entries accepted (201) per second by ``writers`` clients writing back to back."""
    accepted = 0
    deadline = time.perf_counter() + seconds

    async def writer(n: int) -> None:
        nonlocal accepted
        i = 0
        while time.perf_counter() < deadline:
            r = await client.post(f"/api/v1/cadres/{ids[(n + i * writers) % len(ids)]}/entries", json=entry(i),
                                  headers={"Idempotency-Key": str(uuid.uuid4())})
            r.raise_for_status()
            accepted += 1
            i += 1

    started = time.perf_counter()
    await asyncio.gather(*(writer(n) for n in range(writers)))
    return accepted / (time.perf_counter() - started)


async def lags(client: httpx.AsyncClient, ids: list[str], entries: int) -> list[float]:
    """Milliseconds from each entry's 201 to its score showing it, one entry at a time."""
    totals = {cadre: (await client.get(f"/api/v1/cadres/{cadre}/score")).json()["total"] for cadre in ids}
    found = []
    for i in range(entries):
        cadre = ids[i % len(ids)]
        r = await client.post(f"/api/v1/cadres/{cadre}/entries", json=entry(i),
                              headers={"Idempotency-Key": str(uuid.uuid4())})
        accepted = time.perf_counter()
        r.raise_for_status()
        totals[cadre] += 1
        while (await client.get(f"/api/v1/cadres/{cadre}/score")).json()["total"] != totals[cadre]:
            pass
        found.append((time.perf_counter() - accepted) * 1000)
    return found


async def one_run(servers: DedicatedServers, mode: str, args: argparse.Namespace) -> dict[str, float]:
    async with production_system(servers.pg, servers.kafka, service_tls=mode == "on") as system:
        system: ProductionSystem
        headers = {"Authorization": f"Bearer {system.token(unit='bench')}"}
        async with httpx.AsyncClient(base_url=system.gateway_url, headers=headers, timeout=60,
                                     limits=httpx.Limits(max_connections=args.writers + 4)) as client:
            ids = await register_cadres(client, args.cadres, "bench")
            rate = await write_rate(client, ids, args.writers, args.seconds)
            lag = await lags(client, ids, args.entries)
    return {"entries_per_s": rate, "lag_p50_ms": statistics.median(lag), "lag_p99_ms": percentile(lag, 99)}


async def measure(args: argparse.Namespace) -> dict[str, list[dict[str, float]]]:
    servers = {mode: DedicatedServers.create(secure=mode == "on") for mode in MODES}
    results: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    try:
        for pair in servers.values():
            await asyncio.to_thread(pair.start)
        for n in range(args.rounds):
            for mode in MODES if n % 2 == 0 else reversed(MODES):
                results[mode].append(await one_run(servers[mode], mode, args))
                print(f"round {n + 1} security {mode}: "
                      + ", ".join(f"{k} {v:.1f}" for k, v in results[mode][-1].items()), flush=True)
    finally:
        for pair in servers.values():
            await asyncio.to_thread(pair.stop)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--entries", type=int, default=200)
    parser.add_argument("--cadres", type=int, default=50)
    args = parser.parse_args()
    results = asyncio.run(measure(args))
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{args.rounds} rounds, order alternating; {args.writers} writers x {args.seconds:.0f} s; "
          f"{args.entries} entries one at a time for the lag")
    for key in results["on"][0]:
        off = statistics.median(r[key] for r in results["off"])
        on = statistics.median(r[key] for r in results["on"])
        print(f"{key}: off {off:.1f}, on {on:.1f}, on/off {on / off:.3f}")


if __name__ == "__main__":
    main()
