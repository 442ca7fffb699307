"""Scoring answers at the scoring service (production wiring: ``shiji serve scoring`` on PostgreSQL).

- one cadre's score as of a date, the cadre having 500 entries: sequential requests, p50/p99;
- a whole jurisdiction's screening: 5,000 cadres under one county, median of several runs.

The projection is filled directly (rows as the consumer would write them) so the figures measure
the queries, not the load. The score requests go over one keep-alive connection through a bare
HTTP/1.1 client (``bench.http.RawClient``). Run with ``bench/run scoring_queries``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric import ed25519

from bench.http import RawClient
from services.scoring.facts import refresh_current_entries
from services.scoring.tables import cadres, entries, posts, results, units
from shared.db import make_engine
from shared.service_identity import CallSigner, public_pem
from tests.conftest import PgDatabases
from tests.support.connections import PgServer
from tests.support.production import free_port, inherited_env, wait_ready

PG = PgServer.from_env()  # the servers of SHIJI_TEST_PG and its client dir (tests/support/connections.py)
NOW = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
TODAY = dt.date.today()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def fill(url: str, jurisdiction: int, busy_entries: int) -> str:
    """A county with ``jurisdiction`` cadres (20 entries, 3 years of results each) and one cadre with
    ``busy_entries`` entries; returns the busy cadre's id."""
    rng = random.Random(7)
    engine = make_engine(url)
    ev = lambda: str(uuid.uuid4())  # noqa: E731
    unit_rows = [{"unit_id": "county", "event_id": ev(), "parent_id": None, "level": "county", "unit_class": "district",
                  "recorded_at": NOW}]
    unit_rows += [{"unit_id": f"u{n}", "event_id": ev(), "parent_id": "county", "level": "unit",
                   "unit_class": f"class{n % 5}", "recorded_at": NOW} for n in range(200)]
    cadre_rows, post_rows, entry_rows, result_rows = [], [], [], []
    ids = [str(uuid.uuid4()) for _ in range(jurisdiction)]
    for n, cadre_id in enumerate(ids):
        unit = f"u{n % 200}"
        cadre_rows.append({"cadre_id": cadre_id, "event_id": ev(), "name": f"干部{n}", "unit_id": unit, "recorded_at": NOW})
        post_rows.append({"post_id": ev(), "event_id": ev(), "cadre_id": cadre_id, "unit_id": unit,
                          "leadership": rng.choice(["chief", "deputy", "member", "member"]),
                          "start_date": TODAY - dt.timedelta(days=rng.randint(100, 3000)), "recorded_at": NOW})
        count = busy_entries if n == 0 else 20
        for _ in range(count):
            points = rng.choice([1, 2, 3, -1, -2])
            entry_rows.append({"entry_id": ev(), "event_id": ev(), "cadre_id": cadre_id,
                               "kind": "positive" if points > 0 else "negative",
                               "category": "honour" if points > 0 else "work_style", "points_cents": points * 100,
                               "effective_date": TODAY - dt.timedelta(days=rng.randint(0, 1800)), "recorded_at": NOW,
                               "impact_start": None, "impact_end": None})
        for year in range(TODAY.year - 3, TODAY.year):
            for kind, value in (("annual_grade", "competent"), ("appraisal_level", "good"),
                                ("mass_satisfaction", "90")):
                result_rows.append({"event_id": ev(), "kind": kind, "subject_id": cadre_id, "year": year,
                                    "value": value, "recorded_at": NOW})
    async with engine.begin() as conn:
        for table, rows in ((units, unit_rows), (cadres, cadre_rows), (posts, post_rows), (entries, entry_rows),
                            (results, result_rows)):
            for i in range(0, len(rows), 5000):
                await conn.execute(table.insert(), rows[i:i + 5000])
        await refresh_current_entries(conn, [r["entry_id"] for r in entry_rows])  # as the consumer does
    # What autovacuum does to a live database within a minute of such a load (without statistics the planner
    # takes the freshly filled tables for empty and sorts where it would hash), and the checkpoint that
    # would otherwise write the load out while the requests are timed.
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.exec_driver_sql("VACUUM ANALYZE")
        await conn.exec_driver_sql("CHECKPOINT")
    await engine.dispose()
    return ids[0]


async def measure(jurisdiction: int, busy_entries: int, requests: int, screenings: int) -> dict[str, float]:
    dbs = PgDatabases(PG)
    try:
        url = await dbs.create("scoring")
        busy = await fill(url, jurisdiction, busy_entries)
        port = free_port()
        # The gateway's proof, as the gateway would send it (shared/service_identity.py): a key pair made here.
        signer = CallSigner(ed25519.Ed25519PrivateKey.generate(), lifetime=dt.timedelta(hours=2))
        keys = Path(tempfile.mkdtemp(prefix="shiji-bench-")) / "gateway.pub.pem"
        keys.write_bytes(public_pem(signer.public_key))
        proof = signer.header("scoring")
        env = {**inherited_env(), "SHIJI_SCORING_DATABASE_URL": url, "SHIJI_SCORING_CONSUME": "false",
               "SHIJI_SCORING_PUBLISH": "false", "SHIJI_SCORING_DAILY_JOB": "false", "SHIJI_SCORING_PORT": str(port),
               "SHIJI_SCORING_GATEWAY_KEYS_FILE": str(keys)}
        proc = subprocess.Popen([sys.executable, "-m", "services.cli", "--log-level", "warning", "serve", "scoring"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            await wait_ready(f"{base}/readyz", [proc])
            raw = await RawClient.connect(port, proof)
            try:
                for n in range(200):  # warm up: the statements of each window's shape compiled and prepared
                    as_of = (TODAY - dt.timedelta(days=7 * n)).isoformat()
                    assert (await raw.get(f"/v1/cadres/{busy}/score?as_of={as_of}"))[0] == 200
                latencies = []
                for n in range(requests):
                    as_of = (TODAY - dt.timedelta(days=n % 1500)).isoformat()
                    t0 = time.perf_counter()
                    status, body = await raw.get(f"/v1/cadres/{busy}/score?as_of={as_of}")
                    latencies.append((time.perf_counter() - t0) * 1000)
                    assert status == 200, body
                assert json.loads(body)["cadre_id"] == busy
            finally:
                await raw.close()
            async with httpx.AsyncClient(base_url=base, timeout=60, headers=proof) as client:
                runs = []
                for _ in range(screenings):
                    t0 = time.perf_counter()
                    r = await client.get("/v1/screenings", params={"unit": "county"})
                    runs.append(time.perf_counter() - t0)
                    r.raise_for_status()
                assert r.json()["cadres"] == jurisdiction, r.json()["cadres"]
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    finally:
        await dbs.drop_all()
    return {"score_p50_ms": statistics.median(latencies), "score_p99_ms": percentile(latencies, 99),
            "score_requests": requests, "busy_cadre_entries": busy_entries,
            "screening_cadres": jurisdiction, "screening_median_s": statistics.median(runs),
            "screening_max_s": max(runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jurisdiction", type=int, default=5000)
    parser.add_argument("--busy-entries", type=int, default=500)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--screenings", type=int, default=5)
    args = parser.parse_args()
    result = asyncio.run(measure(args.jurisdiction, args.busy_entries, args.requests, args.screenings))
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    for k, v in result.items():
        print(f"{k}: {v:.3f}" if isinstance(v, float) else f"{k}: {v}")


if __name__ == "__main__":
    main()
