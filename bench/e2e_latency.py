"""End-to-end lag: an entry accepted by the gateway -> visible in the cadre's score.

Production wiring (three ``shiji serve`` processes on the PostgreSQL and Kafka that
``deploy/local/services.sh`` starts). Entries are written one at a time through the gateway;
after each 201 the score is polled through the gateway until its total shows the entry.
Run with ``bench/run e2e_latency`` (or directly, with the servers up).
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

from shared.settings import today
from tests.support.connections import KafkaServer, PgServer
from tests.support.load import register_cadres
from tests.support.production import production_system

PG = PgServer.from_env()  # the servers of SHIJI_TEST_PG and its client dir (tests/support/connections.py)
KAFKA = KafkaServer.from_env()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def measure(entries: int, cadres: int) -> dict[str, float]:
    async with production_system(PG, KAFKA) as system:
        headers = {"Authorization": f"Bearer {system.token(unit='bench')}"}
        async with httpx.AsyncClient(base_url=system.gateway_url, headers=headers, timeout=30) as client:
            ids = await register_cadres(client, cadres, "bench")
            expected = dict.fromkeys(ids, 0)
            lags, writes = [], []
            day = (today() - dt.timedelta(days=1)).isoformat()
            for i in range(entries):
                cadre_id = ids[i % cadres]
                body = {"kind": "positive", "category": "honour", "title": f"entry {i}", "points": 1,
                        "effective_date": day, "basis": {"reason": "bench", "document": "bench"}}
                t0 = time.perf_counter()
                r = await client.post(f"/api/v1/cadres/{cadre_id}/entries", json=body,
                                      headers={"Idempotency-Key": str(uuid.uuid4())})
                accepted = time.perf_counter()
                r.raise_for_status()
                expected[cadre_id] += 1
                while True:
                    s = await client.get(f"/api/v1/cadres/{cadre_id}/score")
                    if s.json()["total"] == expected[cadre_id]:
                        break
                visible = time.perf_counter()
                writes.append((accepted - t0) * 1000)
                lags.append((visible - accepted) * 1000)
    return {
        "entries": entries,
        "lag_p50_ms": statistics.median(lags), "lag_p99_ms": percentile(lags, 99), "lag_max_ms": max(lags),
        "write_p50_ms": statistics.median(writes), "write_p99_ms": percentile(writes, 99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--cadres", type=int, default=50)
    args = parser.parse_args()
    result = asyncio.run(measure(args.entries, args.cadres))
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    for k, v in result.items():
        print(f"{k}: {v:.1f}" if isinstance(v, float) else f"{k}: {v}")


if __name__ == "__main__":
    main()
