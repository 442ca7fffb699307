"""The servers go away under load and come back; the services recover by themselves.

No service process is restarted here: the relay, the consumer and both HTTP services must find
the broker and the database again on their own (same pids before and after).
"""

from __future__ import annotations

import asyncio
import signal

from tests.faults.conftest import Harness

BROKER_OUTAGE_S = 20


def pids(h: Harness) -> dict[str, int]:
    return {name: proc.pid for name, proc in h.system.processes.items() if proc.poll() is None}


async def test_the_broker_stopped_for_20_seconds_under_load(harness) -> None:
    async with harness() as h:
        before = pids(h)
        async with h.load(rate=12) as load:
            await load.until(acked=20)
            await asyncio.to_thread(h.servers.stop_kafka)
            acked_at_stop = len(load.acked)
            await asyncio.sleep(BROKER_OUTAGE_S)
            # The event store is the outbox: writes go on being accepted while Kafka is down.
            assert len(load.acked) > acked_at_stop + 50, load.summary()
            await asyncio.to_thread(h.servers.start_kafka)
            await load.until(acked=len(load.acked) + 30)
        await h.assert_recovered(load)
        assert pids(h) == before


async def test_postgresql_crashed_under_load(harness) -> None:
    async with harness() as h:
        before = pids(h)
        scoring = h.system.processes["scoring"]
        async with h.load(rate=12) as load:
            await load.until(acked=20)
            # Freeze the consumer a moment (less than its group session) so that it has a backlog to
            # apply when the database goes: it must fail, resubscribe and resume, not only idle.
            scoring.send_signal(signal.SIGSTOP)
            await load.until(acked=len(load.acked) + 30)
            await asyncio.to_thread(h.servers.stop_postgres, "immediate")
            scoring.send_signal(signal.SIGCONT)
            await asyncio.sleep(5)
            await asyncio.to_thread(h.servers.start_postgres)
            await load.until(acked=len(load.acked) + 30)
        await h.assert_recovered(load)
        assert pids(h) == before
        # While the database was down, writes were answered 503 + Retry-After (retried), never 500.
        assert load.retried[503] > 0, load.summary()  # and no 500: assert_recovered requires none
        assert "consumer failed; resubscribing" in h.system.log("scoring")
