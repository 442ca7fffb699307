"""The access log is append-only and hash-chained, on both databases; on PostgreSQL an application
role without UPDATE/DELETE/TRUNCATE (as docs/operations.md tells operators to run) cannot change it
even were the triggers gone."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
import uuid

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.dossier.service import DossierService
from shared.db import make_engine

DATA = {"unit": "city", "client": "10.0.0.7", "method": "GET", "path": "/api/v1/cadres/c-1/dossier",
        "action": "get_dossier", "cadre_id": "c-1", "status": 200, "outcome": "allowed", "request_id": "r-1"}


@pytest.fixture
async def logged(database_url_factory):
    url = await database_url_factory("dossier")
    engine = make_engine(url)
    service = DossierService(engine, today=dt.date.today)
    for n in range(5):
        await service.log_access([(f"auditor-{n % 2}", "auditor", {**DATA, "cadre_id": f"c-{n % 3}"})])
    yield url, engine, service
    await engine.dispose()


async def test_entries_are_chained_and_paged(logged) -> None:
    _, _, service = logged
    assert await service.verify_access_log() == (5, None)
    first = await service.access_log(limit=2)
    assert [e.seq for e in first] == [1, 2]
    rest = await service.access_log(after=first[-1].seq, limit=10)
    assert [e.seq for e in rest] == [3, 4, 5]
    assert [e.seq for e in await service.access_log(cadre_id="c-1")] == [2, 5]
    assert [e.seq for e in await service.access_log(subject="auditor-1")] == [2, 4]
    assert first[0].view()["action"] == "get_dossier" and first[0].view()["hash"].startswith("sm3:")


@pytest.mark.parametrize("statement", ["UPDATE access_log SET subject = 'nobody' WHERE seq = 2",
                                       "DELETE FROM access_log WHERE seq = 5"])
async def test_the_database_refuses_to_change_or_remove_an_entry(logged, statement: str) -> None:
    _, engine, service = logged
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    assert await service.verify_access_log() == (5, None)


async def test_an_entry_altered_past_the_triggers_breaks_the_chain(logged) -> None:
    url, engine, service = logged
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("SET LOCAL session_replication_role = replica"))  # a superuser: triggers off
        else:
            await conn.execute(text("DROP TRIGGER access_log_no_update"))
        await conn.execute(text("UPDATE access_log SET subject = 'nobody' WHERE seq = 3"))
    count, broken = await service.verify_access_log()
    assert count == 5 and broken is not None and broken.stream_version == 3
    env = {"SHIJI_DOSSIER_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    verify = subprocess.run([sys.executable, "-m", "services.cli", "verify"], env=env, capture_output=True, text=True)
    assert verify.returncode == 1 and "BROKEN stream access-log at version 3" in verify.stdout, verify.stdout


async def test_truncate_is_refused_on_postgresql(pg) -> None:
    url = await pg.create("dossier")
    engine = make_engine(url)
    try:
        await DossierService(engine, today=dt.date.today).log_access([("a", "auditor", DATA)])
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as conn:
                await conn.execute(text("TRUNCATE access_log"))
    finally:
        await engine.dispose()


async def test_an_application_role_without_the_grants_cannot_update_or_delete(pg) -> None:
    """The grants of docs/operations.md, with the triggers disabled to show they hold on their own."""
    url = await pg.create("dossier")
    database = pg.name_of(url)
    role, password = f"app_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    admin = await asyncpg.connect(pg.server.dsn(database))
    try:
        await admin.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
        await admin.execute(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"')
        await admin.execute(f'GRANT SELECT, INSERT ON access_log TO "{role}"')
        await admin.execute(f'REVOKE UPDATE, DELETE, TRUNCATE ON access_log FROM "{role}"')
        await admin.execute("ALTER TABLE access_log DISABLE TRIGGER USER")
        app = await asyncpg.connect(pg.server.dsn(database, role, password=password))
        try:
            assert await app.fetchval("SELECT count(*) FROM access_log") == 0  # it can read (and insert) ...
            for statement in ("UPDATE access_log SET subject = 'x'", "DELETE FROM access_log",
                              "TRUNCATE access_log"):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):  # ... but not change or remove
                    await app.execute(statement)
        finally:
            await app.close()
    finally:
        await admin.execute("ALTER TABLE access_log ENABLE TRIGGER USER")
        await admin.close()
        drop = await asyncpg.connect(pg.server.dsn())
        try:
            await pg.drop_all()
            pg.created.clear()
            await drop.execute(f'DROP ROLE IF EXISTS "{role}"')
        finally:
            await drop.close()


async def test_concurrent_entries_are_written_together_and_a_refused_one_fails_alone(database_url_factory) -> None:
    """Group commit: 60 requests logging at once take far fewer transactions than entries, every entry is
    answered with its own place in one unbroken chain, and an entry the database refuses (a NUL in its
    data, on PostgreSQL) fails only its own request."""
    url = await database_url_factory("dossier")
    engine = make_engine(url)
    service = DossierService(engine, today=dt.date.today)
    transactions = []
    write = service._access_log._write

    async def counted(entries):
        transactions.append(len(entries))
        return await write(entries)

    service._access_log._write = counted
    refusable = engine.dialect.name == "postgresql"
    try:
        results = await asyncio.gather(*(
            service.log_access([(f"auditor-{n}", "auditor",
                                 {**DATA, "cadre_id": "bad\u0000" if refusable and n == 30 else f"c-{n}"})])
            for n in range(60)), return_exceptions=True)
        results = [r if isinstance(r, Exception) else r[0] for r in results]
        failed = [n for n, r in enumerate(results) if isinstance(r, Exception)]
        assert failed == ([30] if refusable else [])
        written = [r for r in results if not isinstance(r, Exception)]
        assert sorted(e.seq for e in written) == list(range(1, len(written) + 1))
        assert all(e.subject == f"auditor-{n}" for n, e in enumerate(results) if n not in failed)
        assert await service.verify_access_log() == (len(written), None)
        # All 60 are handed in before the first write starts, so they go together in one transaction. On
        # SQLite that is all; on PostgreSQL the NUL fails it, and the 60 are written again one per transaction.
        assert transactions == ([60, *[1] * 60] if refusable else [60]), transactions
    finally:
        await engine.dispose()


async def test_a_batch_is_written_whole_in_order_or_not_at_all(database_url_factory) -> None:
    """The gateway sends the entries of its concurrent requests as one batch: in order, all or none."""
    engine = make_engine(await database_url_factory("dossier"))
    service = DossierService(engine, today=dt.date.today)
    try:
        if engine.dialect.name == "postgresql":  # PostgreSQL refuses a NUL in JSON text
            with pytest.raises(DBAPIError):
                await service.log_access([("a", "auditor", DATA), ("b", "auditor", {**DATA, "cadre_id": "bad\u0000"})])
            assert await service.verify_access_log() == (0, None)
        written = await service.log_access([(f"auditor-{n}", "auditor", DATA) for n in range(3)])
        assert [(e.seq, e.subject) for e in written] == [(1, "auditor-0"), (2, "auditor-1"), (3, "auditor-2")]
        assert await service.verify_access_log() == (3, None)
    finally:
        await engine.dispose()
