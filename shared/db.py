"""Database plumbing shared by the services: engines for PostgreSQL and SQLite, and migrations."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, Table, case, event
from sqlalchemy.dialects.postgresql.asyncpg import dialect as AsyncpgDialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql import Executable
from sqlalchemy.util import greenlet_spawn

from shared.db_tls import split_tls

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, *, pool_size: int = 10, single_statement_reads: bool = False,
                pre_ping: bool = True) -> AsyncEngine:
    """An async engine: asyncpg for ``postgresql+asyncpg://``, aiosqlite for ``sqlite+aiosqlite://``.

    A fixed pool of ``pool_size`` connections: with overflow, connections opened and closed per request
    under load cost a new backend, a TLS attempt and cold statement caches each (a request waits for a
    pooled connection instead). The ping on checkout (``pre_ping``) makes a restarted database cost no
    request; it is three round trips on asyncpg, so the dossier, whose writes go through
    ``write_transaction`` (which finds a dropped connection at BEGIN itself), goes without it: there a
    read meeting a connection the database dropped fails (503, retried by the client) and that connection
    is discarded; a read through SQLAlchemy's execution also has it discard the pool's older connections.

    ``single_statement_reads`` makes an engine for answers that are one SELECT: no transaction around it
    (autocommit; one statement is its own snapshot) and no ping on checkout. That saves four of its five
    round trips, and a generic plan. A connection the database dropped fails one request (503, retried by
    the client) and SQLAlchemy then discards every pooled connection older than the failure."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine.execution_options(isolation_level="AUTOCOMMIT") if single_statement_reads else engine
    # The reads' statements are few, fixed and keyed by id: a generic plan, made once per connection,
    # does as well as the custom plan PostgreSQL would otherwise make again on every execution.
    connect_args: dict[str, Any] = {}
    if single_statement_reads:
        connect_args["server_settings"] = {"plan_cache_mode": "force_generic_plan"}
    url, tls = split_tls(url)
    if tls is not None:
        connect_args["ssl"] = tls
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=0,
                                 pool_pre_ping=pre_ping and not single_statement_reads, connect_args=connect_args)
    return engine.execution_options(isolation_level="AUTOCOMMIT") if single_statement_reads else engine


# SQLSTATE class 08 (connection exception) and the server shutting down, crashed or starting up.
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03")


def database_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached right now (down, restarting, the connection lost), as opposed to
    a query it refused. asyncpg raises some of these raw (a refused connect is a bare OSError) and
    SQLAlchemy wraps others, so the whole chain of causes is looked at."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, ConnectionError | TimeoutError | PoolTimeout):  # PoolTimeout: every connection busy
            return True
        sqlstate = getattr(cause, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES):
            return True
        cause = getattr(cause, "orig", None) or cause.__cause__ or cause.__context__
    return False


# What a statement the database refused raises: through SQLAlchemy, or straight from asyncpg where a hot
# path runs on the driver (``asyncpg_connection``). ``database_unavailable`` tells an outage apart.
REFUSED = (DBAPIError, asyncpg.PostgresError)

# For ``install_problem_handlers(app, unavailable=DATABASE_UNAVAILABLE)``: a request that finds the
# database down is answered 503 with Retry-After (the client retries), not 500 (a bug).
DATABASE_UNAVAILABLE = ((OSError, DBAPIError, PoolTimeout, asyncpg.PostgresError, asyncpg.InterfaceError),
                        database_unavailable)


@functools.lru_cache(maxsize=256)
def _asyncpg_statement(statement: Executable):
    """``statement`` compiled once for asyncpg: numbered parameters, with the casts asyncpg needs."""
    compiled = statement.compile(dialect=AsyncpgDialect(paramstyle="numeric_dollar"))
    return str(compiled), compiled


async def _driver_of(conn: AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under ``conn``: read off the live connection where there is one (a plain
    attribute), else through ``get_raw_connection`` (a greenlet switch; it reconnects an invalidated one)."""
    sync = conn.sync_connection
    if sync is not None and not sync.invalidated:
        return sync.connection.driver_connection
    return (await conn.get_raw_connection()).driver_connection


@contextlib.asynccontextmanager
async def asyncpg_connection(conn: AsyncConnection) -> AsyncIterator[asyncpg.Connection]:
    """The asyncpg connection under ``conn`` (PostgreSQL), inside ``conn``'s transaction if it has begun one,
    for the few hot statements where SQLAlchemy's execution and row processing cost more than the
    statement itself. Parameters go to asyncpg as they are (no SQLAlchemy type processing: JSON as
    text). A connection lost under it is invalidated, so the pool does not hand it out again."""
    driver = await _driver_of(conn)
    if conn.in_transaction() and not driver.is_in_transaction():
        # SQLAlchemy sends its BEGIN with its first statement; have it sent now, so that what runs on the
        # driver belongs to the transaction ``conn`` commits or rolls back.
        await conn.exec_driver_sql("SELECT 1")
    try:
        yield driver
    except (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError) as exc:
        await conn.invalidate(exc)
        raise


def _autocommit_view(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` in AUTOCOMMIT mode, sharing its pool; made once (making one costs ~30 µs) and kept on the
    engine itself: a reference cycle the collector frees with the engine, where a module-level map keyed
    by engine would keep every engine alive (the view holds its engine)."""
    view = getattr(engine.sync_engine, "_shiji_autocommit_view", None)
    if view is None:
        view = engine.execution_options(isolation_level="AUTOCOMMIT")
        engine.sync_engine._shiji_autocommit_view = view
    return view


@contextlib.asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One transaction, committed when the block ends and rolled back if it raises: ``engine.begin()``,
    except that on PostgreSQL asyncpg itself begins and ends it.

    The connection is checked out in SQLAlchemy's AUTOCOMMIT mode, so SQLAlchemy sends no BEGIN or
    COMMIT of its own and each statement it executes goes straight to the asyncpg connection, inside the
    transaction asyncpg began; statements run on the driver (``asyncpg_connection``) need no extra round
    trip to join it. Measured with 16 writers, one append per transaction (``bench/append_rates.py``):
    1,600 → 2,450 appends/s beside ``engine.begin()`` on a pool that pings on checkout.

    It does what a ping on checkout would, for free: a pooled connection the database dropped (it
    restarted) fails at BEGIN, before anything was sent that could have been written; that connection
    is discarded and the next one tried, so a restarted database costs no write. (SQLAlchemy's ping on
    asyncpg is three round trips, BEGIN, a statement and ROLLBACK, on every checkout.)"""
    if engine.dialect.name != "postgresql":
        async with engine.begin() as conn:
            yield conn
        return
    autocommit = _autocommit_view(engine)
    pooled = engine.pool.size() if isinstance(engine.pool, QueuePool) else 0
    for attempt in range(1, pooled + 2):
        async with autocommit.connect() as conn:
            driver = await _driver_of(conn)
            try:
                transaction = driver.transaction()
                await transaction.start()
            except Exception as exc:
                if not (driver.is_closed() or database_unavailable(exc)):
                    raise
                await conn.invalidate(exc)
                if attempt > pooled:
                    raise
                continue
            try:
                yield conn
            except BaseException as exc:
                try:
                    await transaction.rollback()
                except Exception:
                    await conn.invalidate(exc)  # in no known state: never to be handed out again
                else:
                    if database_unavailable(exc):
                        await conn.invalidate(exc)
                raise
            try:
                await transaction.commit()
            except Exception as exc:
                if database_unavailable(exc):
                    await conn.invalidate(exc)
                raise
            return


@contextlib.asynccontextmanager
async def one_statement(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """An asyncpg connection (PostgreSQL) of ``engine``'s pool in autocommit, for a write that is one
    statement and so its own transaction: one round trip, where ``write_transaction`` adds BEGIN and COMMIT
    (on a shared two-core machine each round trip cost more client CPU, in the socket's send, than the
    statement's Python; ``bench/append_rates.py``).

    A pooled connection found closed (the database restarted) is discarded and the next one tried before
    anything is sent, as ``write_transaction`` does at BEGIN. A connection lost while the statement runs
    leaves its outcome unknown, like a COMMIT lost on the way: it is discarded and the error raised (the
    client retries with its Idempotency-Key, or its expected version refuses a double)."""
    # Checked out of the pool itself, without a SQLAlchemy Connection around it: nothing is executed through
    # SQLAlchemy, and the Connection's making, events and isolation level cost more than the statement's own
    # Python (62 against 26 µs a checkout). Given back, the pool's reset finds no transaction: no round trip.
    pool = engine.sync_engine.pool
    pooled = pool.size() if isinstance(pool, QueuePool) else 0
    for attempt in range(1, pooled + 2):
        fairy = await greenlet_spawn(pool.connect)
        driver = fairy.dbapi_connection.driver_connection
        if driver.is_closed():
            await greenlet_spawn(fairy.invalidate)
            await greenlet_spawn(fairy.close)
            if attempt > pooled:
                raise asyncpg.InterfaceError("every pooled connection was closed")
            continue
        try:
            yield driver
        except (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError, asyncio.CancelledError) as exc:
            # Lost, or cancelled with the statement perhaps still running: never to be handed out again.
            await greenlet_spawn(fairy.invalidate, exc)
            raise
        finally:
            await greenlet_spawn(fairy.close)
        return


async def fetch_all(conn: AsyncConnection, statement: Executable, params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
    """The rows of ``statement``, to be read by position.

    On PostgreSQL the statement runs straight on asyncpg (``asyncpg_connection``), compiled once per
    statement object and prepared once per connection by asyncpg (measured: a score's load 4.2 ms
    through SQLAlchemy, 1.3 ms so). The statement must be built once and reused, and take no expanding
    (IN-list) parameters nor any that need SQLAlchemy's type processing. Elsewhere (SQLite) it is an
    ordinary execution."""
    if conn.dialect.name != "postgresql":
        return (await conn.execute(statement, dict(params))).all()
    sql, compiled = _asyncpg_statement(statement)
    values = compiled.construct_params(dict(params))
    async with asyncpg_connection(conn) as driver:
        return await driver.fetch(sql, *(values[name] for name in compiled.positiontup))


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


MIGRATIONS_ROOT = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(service: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_ROOT / service))
    return cfg


async def upgrade_to_head(service: str, url: str) -> None:
    """Apply ``service``'s Alembic history to the database at ``url`` (idempotent)."""
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade, service)
    finally:
        await engine.dispose()


def _upgrade(sync_conn, service: str) -> None:
    cfg = alembic_config(service)
    cfg.attributes["connection"] = sync_conn
    command.upgrade(cfg, "head")


async def database_ready(engine: AsyncEngine, service: str) -> bool:
    """For /readyz: the database answers and is migrated to this build's head."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config(service)).get_heads())
    async with engine.connect() as conn:
        current = await conn.run_sync(lambda c: set(MigrationContext.configure(c).get_current_heads()))
    return current == heads



def _insert_for(dialect_name: str):
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def insert_ignore(dialect_name: str, table: Table):
    """INSERT ... ON CONFLICT DO NOTHING: a row that is already there stays as it was."""
    return _insert_for(dialect_name)(table).on_conflict_do_nothing()


def upsert_greatest(dialect_name: str, table: Table, key: list[str], column: str, along: Sequence[str] = ()):
    """INSERT ... ON CONFLICT (key) DO UPDATE SET ``column`` to the greater of the stored and the given value
    (a counter that only grows), and the ``along`` columns to the values of the row whose ``column`` won;
    the rows are given to ``execute``."""
    stmt = _insert_for(dialect_name)(table)
    given, stored = stmt.excluded[column], table.c[column]
    newer = given > stored
    return stmt.on_conflict_do_update(index_elements=key, set_={
        column: case((newer, given), else_=stored),
        **{c: case((newer, stmt.excluded[c]), else_=table.c[c]) for c in along}})


def upsert_add(dialect_name: str, table: Table, key: list[str], column: str):
    """INSERT ... ON CONFLICT (key) DO UPDATE SET ``column`` to the stored plus the given value (a counter
    bumped by each writer, whichever process it runs in); the rows are given to ``execute``."""
    stmt = _insert_for(dialect_name)(table)
    return stmt.on_conflict_do_update(index_elements=key, set_={column: table.c[column] + stmt.excluded[column]})


def upsert(dialect_name: str, table: Table, values: dict | None, key: list[str], update: list[str]):
    """INSERT ... ON CONFLICT (key) DO UPDATE SET the ``update`` columns, for PostgreSQL and SQLite alike.
    With ``values`` None the rows are given to ``execute`` (many at once)."""
    stmt = _insert_for(dialect_name)(table)
    if values is not None:
        stmt = stmt.values(values)
    return stmt.on_conflict_do_update(index_elements=key, set_={c: stmt.excluded[c] for c in update})
