"""Fixtures shared by the test tiers.

Integration and end-to-end tests run against the real PostgreSQL and Kafka that
``deploy/local/services.sh`` starts (``scripts/test`` does that for you). They never skip: a
missing server is a failure that says how to start it. Each test gets its own fresh databases
and its own Kafka topic, so tests do not see each other's data.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from shared.db import sqlite_url, upgrade_to_head
from shared.kafka_connection import KafkaConnection
from tests.support.connections import KafkaServer, PgServer

PG = PgServer.from_env()
KAFKA = KafkaServer.from_env()
# The suite drives the system far faster than a person: the per-subject rate limit would answer 429
# (tests/e2e/test_gateway_conventions.py tests the limit on a gateway of its own).
os.environ.setdefault("SHIJI_GATEWAY_RATE_LIMIT_PER_S", "1000000")
os.environ.setdefault("SHIJI_GATEWAY_RATE_LIMIT_BURST", "1000000")
# deploy/local/services.sh (which scripts/test evals) exports the HTTPS wiring of services run by hand on
# ports 8001/8002. The tests make each wiring's own (tests/support/production.py: certificates per system;
# the embedded wiring has no hop): settings read from this environment must not pick those up.
SERVICE_TLS_SETTINGS = ("SHIJI_DOSSIER_TLS_CERT_FILE", "SHIJI_DOSSIER_TLS_KEY_FILE", "SHIJI_SCORING_TLS_CERT_FILE",
                        "SHIJI_SCORING_TLS_KEY_FILE", "SHIJI_GATEWAY_SERVICE_CA_FILE", "SHIJI_GATEWAY_DOSSIER_URL",
                        "SHIJI_GATEWAY_SCORING_URL")
for _name in SERVICE_TLS_SETTINGS:
    os.environ.pop(_name, None)
HOW_TO_START = "start them with: eval \"$(deploy/local/services.sh start)\" (scripts/test does it for you)"


def _reachable(hostport: str) -> bool:
    host, port = hostport.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    except OSError:
        return False


def require_server(what: str, hostport: str) -> None:
    if not _reachable(hostport):
        pytest.fail(f"{what} is not reachable at {hostport}; {HOW_TO_START}", pytrace=False)


@pytest.fixture(scope="session")
def kafka_server() -> KafkaServer:
    require_server("Kafka", KAFKA.bootstrap)
    return KAFKA


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_server: KafkaServer) -> KafkaConnection:
    """The broker as the test harness reaches it: the super user ``admin`` on a secured broker."""
    return kafka_server.connection()


@pytest.fixture
def topic(kafka_bootstrap: KafkaConnection) -> str:
    from shared.kafka_bus import ensure_topic

    name = f"test.{uuid.uuid4().hex[:12]}"
    ensure_topic(kafka_bootstrap, name, partitions=3)
    return name


class PgDatabases:
    """Creates throwaway databases on the test cluster and drops them at the end."""

    def __init__(self, server: PgServer) -> None:
        self.server = server
        self.created: list[str] = []

    async def _admin(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.server.dsn())

    async def create(self, service: str | None = None, *, owner: str | None = None) -> str:
        """A fresh database (owned by ``owner``; migrated to ``service``'s head when given); its SQLAlchemy URL
        for the administrator. ``name_of`` gives its name, for a URL with another role."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        conn = await self._admin()
        try:
            await conn.execute(f'CREATE DATABASE "{name}"' + (f' OWNER "{owner}"' if owner else ""))
        finally:
            await conn.close()
        self.created.append(name)
        url = self.server.url(name)
        if service:
            await upgrade_to_head(service, url)
        return url

    @staticmethod
    def name_of(url: str) -> str:
        return url.rsplit("/", 1)[1].split("?")[0]

    async def drop(self, url: str) -> None:
        name = self.name_of(url)
        await self._drop([name])
        self.created.remove(name)

    async def drop_all(self) -> None:
        await self._drop(self.created)

    async def _drop(self, names: list[str]) -> None:
        conn = await self._admin()
        try:
            for name in names:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@pytest.fixture
async def pg() -> AsyncIterator[PgDatabases]:
    require_server("PostgreSQL", PG.hostport)
    dbs = PgDatabases(PG)
    yield dbs
    await dbs.drop_all()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url_factory(request: pytest.FixtureRequest, tmp_path: Path):
    """Yields ``make(service) -> url`` for each adapter: one contract suite, both databases."""
    if request.param == "sqlite":
        async def make(service: str) -> str:
            url = sqlite_url(tmp_path / f"{service}-{uuid.uuid4().hex[:6]}.db")
            await upgrade_to_head(service, url)
            return url

        yield make
    else:
        require_server("PostgreSQL", PG.hostport)
        dbs = PgDatabases(PG)
        yield dbs.create
        await dbs.drop_all()


async def dossier_instances(url: str) -> AsyncIterator[tuple]:
    """Two dossier services on the database ``url``, each with its own engine: two instances of the service."""
    from services.dossier.service import DossierService, dossier_engine

    engines = [dossier_engine(url, 10), dossier_engine(url, 10)]
    try:
        yield tuple(DossierService(engine, today=dt.date.today) for engine in engines)
    finally:
        for engine in engines:
            await engine.dispose()


@pytest.fixture
async def two_dossiers(database_url_factory):
    """Two dossier instances on one database (SQLite and PostgreSQL)."""
    async for instances in dossier_instances(await database_url_factory("dossier")):
        yield instances


@pytest.fixture
async def two_dossiers_on_postgresql(pg):
    """Two dossier instances on one PostgreSQL database."""
    async for instances in dossier_instances(await pg.create("dossier")):
        yield instances


# Outcomes of tests that did not run, or ran and did not count: an xfail or xpass is a skip by another name.
NOT_RUN = ("skipped", "xfailed", "xpassed")


def forbid_skips() -> bool:
    """On unless SHIJI_FORBID_SKIPS is 0 (or empty): a plain ``pytest`` enforces it like scripts/test and CI."""
    return os.environ.get("SHIJI_FORBID_SKIPS", "1").strip().lower() not in ("0", "", "false", "no")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A skipped, xfailed or xpassed test fails the run: nothing may quietly not run. SHIJI_FORBID_SKIPS=0 allows
    them (a local run of a subset that skips by design)."""
    if not forbid_skips():
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    counts = {outcome: len(reporter.stats.get(outcome, [])) for outcome in NOT_RUN} if reporter else {}
    if any(counts.values()):
        listed = ", ".join(f"{n} {outcome}" for outcome, n in counts.items() if n)
        reporter.write_line(f"SHIJI_FORBID_SKIPS: {listed}; failing the run (SHIJI_FORBID_SKIPS=0 allows it)", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
