"""Scale-out on the real broker: three ``shiji serve scoring`` in one consumer group share a
six-partition topic, and what they apply together is exactly what was written through the gateway."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

import httpx

from services.dossier.catalogue import DEFAULT_CATEGORIES
from shared.settings import today
from tests.conftest import KAFKA, PG, require_server
from tests.e2e.test_operations import eventually, metric
from tests.support.production import production_system

PARTITIONS = 6
CADRES = 30
ENTRIES_EACH = 10


async def held_partitions(client: httpx.AsyncClient, scoring_urls: list[str]) -> list[set[int]]:
    held = []
    for url in scoring_urls:
        text = (await client.get(f"{url}/metrics")).text
        held.append({int(line.split('"')[1]) for line in text.splitlines()
                     if line.startswith("shiji_scoring_partition_assigned{") and line.endswith(" 1.0")})
    return held


async def test_three_scoring_processes_share_the_partitions_and_the_totals_are_exact(tmp_path: Path) -> None:
    require_server("PostgreSQL", PG.hostport)
    require_server("Kafka", KAFKA.bootstrap)
    async with production_system(PG, KAFKA, partitions=PARTITIONS, scoring_instances=3,
                                 log_dir=tmp_path) as system, httpx.AsyncClient(timeout=30, verify=system.tls) as plain:
        async def shared_out() -> bool:
            held = await held_partitions(plain, system.scoring_urls)
            return all(held) and sum(map(len, held)) == PARTITIONS and set().union(*held) == set(range(PARTITIONS))

        await eventually(shared_out, "the group sharing the partitions", timeout_s=60)
        assignment = await held_partitions(plain, system.scoring_urls)

        headers = {"Authorization": f"Bearer {system.token(unit='scale')}"}
        async with httpx.AsyncClient(base_url=system.gateway_url, headers=headers, timeout=30) as gateway:
            r = await gateway.post("/api/v1/units", json={"unit_id": "scale", "name": "局", "level": "city",
                                                          "unit_class": "city"}, headers={"Idempotency-Key": "u"})
            assert r.status_code == 201, r.text
            expected: dict[str, Decimal] = {}
            for n in range(CADRES):
                r = await gateway.post("/api/v1/cadres", json={"name": f"干部{n}", "unit_id": "scale"},
                                       headers={"Idempotency-Key": str(uuid.uuid4())})
                expected[r.json()["id"]] = Decimal(0)
            writers = asyncio.Semaphore(6)  # six cadres written at a time, each one's entries in order

            async def record_all(cadre_id: str) -> None:
                async with writers:
                    for m in range(ENTRIES_EACH):
                        points = Decimal(m % 4 + 1) / 2
                        body = {"kind": "positive", "category": "honour", "title": f"entry {m}",
                                "points": float(points), "effective_date": (today() - dt.timedelta(days=m)).isoformat(),
                                "basis": {"reason": "scale-out", "document": "test"}}
                        r = await gateway.post(f"/api/v1/cadres/{cadre_id}/entries", json=body,
                                               headers={"Idempotency-Key": str(uuid.uuid4())})
                        assert r.status_code == 201, r.text
                        expected[cadre_id] += points

            await asyncio.gather(*(record_all(c) for c in list(expected)))
            # the cadres' events, the unit's, and the catalogue the dossier seeds on a fresh system
            events = CADRES * (1 + ENTRIES_EACH) + 1 + len(DEFAULT_CATEGORIES)

            async def all_applied() -> bool:
                scrapes = [(await plain.get(f"{url}/metrics")).text for url in system.scoring_urls]
                return sum(metric(t, "shiji_scoring_events_applied_total") for t in scrapes) >= events

            await eventually(all_applied, "three instances applying every event", timeout_s=60)
            for cadre_id, total in expected.items():
                body = (await gateway.get(f"/api/v1/cadres/{cadre_id}/score")).json()
                assert Decimal(str(body["total"])) == total and body["entries"] == ENTRIES_EACH, (cadre_id, body)

        scrapes = [(await plain.get(f"{url}/metrics")).text for url in system.scoring_urls]
        applied = [metric(t, "shiji_scoring_events_applied_total") for t in scrapes]
        assert await held_partitions(plain, system.scoring_urls) == assignment  # no rebalance while writing
        assert all(n > 0 for n in applied), f"an instance applied nothing: {applied}"
        assert sum(applied) == events  # each event applied once, by the one instance holding its partition
        assert sum(metric(t, "shiji_scoring_consumer_lag_messages") for t in scrapes) == 0
