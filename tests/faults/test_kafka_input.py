"""What arrives on the topic is not always what the relay sent: poison, duplicates, old messages late.

Another system (or an operator's mistake) can put anything on the topic. Nothing that is not a valid
event of ours may be applied or stop consumption; it is kept in the ``dead_letters`` table with an
ERROR log line. Valid messages delivered twice, or again long after, change nothing.
"""

from __future__ import annotations

import asyncio
import json
import uuid

from sqlalchemy import select

from services.scoring.tables import dead_letters
from tests.support.topic import produce, read_topic


def envelope(**overrides) -> dict:
    entry = {"entry_id": str(uuid.uuid4()), "kind": "positive", "category": "外部", "title": "t", "points": 1,
             "effective_date": "2026-01-05", "basis": {"reason": "r", "document": "d"}}
    body = {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "/other/system",
            "type": "cn.shiji.dossier.entry_recorded.v1", "subject": str(uuid.uuid4()),
            "time": "2026-11-21T08:00:00Z", "streamversion": 2, "position": 1, "data": entry}
    for key, value in overrides.items():
        if key.startswith("data_"):
            body["data"][key.removeprefix("data_")] = value
        else:
            body[key] = value
    return body


POISON: dict[str, bytes] = {
    "not json": b"{not json",
    "not utf-8": b"\xff\xfe\x00garbage",
    "a json array": b"[1, 2, 3]",
    "no id": json.dumps({k: v for k, v in envelope().items() if k != "id"}).encode(),
    "unknown event type": json.dumps(envelope(type="cn.shiji.dossier.cadre_promoted.v1")).encode(),
    "a newer schema version": json.dumps(envelope(type="cn.shiji.dossier.entry_recorded.v9")).encode(),
    "points not a number": json.dumps(envelope(data_points="lots")).encode(),
    "points huge": json.dumps(envelope(data_points=1e300)).encode(),
    "points of the wrong sign": json.dumps(envelope(data_points=-5)).encode(),
    "a date out of range": json.dumps(envelope(data_effective_date="20260-01-05")).encode(),
    "a NUL in a stored field": json.dumps(envelope(data_category="外\u0000部")).encode(),
    "ids longer than the projection stores": json.dumps(envelope(id="i" * 100, data_entry_id="e" * 200)).encode(),
    "an unknown field": json.dumps(envelope(data_bonus=5)).encode(),
    "a megabyte of padding": json.dumps(envelope(data_title="x" * 900_000)).encode(),
}


async def test_poison_messages_are_dead_lettered_and_consumption_goes_on(harness) -> None:
    async with harness() as h:
        topic = h.system.env["SHIJI_KAFKA_TOPIC"]
        async with h.load(rate=12) as load:
            await load.until(acked=20)
            keys = [c.encode() for c in h.cadre_ids]  # into the partitions real traffic uses
            await asyncio.to_thread(produce, h.servers.kafka.connection(), topic,
                                    [(keys[n % len(keys)], value) for n, value in enumerate(POISON.values())])
            await load.until(acked=len(load.acked) + 40)
        await h.assert_recovered(load)
        async with h.scoring_db.connect() as conn:
            kept = [r.value for r in await conn.execute(select(dead_letters))]
        assert sorted(kept) == sorted(POISON.values())
        lines = [json.loads(line) for line in h.system.log("scoring").splitlines() if line.startswith("{")]
        alerts = [e for e in lines if e["level"] == "error" and e["logger"] == "services.scoring.consumer"
                  and e["message"].startswith("dead letter ")]  # JSON log lines (shared/logs.py)
        assert len(alerts) == len(POISON)


async def test_duplicated_and_late_redeliveries_change_nothing(harness) -> None:
    async with harness() as h:
        bootstrap, topic = h.servers.kafka.connection(), h.system.env["SHIJI_KAFKA_TOPIC"]
        async with h.load(rate=12) as load:
            await load.until(acked=40)
            sent = await asyncio.to_thread(read_topic, bootstrap, topic)
            # Every third message again, newest first (a revocation before the entry it revokes),
            # then the first ten once more: each copy lands after newer events of its cadre.
            again = sent[::3][::-1] + sent[:10]
            await asyncio.to_thread(produce, bootstrap, topic, [(r.key, r.value) for r in again])
            await load.until(acked=len(load.acked) + 30)
        await h.assert_recovered(load)
        assert len(await asyncio.to_thread(read_topic, bootstrap, topic)) >= len(sent) + len(again)
