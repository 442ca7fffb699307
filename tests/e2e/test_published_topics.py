"""The scoring topics read the way another government system reads them: with a third-party
client (Debian's kcat), from the real broker, in the production wiring."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tests.conftest import KAFKA, PG, require_server
from tests.e2e.test_gateway import BASIS, today
from tests.support.production import ProductionSystem, production_system
from tests.support.topic import wait_consumed


@pytest.fixture(scope="module")
async def production(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ProductionSystem]:
    require_server("PostgreSQL", PG.hostport)
    require_server("Kafka", KAFKA.bootstrap)
    assert shutil.which("kcat"), "kcat is missing: scripts/test installs Debian's kcat"
    async with production_system(PG, KAFKA, log_dir=tmp_path_factory.mktemp("logs")) as system:
        yield system


def kcat(topic: str) -> list[dict[str, Any]]:
    """Every message of ``topic`` as kcat prints it (-J: key, payload, partition, offset)."""
    out = subprocess.run(["kcat", *KAFKA.kcat_options(), "-t", topic, "-C", "-e", "-J", "-q"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


async def messages_for(topic: str, cadre_id: str, done: Callable[[list[dict[str, Any]]], bool],
                       timeout_s: float = 30) -> list[dict[str, Any]]:
    """The cadre's messages on ``topic`` (payloads parsed), once ``done`` says they are all there."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        found = [json.loads(m["payload"]) for m in await asyncio.to_thread(kcat, topic) if m["key"] == cadre_id]
        if done(found) or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.5)


async def created(client: httpx.AsyncClient, path: str, body: dict[str, Any], key: str) -> dict[str, Any]:
    r = await client.post(f"/api/v1{path}", json=body, headers={"Idempotency-Key": key})
    assert r.status_code == 201, r.text
    return r.json()


async def cadre_of_a_new_city(client: httpx.AsyncClient, city: str, name: str) -> str:
    await created(client, "/units", {"unit_id": city, "name": "市", "level": "city", "unit_class": "city"}, f"{city}-u")
    return (await created(client, "/cadres", {"name": name, "unit_id": city}, f"{city}-c"))["id"]


async def test_totals_and_warnings_are_published_as_cloudevents(production: ProductionSystem) -> None:
    auth = {"Authorization": f"Bearer {production.token(unit='kc-city')}"}
    async with httpx.AsyncClient(base_url=production.gateway_url, headers=auth, timeout=30) as client:
        cadre = await cadre_of_a_new_city(client, "kc-city", "张伟")
        await created(client, f"/cadres/{cadre}/entries", {
            "kind": "negative", "category": "work_style", "title": "通报批评", "points": -1.5,
            "effective_date": (today() - dt.timedelta(days=100)).isoformat(), "basis": BASIS}, "e1")

    topic = production.env["SHIJI_KAFKA_TOPIC"]
    # published whenever the totals change: the newest is the entry's (a registration consumed in an earlier
    # batch than the entry published a zero first)
    totals = await messages_for(production.env["SHIJI_KAFKA_TOTALS_TOPIC"], cadre,
                                lambda found: bool(found) and found[-1]["data"]["total"] != 0)
    assert [t["data"]["total"] for t in totals] in ([-1.5], [0, -1.5])
    event = totals[-1]
    assert event["specversion"] == "1.0" and event["type"] == "cn.shiji.scoring.totals_changed.v1"
    assert event["subject"] == cadre and event["data"]["total"] == -1.5 and event["data"]["negative"] == -1.5
    assert event["data"]["rule_set"] == "default@1"
    [event] = await messages_for(production.env["SHIJI_KAFKA_WARNINGS_TOPIC"], cadre, bool)
    assert event["type"] == "cn.shiji.scoring.warning_changed.v1"
    assert event["data"]["key"] == "rolling_total_negative" and event["data"]["status"] == "raised"
    assert event["data"]["level"] == "red"
    # the dossier's own events are there for other systems too, keyed by cadre, in stream order
    dossier = await messages_for(topic, cadre, lambda found: len(found) >= 2)
    assert [e["streamversion"] for e in dossier] == [1, 2]
    assert dossier[1]["type"] == "cn.shiji.dossier.entry_recorded.v2" and dossier[1]["chainhash"].startswith("sm3:")


async def test_a_rebuild_into_a_fresh_database_equals_the_live_one(production: ProductionSystem) -> None:
    """Blue/green: the live scoring goes on serving while ``shiji rebuild scoring --into`` builds a fresh
    database from offset zero, or ``--from-store`` from the event store; with no writes in between, the
    checksums are equal."""
    from tests.conftest import PgDatabases

    auth = {"Authorization": f"Bearer {production.token(unit='rb-city')}"}
    async with httpx.AsyncClient(base_url=production.gateway_url, headers=auth, timeout=30) as client:
        cadre = await cadre_of_a_new_city(client, "rb-city", "李娜")
        await created(client, f"/cadres/{cadre}/entries", {
            "kind": "positive", "category": "honour", "title": "表彰", "points": 2,
            "effective_date": today().isoformat(), "basis": BASIS}, "rb-e")
        deadline = asyncio.get_running_loop().time() + 30
        while (await client.get(f"/api/v1/cadres/{cadre}/score")).json()["total"] != 2:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.1)
    # the live consumer has applied everything published before the comparison: its positions are at the end
    await wait_consumed(production.env["SHIJI_SCORING_DATABASE_URL"], KAFKA.connection(), production.env["SHIJI_KAFKA_TOPIC"])
    dbs = PgDatabases(PG)
    try:
        target = await dbs.create()
        out = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "services.cli", "rebuild", "scoring",
                                                       "--into", target],
                                      env=production.env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        assert "(equal)" in out.stdout and "SHIJI_SCORING_CONSUMER_GROUP=" in out.stdout, out.stdout
        live = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "services.cli", "checksum", "scoring"],
                                       env=production.env, capture_output=True, text=True, timeout=60)
        rebuilt = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "services.cli", "checksum", "scoring",
                                                           "--database-url", target],
                                          env=production.env, capture_output=True, text=True, timeout=60)
        assert live.stdout == rebuilt.stdout and len(live.stdout.strip()) == 64
        again = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "services.cli", "rebuild", "scoring",
                                                         "--into", target],
                                        env=production.env, capture_output=True, text=True, timeout=120)
        assert again.returncode != 0 and "already holds consumer positions" in again.stderr
        # The same facts from the event store in one set-based pass, without the topic.
        from_store = await dbs.create()
        built = await asyncio.to_thread(subprocess.run, [
            sys.executable, "-m", "services.cli", "rebuild", "scoring", "--into", from_store,
            "--from-store", production.store_url],
            env=production.env, capture_output=True, text=True, timeout=120)
        assert built.returncode == 0, built.stderr
        assert "from the event store" in built.stdout and "(equal)" in built.stdout, built.stdout
    finally:
        await dbs.drop_all()
