"""Fault injection on the production wiring: real processes killed, real servers stopped.

These tests run the three ``shiji serve`` processes against a PostgreSQL cluster and a Kafka broker
of their own (started once per session by ``servers``, removed at the end), because they stop and
crash them. Each test drives a steady write load through the gateway, injects its fault, and ends
with ``Harness.assert_recovered``: the invariant of ``tests/support/checker.py``, no write answered
500, every process ready again, and nobody having repaired anything by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import make_engine
from shared.settings import today
from tests.support.checker import Projection, check_acknowledged, check_scores, check_streams, read_all_events, wait_converged
from tests.support.load import WriteLoad, register_cadres
from tests.support.production import ProductionSystem, production_system, wait_ready
from tests.support.servers import DedicatedServers


@pytest.fixture(scope="session")
def servers() -> Iterator[DedicatedServers]:
    s = DedicatedServers.create()
    try:
        s.start()
        yield s
    finally:
        s.stop()


@dataclass
class Harness:
    servers: DedicatedServers
    system: ProductionSystem
    gateway: httpx.AsyncClient  # authenticated as a clerk
    cadre_ids: list[str]
    dossier_db: AsyncEngine
    scoring_db: AsyncEngine

    def load(self, **options) -> WriteLoad:
        return WriteLoad(self.gateway, self.cadre_ids, **options)

    async def wait_exit(self, name: str, timeout_s: float = 60) -> int:
        proc = self.system.processes[name]
        deadline = asyncio.get_running_loop().time() + timeout_s
        while proc.poll() is None:
            assert asyncio.get_running_loop().time() < deadline, f"{name} still running after {timeout_s}s"
            await asyncio.sleep(0.1)
        return proc.returncode

    async def assert_recovered(self, load: WriteLoad) -> Projection:
        """Nothing lost, nothing doubled, no 500 answered, every process ready again."""
        print(load.summary())
        assert not load.server_errors, f"{len(load.server_errors)} answers were 500, e.g. {load.server_errors[:3]}"
        assert not load.refused, f"writes refused: {load.refused[:3]}"
        assert not load.unfinished, f"{len(load.unfinished)} writes never answered"
        alive = {name: proc for name, proc in self.system.processes.items() if proc.poll() is None}
        assert {"dossier", "scoring", "gateway"} <= alive.keys(), f"processes down: {self.system.processes}"
        for name in alive:
            await wait_ready(f"{self.system.urls[name]}/readyz", list(alive.values()), timeout_s=60,
                             tls=self.system.tls)
        started = asyncio.get_running_loop().time()
        projection = await wait_converged(self.dossier_db, self.scoring_db)
        print(f"converged {asyncio.get_running_loop().time() - started:.1f}s after the load stopped")
        events = await read_all_events(self.dossier_db)
        check_streams(events)
        check_acknowledged(load.acked, events)
        await check_scores(self.gateway, projection, self.cadre_ids, today())
        return projection


@contextlib.asynccontextmanager
async def open_harness(servers: DedicatedServers, log_dir: Path, *, env: dict[str, str] | None = None,
                       cadres: int = 6) -> AsyncIterator[Harness]:
    servers.start_postgres()  # a no-op when running; heals what an earlier failed test left stopped
    servers.start_kafka()
    async with production_system(servers.pg, servers.kafka, log_dir=log_dir, extra_env=env) as system:
        dossier_db = make_engine(system.env["SHIJI_DOSSIER_DATABASE_URL"], pool_size=2)
        scoring_db = make_engine(system.env["SHIJI_SCORING_DATABASE_URL"], pool_size=2)
        auth = {"Authorization": f"Bearer {system.token(unit='faults')}"}
        try:
            async with httpx.AsyncClient(base_url=system.gateway_url, headers=auth, timeout=30) as gateway:
                cadre_ids = await register_cadres(gateway, cadres, "faults")
                yield Harness(servers, system, gateway, cadre_ids, dossier_db, scoring_db)
        finally:
            servers.start_postgres()  # the databases are dropped on the way out
            servers.start_kafka()
            await dossier_db.dispose()
            await scoring_db.dispose()


@pytest.fixture
def harness(servers: DedicatedServers, tmp_path: Path):
    """``async with harness(env={...}) as h``: a production system on the dedicated servers."""
    return lambda **options: open_harness(servers, tmp_path, **options)
