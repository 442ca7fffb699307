"""``shared.db.write_transaction`` on a real PostgreSQL: asyncpg begins and ends the transaction while
statements run both through SQLAlchemy and straight on the driver; all of it commits or none of it does,
and a pooled connection the database dropped costs no write (the pool has no ping on checkout)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import text

from shared.db import asyncpg_connection, make_engine, one_statement, write_transaction


@pytest.fixture
async def engine(pg):
    url = await pg.create()
    engine = make_engine(url, pool_size=3, pre_ping=False)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (n int PRIMARY KEY)"))
    yield engine
    await engine.dispose()


async def rows(engine) -> list[int]:
    async with engine.connect() as conn:
        return list((await conn.execute(text("SELECT n FROM t ORDER BY n"))).scalars())


async def test_statements_through_sqlalchemy_and_the_driver_commit_together(engine) -> None:
    async with write_transaction(engine) as conn:
        await conn.execute(text("INSERT INTO t VALUES (1)"))
        async with asyncpg_connection(conn) as driver:
            assert driver.is_in_transaction()
            await driver.execute("INSERT INTO t VALUES ($1)", 2)
        # One transaction: the backend has one transaction id for both rows.
        assert (await conn.execute(text("SELECT count(DISTINCT xmin::text) FROM t"))).scalar() == 1
    assert await rows(engine) == [1, 2]


async def test_a_failure_anywhere_leaves_nothing_written(engine) -> None:
    with pytest.raises(asyncpg.UniqueViolationError):
        async with write_transaction(engine) as conn:
            await conn.execute(text("INSERT INTO t VALUES (1)"))
            async with asyncpg_connection(conn) as driver:
                await driver.execute("INSERT INTO t VALUES (2)")
                await driver.execute("INSERT INTO t VALUES (2)")
    with pytest.raises(RuntimeError):
        async with write_transaction(engine) as conn:
            await conn.execute(text("INSERT INTO t VALUES (3)"))
            raise RuntimeError("the decision failed after the first statement")
    assert await rows(engine) == []
    # The connections went back to the pool usable, not inside a failed transaction.
    for n in range(5):
        async with write_transaction(engine) as conn:
            await conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
    assert await rows(engine) == [0, 1, 2, 3, 4]


async def test_connections_the_database_dropped_cost_no_write(engine, pg) -> None:
    # Fill the pool, then have the server end every one of its connections (what a restart does).
    async with write_transaction(engine) as a, write_transaction(engine) as b, write_transaction(engine) as c:
        for conn in (a, b, c):
            await conn.execute(text("SELECT 1"))
    admin = await asyncpg.connect(pg.server.dsn())
    try:
        ended = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            engine.url.database)
    finally:
        await admin.close()
    assert ended == 3
    for n in range(3):  # each of the three dropped connections is found at BEGIN and replaced
        async with write_transaction(engine) as conn:
            await conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
    assert await rows(engine) == [0, 1, 2]


async def test_one_statement_finds_dropped_connections_before_sending(engine, pg) -> None:
    """``one_statement`` (a write that is its own transaction): a pooled connection the server ended is seen
    closed and replaced before anything is sent, so a restart costs no write there either."""
    async with write_transaction(engine) as a, write_transaction(engine) as b, write_transaction(engine) as c:
        for conn in (a, b, c):
            await conn.execute(text("SELECT 1"))
    admin = await asyncpg.connect(pg.server.dsn())
    try:
        assert await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            engine.url.database) == 3
    finally:
        await admin.close()
    await asyncio.sleep(1)  # the termination notices reach the clients (asyncpg marks the connections closed)
    for n in range(3):
        async with one_statement(engine) as driver:
            await driver.execute("INSERT INTO t VALUES ($1)", n)
    assert await rows(engine) == [0, 1, 2]
    async with one_statement(engine) as driver:
        assert not driver.is_in_transaction()  # autocommit: the INSERTs above were committed on their own
