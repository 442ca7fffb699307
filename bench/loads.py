"""The loads and waits the city benches share: an import followed to published and scored, closed- and
open-loop request loads through the gateway, the end-to-end lag, and a rebuild of scoring into a fresh database.

Used by ``bench/city.py`` (issue 22's run), ``bench/city_slice.py``, ``bench/gateway_cost.py``,
``bench/city_waits.py``, ``bench/documents.py`` and ``bench/city_state.py``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import re
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import httpx

from bench.http import RawClient
from bench.machine import median, percentile
from tests.conftest import PgDatabases
from tests.support.connections import KafkaServer, PgServer
from tests.support.load import entry_body
from tests.support.production import ProductionSystem

PG = PgServer.from_env()  # the servers of SHIJI_TEST_PG and its client dir (tests/support/connections.py)
KAFKA = KafkaServer.from_env()
CITY_EVENTS = 13_300_000
UNLIMITED = {"SHIJI_GATEWAY_RATE_LIMIT_PER_S": "1000000", "SHIJI_GATEWAY_RATE_LIMIT_BURST": "1000000"}


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))


async def metric_sum(url: str, name: str, tls: ssl.SSLContext | None = None) -> float | None:
    """The sum of every sample of ``name`` on ``url``/metrics (None when there is none yet); an https ``url``
    is checked with ``tls``."""
    async with httpx.AsyncClient(timeout=10, verify=tls or True) as client:
        text = (await client.get(f"{url}/metrics")).text
    values = [float(m.group(1)) for m in re.finditer(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE)]
    return sum(values) if values else None


async def wait_until(check: Callable[[], Awaitable[bool]], timeout_s: float) -> float:
    started = time.perf_counter()
    while not await check():
        if time.perf_counter() - started > timeout_s:
            raise TimeoutError(f"not done in {timeout_s:.0f} s")
        await asyncio.sleep(0.25)
    return time.perf_counter() - started


def shiji(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "services.cli", "--log-level", "warning", *args],
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"shiji {' '.join(args)}: {done.stderr[-2000:]}")
    return done.stdout


# ------------------------------------------------------------------------------------------ the import

async def import_city(system: ProductionSystem, cadres: int, events: int, workdir: Path) -> dict[str, float]:
    path = workdir / "city.ndjson"
    t0 = time.perf_counter()
    await asyncio.to_thread(shiji, "demo", "generate", "--cadres", str(cadres), "--events", str(events),
                            "--seed", "1", "-o", str(path), env=system.env)
    generated = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = json.loads(await asyncio.to_thread(shiji, "import", str(path), env=system.env))
    stored_s = time.perf_counter() - t0

    async def published() -> bool:
        return (await metric_sum(system.dossier_url, "shiji_relay_lag_events", system.tls)) == 0

    async def scored() -> bool:  # asked once everything is published: the topic's end is then the store's
        return (await metric_sum(system.scoring_url, "shiji_scoring_consumer_lag_messages", system.tls)) == 0

    published_s = stored_s + await wait_until(published, 3600)
    scored_s = published_s + await wait_until(scored, 3600)
    total = max(published_s, scored_s)
    return {"rows": report["rows"], "events": report["events"], "refused": report["refused"],
            "generate_s": generated, "stored_s": stored_s, "stored_per_s": report["events"] / stored_s,
            "published_s": published_s, "scored_s": scored_s,
            "city_minutes": total * CITY_EVENTS / max(report["events"], 1) / 60}


async def maintain(system: ProductionSystem) -> None:
    """What autovacuum and the checkpointer do within minutes of a bulk load (statistics, the visibility
    map, the load written out), done now: otherwise they run during the first timed figures after the
    import and those measure the maintenance as much as the services."""
    for url in (system.admin_urls["dossier"], system.admin_urls["scoring"]):  # CHECKPOINT is the superuser's
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await conn.execute("VACUUM ANALYZE")
            await conn.execute("CHECKPOINT")
        finally:
            await conn.close()


# ------------------------------------------------------------------------------------ gateway writes

def entry_request(rng: random.Random, cadre_id: str) -> tuple[str, dict, dict[str, str]]:
    key = str(uuid.uuid4())
    return f"/api/v1/cadres/{cadre_id}/entries", entry_body(rng, f"bench {key}"), {"Idempotency-Key": key}


async def closed_loop_writes(port: int, headers: dict[str, str], cadre_ids: list[str], clients: int, *,
                             seconds: float | None = None, total: int | None = None,
                             prefix: str = "/api/v1") -> dict[str, float]:
    """Closed loop: ``clients`` clients each write the next entry as soon as the last is answered, for
    ``seconds`` or until ``total`` are sent; ``prefix`` replaces the gateway's /api/v1 (another endpoint)."""
    latencies: list[float] = []
    failures = 0
    left = total if total is not None else -1
    deadline = time.perf_counter() + seconds if seconds is not None else float("inf")

    async def client(n: int) -> None:
        nonlocal failures, left
        rng = random.Random(n)
        raw = await RawClient.connect(port, headers)
        try:
            while left != 0 and time.perf_counter() < deadline:
                left -= 1
                path, body, extra = entry_request(rng, rng.choice(cadre_ids))
                t0 = time.perf_counter()
                status, _ = await raw.request("POST", prefix + path.removeprefix("/api/v1"), body, extra)
                latencies.append((time.perf_counter() - t0) * 1000)
                failures += status != 201
        finally:
            await raw.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    return {"per_s": (len(latencies) - failures) / elapsed, "p50_ms": median(latencies),
            "p99_ms": percentile(latencies, 99), "failures": failures, "answered": len(latencies)}


async def gateway_writes(system: ProductionSystem, token: str, cadre_ids: list[str], seconds: float,
                         concurrency: int = 32) -> dict[str, float]:
    return await closed_loop_writes(port_of(system.gateway_url), {"Authorization": f"Bearer {token}"}, cadre_ids,
                                    concurrency, seconds=seconds)


# ------------------------------------------------------------------------------------ open-loop load

async def open_loop(port: int, headers: dict[str, str], rate: float, seconds: float,
                    request: Callable[[int], tuple[str, str, dict | None, dict[str, str]]],
                    connections: int = 64, tls: ssl.SSLContext | None = None) -> tuple[list[float], int, float]:
    """Requests due every 1/``rate`` s, sent on whichever of ``connections`` is free; the latency of each
    counts from when it was due. What is not sent within ``seconds`` is not sent (a service slower than
    the rate is not given the time to catch up). Returns the latencies (ms), the failures, and the rate
    achieved."""
    due = [i / rate for i in range(int(rate * seconds))]
    latencies: list[float] = []
    failures = 0
    start = time.perf_counter() + 0.1
    deadline = start + seconds
    next_index = 0

    async def worker() -> None:
        nonlocal next_index, failures
        raw = await RawClient.connect(port, headers, tls)
        try:
            while next_index < len(due) and time.perf_counter() < deadline:
                i = next_index
                next_index += 1
                wait = start + due[i] - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                method, path, body, extra = request(i)
                status, _ = await raw.request(method, path, body, extra)
                latencies.append((time.perf_counter() - start - due[i]) * 1000)
                failures += status >= 300
        finally:
            await raw.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return latencies, failures, len(latencies) / (time.perf_counter() - start)


async def score_under_load(system: ProductionSystem, token: str, cadre_ids: list[str], rate: float,
                           seconds: float, at_gateway: bool) -> dict[str, float]:
    prefix, url = ("/api/v1", system.gateway_url) if at_gateway else ("/v1", system.scoring_url)
    headers = ({"Authorization": f"Bearer {token}"} if at_gateway
               else system.proof("scoring", lifetime=dt.timedelta(seconds=seconds + 600)))
    today = dt.date.today()

    def request(i: int) -> tuple[str, str, None, dict[str, str]]:
        as_of = (today - dt.timedelta(days=i % 1500)).isoformat()
        return "GET", f"{prefix}/cadres/{cadre_ids[i % len(cadre_ids)]}/score?as_of={as_of}", None, {}

    latencies, failures, achieved = await open_loop(port_of(url), headers, rate, seconds, request,
                                                    tls=None if at_gateway else system.tls)
    return {"achieved_per_s": achieved, "p50_ms": median(latencies), "p99_ms": percentile(latencies, 99),
            "failures": failures}


async def settle(system: ProductionSystem) -> None:
    """Let what an open loop left in flight finish (requests queued in the services, events to publish and
    apply), so that the next figure is not measured under the last one's tail."""
    async def drained() -> bool:
        return ((await metric_sum(system.dossier_url, "shiji_relay_lag_events", system.tls)) == 0
                and (await metric_sum(system.scoring_url, "shiji_scoring_consumer_lag_messages", system.tls)) in (0, None))
    await asyncio.sleep(2)
    await wait_until(drained, 600)
    await asyncio.sleep(2)


async def score_one_by_one(system: ProductionSystem, cadre_ids: list[str], requests: int = 1000) -> dict[str, float]:
    """One client asking the scoring service for one score after another (as ``bench.scoring_queries``)."""
    await settle(system)
    today = dt.date.today()
    raw = await RawClient.connect(port_of(system.scoring_url), system.proof("scoring", lifetime=dt.timedelta(hours=1)),
                                  system.tls)
    latencies = []
    try:
        for i in range(requests + 100):
            as_of = (today - dt.timedelta(days=i % 1500)).isoformat()
            t0 = time.perf_counter()
            status, _ = await raw.get(f"/v1/cadres/{cadre_ids[i % len(cadre_ids)]}/score?as_of={as_of}")
            if i >= 100:  # after a warm-up
                latencies.append((time.perf_counter() - t0) * 1000)
            assert status == 200, status
    finally:
        await raw.close()
    return {"p50_ms": median(latencies), "p99_ms": percentile(latencies, 99)}


async def lag_at_rate(system: ProductionSystem, token: str, cadre_ids: list[str], probes: list[str], rate: float,
                      seconds: float) -> dict[str, float]:
    """Entries at ``rate`` per second (open loop) over ``cadre_ids``; meanwhile one probe at a time writes an
    entry of 1 point to a cadre of its own and polls that cadre's score until the total shows it."""
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(3)

    def request(i: int) -> tuple[str, str, dict, dict[str, str]]:
        path, body, extra = entry_request(rng, cadre_ids[i % len(cadre_ids)])
        return "POST", path, body, extra

    background = asyncio.create_task(open_loop(port_of(system.gateway_url), headers, rate, seconds, request))
    lags: list[float] = []
    day = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    raw = await RawClient.connect(port_of(system.gateway_url), headers)
    try:
        totals = {}
        for cadre in probes:
            totals[cadre] = json.loads((await raw.get(f"/api/v1/cadres/{cadre}/score"))[1])["total"]
        n = 0
        while not background.done():
            cadre = probes[n % len(probes)]
            n += 1
            key = str(uuid.uuid4())
            status, _ = await raw.request("POST", f"/api/v1/cadres/{cadre}/entries", {
                "kind": "positive", "category": "honour", "title": f"probe {key}", "points": 1, "effective_date": day,
                "basis": {"reason": "bench", "document": "bench"}}, {"Idempotency-Key": key})
            accepted = time.perf_counter()
            assert status == 201, status
            totals[cadre] += 1
            while json.loads((await raw.get(f"/api/v1/cadres/{cadre}/score"))[1])["total"] != totals[cadre]:  # noqa: ASYNC110 (polling another process)
                await asyncio.sleep(0.002)
            lags.append((time.perf_counter() - accepted) * 1000)
    finally:
        await raw.close()
    latencies, failures, achieved = await background
    return {"achieved_per_s": achieved, "lag_p50_ms": median(lags), "lag_p99_ms": percentile(lags, 99),
            "probes": len(lags), "write_p99_ms": percentile(latencies, 99), "failures": failures}


# ------------------------------------------------------------------------------------------- rebuild

async def rebuild(system: ProductionSystem, from_store: bool) -> dict[str, float]:
    """``shiji rebuild scoring --into`` a fresh database: replaying the topic, or ``from_store`` in one
    set-based pass from the dossier's event store. ``seconds`` is the build (what the command reports),
    ``command_s`` the whole command, which then checksums both databases row by row."""
    dbs = PgDatabases(PG)
    source = ["--from-store", system.env["SHIJI_DOSSIER_DATABASE_URL"]] if from_store else []
    try:
        target = await dbs.create("scoring")
        t0 = time.perf_counter()
        out = await asyncio.to_thread(shiji, "rebuild", "scoring", "--into", target, *source, env=system.env)
        command_s = time.perf_counter() - t0
    finally:
        await dbs.drop_all()
    built = re.search(r"rebuilt (\d+) (?:messages|events).* in ([\d.]+) s$", out, re.MULTILINE)
    events, seconds = int(built.group(1)), float(built.group(2))
    return {"messages": events, "seconds": seconds, "per_s": events / seconds, "command_s": command_s,
            "city_s": seconds * CITY_EVENTS / max(events, 1), "equal": "(equal)" in out}
