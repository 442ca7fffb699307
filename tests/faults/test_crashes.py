"""kill -9 in the narrowest windows, under a steady write load through the gateway.

Each process is started with ``SHIJI_FAULT_CRASH_AT`` naming one crash point (``shared/faults.py``):
it dies there with ``os._exit`` - what ``kill -9`` does at that instant - and the test, playing the
supervisor, starts it again without the fault. A real SIGKILL at a random moment is the last test.
"""

from __future__ import annotations

import asyncio

import pytest

from shared import faults
from tests.faults.conftest import Harness
from tests.support.checker import read_all_events
from tests.support.topic import read_topic


async def crash_and_restart(h: Harness, process: str, point: str) -> None:
    code = await h.wait_exit(process)
    assert code == faults.EXIT_CODE, f"{process} exited {code}, not at the crash point"
    assert f"crashing at {point}" in h.system.log(process)
    await h.system.start(process, extra_env={faults.ENV: ""})


@pytest.mark.parametrize(("point", "process"), [
    ("consumer.before_commit", "scoring"),  # mid-batch: rows written, nothing committed
    ("consumer.after_commit", "scoring"),  # database committed, Kafka offsets not
    ("relay.after_publish", "dossier"),  # Kafka acknowledged the batch, the checkpoint is not written
    ("dossier.before_commit", "dossier"),  # the append is written, not committed; clients retry the key
    ("dossier.after_commit", "dossier"),  # committed, not answered; clients retry the key
])
async def test_a_crash_at_the_point_changes_nothing(harness, point: str, process: str) -> None:
    async with harness(env={faults.ENV: f"{point}:15"}) as h:
        async with h.load(rate=12) as load:
            await crash_and_restart(h, process, point)
            await load.until(acked=len(load.acked) + 30)
        await h.assert_recovered(load)
        if point.startswith("dossier."):
            # The write in flight at the crash was retried with its key and recorded once.
            assert any(a.attempts > 1 for a in load.acked), load.summary()
        if point == "dossier.after_commit":
            assert any(a.replayed for a in load.acked), "no retry found its committed first answer"
        if point == "relay.after_publish":
            # The batch Kafka had acknowledged was published again after the restart.
            events = await read_all_events(h.dossier_db)
            on_topic = await asyncio.to_thread(read_topic, h.servers.kafka.connection(), h.system.env["SHIJI_KAFKA_TOPIC"])
            assert len(on_topic) > len(events)


async def test_a_scoring_consumer_killed_at_random_moments_changes_nothing(harness) -> None:
    async with harness() as h:
        async with h.load(rate=12) as load:
            for _ in range(3):
                await load.until(acked=len(load.acked) + 15)
                assert h.system.kill("scoring") == -9
                await asyncio.sleep(0.5)
                await h.system.start("scoring")
        await h.assert_recovered(load)
