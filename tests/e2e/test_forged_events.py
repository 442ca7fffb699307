"""Forged events on the real dossier topic (production wiring, real Kafka and PostgreSQL): one with a broken
chain link and one with a skipped version are dead-lettered, published to the dead-letter topic, counted in
``shiji_scoring_events_unlinked_total``, and change no total; the cadre's genuine next event still counts."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid

import httpx
import jsonschema

from shared.contract import SCHEMA_DIR, TOPIC_SCHEMAS
from shared.dead_letters import DEAD_LETTERS_TOPIC
from shared.envelope import Envelope
from shared.settings import today
from tests.conftest import KAFKA
from tests.support.chained import ChainedStream
from tests.support.connections import KAFKA_DOSSIER
from tests.support.production import ProductionSystem
from tests.support.topic import produce, read_topic

BASIS = {"reason": "市委通报表扬", "document": "组字〔2026〕8号"}


def entry(points: float) -> dict:
    return {"kind": "positive", "category": "honour", "title": "先进个人", "points": points,
            "effective_date": (today() - dt.timedelta(days=10)).isoformat(), "basis": BASIS}


async def until(check, timeout_s: float = 30):
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        found = await check()
        if found or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.3)


async def unlinked_count(system: ProductionSystem) -> float:
    async with httpx.AsyncClient(verify=system.tls) as client:
        text = (await client.get(f"{system.scoring_url}/metrics", timeout=5)).text
    return float(next(line.split()[-1] for line in text.splitlines()
                      if line.startswith("shiji_scoring_events_unlinked_total")))


async def test_forged_events_are_dead_lettered_announced_counted_and_change_no_total(
        production: ProductionSystem) -> None:
    city = f"fg-{uuid.uuid4().hex[:6]}"
    auth = {"Authorization": f"Bearer {production.token(unit=city)}"}
    topic = production.env["SHIJI_KAFKA_TOPIC"]
    async with httpx.AsyncClient(base_url=f"{production.gateway_url}/api/v1", headers=auth, timeout=30) as client:
        async def post(path: str, body: dict) -> dict:
            r = await client.post(path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
            assert r.status_code == 201, r.text
            return r.json()

        async def total_is(expected: float) -> bool:
            r = await client.get(f"/cadres/{cadre}/score")
            return r.status_code == 200 and r.json()["total"] == expected

        await post("/units", {"unit_id": city, "name": "伪造市", "level": "city", "unit_class": "city"})
        cadre = (await post("/cadres", {"name": "赵六", "unit_id": city}))["id"]
        await post(f"/cadres/{cadre}/entries", entry(3))
        assert await until(lambda: total_is(3)), "the genuine entry was not scored"
        before = await unlinked_count(production)

        # The stream as published, read the way any other system reads the topic.
        published = [Envelope.from_bytes(r.value) for r in await asyncio.to_thread(read_topic, KAFKA.connection(),
                                                                                    topic) if r.key == cadre.encode()]
        head = published[-1]
        stream = ChainedStream(cadre, version=head.streamversion, hash=head.chainhash or "", position=head.position)
        body = {"entry_id": f"forged-{uuid.uuid4().hex[:8]}", **entry(50)}
        broken = stream.envelope("entry_recorded", body, schema_version=2, previous="sm3:" + "0" * 64, advance=False)
        skipped = stream.envelope("entry_recorded", {**body, "entry_id": f"forged-{uuid.uuid4().hex[:8]}"},
                                  schema_version=2, version=head.streamversion + 2, advance=False)
        # Forged with the dossier's own credentials: the only principal the broker lets write the topic.
        await asyncio.to_thread(produce, KAFKA.connection(KAFKA_DOSSIER), topic,
                                [(cadre.encode(), broken.to_bytes()), (cadre.encode(), skipped.to_bytes())])

        async def announced() -> list[dict]:
            records = await asyncio.to_thread(read_topic, KAFKA.connection(),
                                              production.env["SHIJI_KAFKA_DEAD_LETTERS_TOPIC"])
            found = [json.loads(r.value) for r in records if r.key == cadre.encode()]
            return found if len(found) >= 2 else []
        letters = await until(announced)
        assert sorted((d["data"]["event_id"], d["data"]["reason"]) for d in letters) == sorted(
            [(broken.id, "unlinked"), (skipped.id, "unlinked")])
        assert all(d["type"] == "cn.shiji.scoring.dead_letter_recorded.v1" and d["subject"] == cadre for d in letters)
        contract = json.loads((SCHEMA_DIR / TOPIC_SCHEMAS[DEAD_LETTERS_TOPIC]).read_text(encoding="utf-8"))
        for letter in letters:  # the published contract of the topic (shared/schemas)
            jsonschema.Draft202012Validator(contract).validate(letter)
        assert await unlinked_count(production) == before + 2
        assert await total_is(3), "a forged event changed the total"

        # The stream did not move for them: the cadre's genuine next event is taken and counts.
        await post(f"/cadres/{cadre}/entries", entry(2))
        assert await until(lambda: total_is(5)), "the genuine event after the forged ones was not scored"
        assert await unlinked_count(production) == before + 2
