"""Pipeline throughput: events already in the store -> published by the relay -> applied by scoring.

Production wiring (``shiji serve dossier`` and ``shiji serve scoring`` as processes, PostgreSQL and
Kafka from ``deploy/local/services.sh``). The store is filled first, straight through the event
store's own append (many streams per transaction, hash chains and all), while the relay is
already running: the figures are how fast the relay publishes and the consumer applies a
backlog, as after a bulk import or a restore. Run with ``bench/run pipeline --events 200000``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import time
import uuid
from decimal import Decimal

import httpx
from sqlalchemy import func, select

from services.dossier import store
from services.dossier.store import Actor
from services.scoring.tables import entries as scoring_entries
from shared.db import make_engine
from shared.events import Basis, CadreRegistered, EntryRecorded
from tests.support.connections import KafkaServer, PgServer
from tests.support.production import production_system

PG = PgServer.from_env()  # the servers of SHIJI_TEST_PG and its client dir (tests/support/connections.py)
KAFKA = KafkaServer.from_env()
ACTOR = Actor("bench", "clerk")


def cadre_events(rng: random.Random, cadre_id: str, count: int) -> list:
    today = dt.date.today()
    out: list = [CadreRegistered(cadre_id=cadre_id, name=f"干部{cadre_id[:6]}", unit_id="u-bench")]
    for _ in range(count - 1):
        points = rng.choice([1, 2, 3, 1, 2, -1, -2])
        out.append(EntryRecorded(entry_id=str(uuid.uuid4()), kind="positive" if points > 0 else "negative",
                                 category="honour" if points > 0 else "work_style", title="bench",
                                 points=Decimal(points), effective_date=today - dt.timedelta(days=rng.randint(0, 1400)),
                                 basis=Basis(reason="bench", document="bench")))
    return out


async def fill(url: str, events: int, per_cadre: int, per_transaction: int) -> tuple[int, float]:
    """Append ``events`` (streams of ``per_cadre``); the number of entries and the seconds it took."""
    rng = random.Random(11)
    engine = make_engine(url)
    written = entry_count = 0
    started = time.perf_counter()
    try:
        while written < events:
            async with engine.begin() as conn:
                in_tx = 0
                while in_tx < per_transaction and written < events:
                    batch = cadre_events(rng, str(uuid.uuid4()), min(per_cadre, events - written))
                    await store.append(conn, batch[0].cadre_id, 0, batch, ACTOR, dt.datetime.now(dt.UTC))
                    in_tx += len(batch)
                    written += len(batch)
                    entry_count += len(batch) - 1
    finally:
        await engine.dispose()
    return entry_count, time.perf_counter() - started


async def wait_applied(url: str, entry_count: int, timeout_s: float) -> float:
    engine = make_engine(url)
    try:
        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline:
            async with engine.connect() as conn:
                if await conn.scalar(select(func.count()).select_from(scoring_entries)) >= entry_count:
                    return time.perf_counter()
            await asyncio.sleep(0.2)
        raise TimeoutError("scoring did not catch up")
    finally:
        await engine.dispose()


async def measure(events: int, per_cadre: int, per_transaction: int) -> dict[str, float]:
    async with production_system(PG, KAFKA) as system:
        t0 = time.perf_counter()
        entry_count, fill_s = await fill(system.env["SHIJI_DOSSIER_DATABASE_URL"], events, per_cadre, per_transaction)
        done = await wait_applied(system.env["SHIJI_SCORING_DATABASE_URL"], entry_count, timeout_s=3600)
        async with httpx.AsyncClient(verify=system.tls) as client:
            metrics = (await client.get(f"{system.scoring_url}/metrics")).text
        rss = {line.split()[0]: line.split()[1] for line in metrics.splitlines()
               if line.startswith("process_resident_memory_bytes")}
    total_s = done - t0
    return {"events": events, "append_events_per_s": events / fill_s, "fill_s": fill_s,
            "stored_published_scored_s": total_s, "pipeline_events_per_s": events / total_s,
            "scoring_rss_mib": float(next(iter(rss.values()), 0)) / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--per-cadre", type=int, default=100)
    parser.add_argument("--per-transaction", type=int, default=5000)
    args = parser.parse_args()
    result = asyncio.run(measure(args.events, args.per_cadre, args.per_transaction))
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    for k, v in result.items():
        print(f"{k}: {v:.3f}" if isinstance(v, float) else f"{k}: {v}")


if __name__ == "__main__":
    main()
