"""SIGTERM to ``shiji serve scoring`` while it consumes: it stops on a committed batch, and a restart
neither loses nor doubles anything (real process, real broker, real PostgreSQL)."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
from sqlalchemy import func, select

from services.scoring.tables import consumer_positions, dead_letters, entries
from shared.bus import OutgoingMessage
from shared.db import make_engine
from shared.events import EntryRecorded, to_data
from shared.kafka_bus import KafkaPublisher
from shared.kafka_connection import KafkaConnection
from tests.conftest import PgDatabases
from tests.support.chained import ChainedStream
from tests.support.connections import KAFKA_ADMIN, KafkaServer
from tests.support.keys import gateway_keys
from tests.support.production import free_port, inherited_env, wait_ready

MESSAGES = 2000
BATCH = 10  # small batches, so SIGTERM lands between many of them


def message(n: int, streams: dict[str, ChainedStream]) -> OutgoingMessage:
    event = EntryRecorded(entry_id=str(uuid.uuid4()), kind="positive", category="c", title=f"t{n}", points=1,
                          effective_date=dt.date(2026, 1, 1), basis={"reason": "r", "document": "d"})
    cadre_id = f"cadre-{n % 97}"
    stream = streams.setdefault(cadre_id, ChainedStream(cadre_id))
    envelope = stream.envelope(event.event_type, to_data(event), schema_version=event.schema_version,
                               effective_date=event.effective_date)
    return OutgoingMessage(cadre_id, envelope.to_bytes())


async def applied_so_far(url: str) -> float:
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{url}/metrics", timeout=5)).text
    return float(next(line.split()[-1] for line in text.splitlines()
                      if line.startswith("shiji_scoring_events_applied_total")))


async def test_sigterm_while_consuming_leaves_a_committed_position_and_nothing_lost_or_doubled(
        pg: PgDatabases, topic: str, kafka_bootstrap: KafkaConnection, kafka_server: KafkaServer,
        tmp_path: Path) -> None:
    publisher = KafkaPublisher(kafka_bootstrap)
    streams: dict[str, ChainedStream] = {}
    try:
        await publisher.publish(topic, [message(n, streams) for n in range(MESSAGES)])
    finally:
        await publisher.close()
    database = await pg.create("scoring")
    port = free_port()
    env = {**inherited_env(), "SHIJI_SCORING_DATABASE_URL": database, **kafka_server.service_env(KAFKA_ADMIN),
           "SHIJI_KAFKA_TOPIC": topic, "SHIJI_SCORING_CONSUMER_GROUP": f"g-{uuid.uuid4().hex[:8]}",
           "SHIJI_SCORING_MAX_BATCH": str(BATCH), "SHIJI_SCORING_PORT": str(port),
           "SHIJI_SCORING_GATEWAY_KEYS_FILE": str(gateway_keys(tmp_path))}
    url = f"http://127.0.0.1:{port}"
    engine = make_engine(database, pool_size=1)

    async def stored() -> tuple[int, int]:
        async with engine.connect() as conn:
            rows = await conn.scalar(select(func.count()).select_from(entries))
            positions = await conn.scalar(select(func.coalesce(func.sum(consumer_positions.c.next_offset), 0)))
        return rows, positions

    def start(log: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "services.cli", "serve", "scoring"], env=env,
                                stdout=open(tmp_path / log, "wb"), stderr=subprocess.STDOUT)

    try:
        first = start("first.log")
        await wait_ready(f"{url}/readyz", [first])
        while await applied_so_far(url) == 0:  # noqa: ASYNC110 (polling another process)
            await asyncio.sleep(0.05)
        first.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal it caught: ending "by SIGTERM" is its success.
        assert await asyncio.to_thread(first.wait, 30) in (0, -signal.SIGTERM)
        rows, positions = await stored()
        log = (tmp_path / "first.log").read_text()
        assert "consumer stopped" in log and "cancelling" not in log, log[-2000:]
        # Stopped part-way, and exactly at a committed batch: every message below the stored
        # positions is applied, none above (offsets count from 0, so the sum of next offsets is their number).
        assert 0 < rows < MESSAGES, f"SIGTERM did not land during consumption ({rows} of {MESSAGES} applied)"
        assert rows == positions

        env["SHIJI_SCORING_MAX_BATCH"] = "500"  # the rest quickly
        second = start("second.log")
        await wait_ready(f"{url}/readyz", [second])
        deadline = asyncio.get_running_loop().time() + 90
        while (await stored())[1] < MESSAGES:
            assert asyncio.get_running_loop().time() < deadline, f"resumed consumption stalled at {await stored()}"
            await asyncio.sleep(0.2)
        assert await applied_so_far(url) == MESSAGES - rows  # the restart applied only what was left
        second.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(second.wait, 30) in (0, -signal.SIGTERM)
        assert await stored() == (MESSAGES, MESSAGES)
        async with engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(dead_letters)) == 0
    finally:
        for proc in (p for p in (locals().get("first"), locals().get("second")) if p is not None):
            if proc.poll() is None:
                proc.kill()
        await engine.dispose()
