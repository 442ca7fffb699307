"""Backup and restore drill: dump the event store, restore it into a fresh cluster, rebuild the
projections from it, and get the very same projections (equal checksums). Then the other rebuild:
``shiji rebuild scoring`` in place, from the topic's offset zero.

SHIJI_DRILL_WRITES (default 150) sets how many writes the drill restores, for a bigger run by hand.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.dossier.tables import events
from services.scoring import projection
from shared.db import make_engine
from shared.kafka_bus import group_members
from tests.faults.conftest import Harness
from tests.support.connections import DOSSIER_OWNER, DOSSIER_ROLE, SCORING_OWNER, SCORING_ROLE
from tests.support.production import production_system
from tests.support.servers import PG_BIN, DedicatedServers

DRILL_WRITES = int(os.environ.get("SHIJI_DRILL_WRITES", "150"))


async def checksum(scoring: AsyncEngine) -> str:
    async with scoring.connect() as conn:
        return await projection.checksum(conn)


async def wait_checksum(scoring: AsyncEngine, want: str, timeout_s: float = 120) -> float:
    """Seconds until the projection's checksum is ``want``."""
    started = asyncio.get_running_loop().time()
    while (got := await checksum(scoring)) != want:
        assert asyncio.get_running_loop().time() - started < timeout_s, f"checksum stayed {got}, want {want}"
        await asyncio.sleep(0.2)
    return asyncio.get_running_loop().time() - started


def libpq(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def shiji(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "services.cli", *args], env=env, capture_output=True, text=True)


async def newest_tx_id(dossier_url: str) -> int:
    engine = make_engine(dossier_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(select(func.max(events.c.tx_id)))
    finally:
        await engine.dispose()


async def restore_into_a_fresh_cluster(h: Harness, dump: Path, log_dir: Path, want: str) -> None:
    fresh = DedicatedServers.create()
    try:
        await asyncio.to_thread(fresh.start_postgres)  # initdb: a new cluster, empty shiji_* databases
        started = time.monotonic()
        pg = fresh.pg
        # Restored as the owner role, as an operator restores: its tables then belong to the owner, and
        # `shiji migrate` grants the run-time roles their privileges on them again.
        subprocess.run([PG_BIN / "pg_restore", "--no-owner", "--exit-on-error", "-d",
                        pg.dsn("shiji_dossier", DOSSIER_OWNER), dump], check=True, capture_output=True)
        restored_s = time.monotonic() - started
        databases = {"SHIJI_DOSSIER_DATABASE_URL": pg.url("shiji_dossier", DOSSIER_ROLE),
                     "SHIJI_DOSSIER_MIGRATION_DATABASE_URL": pg.url("shiji_dossier", DOSSIER_OWNER),
                     "SHIJI_SCORING_DATABASE_URL": pg.url("shiji_scoring", SCORING_ROLE),
                     "SHIJI_SCORING_MIGRATION_DATABASE_URL": pg.url("shiji_scoring", SCORING_OWNER)}
        env = {**h.system.env, **databases}
        migrated = await asyncio.to_thread(shiji, env, "migrate")
        assert migrated.returncode == 0, migrated.stderr

        # The restored events carry the old cluster's transaction ids, ahead of this young cluster's:
        # the dossier refuses to serve (it would publish out of order, or never) until they are advanced.
        refused = await asyncio.to_thread(shiji, env, "serve", "dossier", "--port", "0")
        assert refused.returncode != 0 and "ahead of this PostgreSQL cluster" in refused.stdout + refused.stderr
        await asyncio.to_thread(fresh.advance_xids, await newest_tx_id(env["SHIJI_DOSSIER_DATABASE_URL"]))

        # A new topic on the same broker and a new scoring database: the relay's checkpoint is per
        # topic, so it publishes the whole restored event store to the new topic.
        started = time.monotonic()
        async with production_system(pg, h.servers.kafka, log_dir=log_dir, extra_env=databases):
            scoring = make_engine(env["SHIJI_SCORING_DATABASE_URL"], pool_size=1)
            try:
                await wait_checksum(scoring, want)
            finally:
                await scoring.dispose()
        print(f"restore: pg_restore {restored_s:.1f}s; services up and projections rebuilt through a new topic, "
              f"identical checksum, in {time.monotonic() - started:.1f}s")
    finally:
        await asyncio.to_thread(fresh.stop)


async def test_a_restored_event_store_rebuilds_identical_projections(harness, tmp_path: Path) -> None:
    async with harness() as h:
        async with h.load(rate=15) as load:
            await load.until(acked=DRILL_WRITES)
        await h.assert_recovered(load)
        want = await checksum(h.scoring_db)

        dump = tmp_path / "dossier.dump"
        started = time.monotonic()
        subprocess.run([PG_BIN / "pg_dump", "-Fc", "-f", dump, libpq(h.system.admin_urls["dossier"])],
                       check=True, capture_output=True)
        print(f"backup: pg_dump of {len(load.acked) + len(h.cadre_ids)} events, {dump.stat().st_size} bytes, "
              f"{time.monotonic() - started:.1f}s; projection checksum {want}")
        (tmp_path / "restored").mkdir()
        await restore_into_a_fresh_cluster(h, dump, tmp_path / "restored", want)

        # The rebuild in place: stop scoring, empty its projections, start it: it re-reads the topic.
        group, bootstrap = h.system.env["SHIJI_SCORING_CONSUMER_GROUP"], h.servers.kafka.connection()
        refused = await asyncio.to_thread(shiji, h.system.env, "rebuild", "scoring")
        assert refused.returncode == 2 and "stop every scoring instance" in refused.stderr
        h.system.processes["scoring"].terminate()
        assert h.system.processes["scoring"].wait(timeout=30) in (0, -15)  # uvicorn re-raises SIGTERM once stopped
        assert await asyncio.to_thread(group_members, bootstrap, group) == 0
        done = await asyncio.to_thread(shiji, h.system.env, "rebuild", "scoring")
        assert done.returncode == 0, done.stderr
        assert await checksum(h.scoring_db) != want
        await h.system.start("scoring")
        print(f"rebuild in place from offset 0: {await wait_checksum(h.scoring_db, want):.1f}s")
        printed = await asyncio.to_thread(shiji, h.system.env, "checksum", "scoring")
        assert printed.stdout.strip() == want
