"""Three scoring processes share the topic's partitions; one is killed, another joins."""

from __future__ import annotations

import asyncio

from shared.kafka_bus import group_members


async def wait_members(bootstrap: str, group: str, count: int, timeout_s: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while (members := await asyncio.to_thread(group_members, bootstrap, group)) != count:
        assert asyncio.get_running_loop().time() < deadline, f"the group has {members} members, expected {count}"
        await asyncio.sleep(0.5)


async def test_a_group_of_three_loses_one_and_gains_one_under_load(harness) -> None:
    async with harness() as h:
        bootstrap, group = h.servers.kafka.connection(), h.system.env["SHIJI_SCORING_CONSUMER_GROUP"]
        async with h.load(rate=12) as load:
            await h.system.start("scoring-2")
            await h.system.start("scoring-3")
            await wait_members(bootstrap, group, 3)
            await load.until(acked=len(load.acked) + 30)
            assert h.system.kill("scoring-2") == -9
            await load.until(acked=len(load.acked) + 30)
            await h.system.start("scoring-4")
            # The killed member leaves when its session times out; then three share the partitions again.
            await wait_members(bootstrap, group, 3)
            await load.until(acked=len(load.acked) + 30)
        await h.assert_recovered(load)
