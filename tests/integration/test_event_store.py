"""One contract suite for the event store, run against SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import random

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from services.dossier import store
from services.dossier.store import Actor, ConcurrencyError, Cursor
from shared.db import make_engine
from shared.events import CadreRegistered, EntryRevoked

ACTOR = Actor("tester", "clerk")
NOW = dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC)


def registered(stream: str) -> CadreRegistered:
    return CadreRegistered(cadre_id=stream, name="张伟", unit_id="u-1")


@pytest.fixture
async def engine(database_url_factory):
    engine = make_engine(await database_url_factory("dossier"), pool_size=20)
    yield engine
    await engine.dispose()


async def test_append_and_read_back_a_stream(engine) -> None:
    async with engine.begin() as conn:
        stored = await store.append(conn, "c-1", 0, [registered("c-1"), EntryRevoked(entry_id="e", reason="r")], ACTOR, NOW)
    assert [e.stream_version for e in stored] == [1, 2]
    assert stored[0].position < stored[1].position
    async with engine.connect() as conn:
        history = await store.read_stream(conn, "c-1")
    assert [e.event_type for e in history] == ["cadre_registered", "entry_revoked"]
    assert history[0].recorded_at == NOW and history[0].actor == "tester"
    assert history[1].domain_event() == EntryRevoked(entry_id="e", reason="r")


async def test_a_stale_expected_version_is_refused(engine) -> None:
    async with engine.begin() as conn:
        await store.append(conn, "c-1", 0, [registered("c-1")], ACTOR, NOW)
    with pytest.raises(ConcurrencyError):
        async with engine.begin() as conn:
            await store.append(conn, "c-1", 0, [registered("c-1")], ACTOR, NOW)
    async with engine.connect() as conn:
        assert await store.stream_version(conn, "c-1") == 1


async def test_events_cannot_be_updated_or_deleted(engine) -> None:
    async with engine.begin() as conn:
        await store.append(conn, "c-1", 0, [registered("c-1")], ACTOR, NOW)
    for statement in ("UPDATE events SET actor = 'forger'", "DELETE FROM events"):
        with pytest.raises((DBAPIError, IntegrityError)):
            async with engine.begin() as conn:
                await conn.execute(text(statement))
    async with engine.connect() as conn:
        assert (await store.read_stream(conn, "c-1"))[0].actor == "tester"


async def test_concurrent_appends_to_one_stream_exactly_one_wins_each_version(engine) -> None:
    """20 writers race for each version of one stream: one wins, the others get ConcurrencyError."""
    async with engine.begin() as conn:
        await store.append(conn, "c-1", 0, [registered("c-1")], ACTOR, NOW)

    async def try_append(expected: int, n: int) -> bool:
        try:
            async with engine.begin() as conn:
                await store.append(conn, "c-1", expected, [EntryRevoked(entry_id=f"e{n}", reason="r")], ACTOR, NOW)
            return True
        except ConcurrencyError:
            return False
        except DBAPIError as exc:  # SQLite: a writer that could not get the lock lost the race too
            if "locked" in str(exc):
                return False
            raise

    for version in range(1, 6):
        results = await asyncio.gather(*(try_append(version, n) for n in range(20)))
        assert sum(results) == 1, f"version {version + 1}: {sum(results)} winners"
    async with engine.connect() as conn:
        history = await store.read_stream(conn, "c-1")
    assert [e.stream_version for e in history] == list(range(1, 7))


async def test_reader_in_commit_order_never_skips_a_late_commit(engine) -> None:
    """Many writers with transactions of random length, one reader advancing its cursor meanwhile:
    the reader sees every committed event exactly once, each stream in version order."""
    writers, per_writer = 8, 25
    done = asyncio.Event()
    seen: list[store.StoredEvent] = []

    async def writer(w: int) -> None:
        for i in range(per_writer):
            stream = f"w{w}"
            async with engine.begin() as conn:
                version = await store.stream_version(conn, stream)
                await store.append(conn, stream, version, [EntryRevoked(entry_id=f"{w}-{i}", reason="r")], ACTOR, NOW)
                await asyncio.sleep(random.uniform(0, 0.01))  # hold the transaction open: commit "late"

    async def reader() -> None:
        cursor = Cursor()
        while True:
            finished = done.is_set()
            async with engine.connect() as conn:
                batch = await store.read_committed(conn, cursor, 7)
                # A transaction open anywhere in the cluster (another test's database on a shared server)
                # holds the commit-order horizon back: done only when nothing at all lies past the cursor.
                rest = 0 if batch or not finished else await store.count_after(conn, cursor, 1)
            if batch:
                seen.extend(batch)
                cursor = batch[-1].cursor
            elif finished and rest == 0:
                return
            else:
                await asyncio.sleep(0.001)

    read_task = asyncio.create_task(reader())
    await asyncio.gather(*(writer(w) for w in range(writers)))
    done.set()
    await asyncio.wait_for(read_task, 30)

    assert len(seen) == writers * per_writer
    assert len({e.event_id for e in seen}) == len(seen)
    for w in range(writers):
        versions = [e.stream_version for e in seen if e.stream_id == f"w{w}"]
        assert versions == list(range(1, per_writer + 1))


async def test_an_open_transaction_holds_back_the_reader_until_it_commits(pg) -> None:
    """PostgreSQL, deterministically: A writes first and stays open, B writes later and commits first.
    (SQLite cannot get here: B would wait for A's write lock; the race test above covers it.)"""
    engine = make_engine(await pg.create("dossier"))
    try:
        await _late_commit_case(engine)
    finally:
        await engine.dispose()


async def _late_commit_case(engine) -> None:
    async with engine.connect() as conn_a:
        tx_a = await conn_a.begin()
        await store.append(conn_a, "a", 0, [registered("a")], ACTOR, NOW)
        async with engine.begin() as conn_b:
            await store.append(conn_b, "b", 0, [registered("b")], ACTOR, NOW)
        async with engine.connect() as reader:
            assert await store.read_committed(reader, Cursor(), 100) == []  # B must wait behind A
        await tx_a.commit()
    # Once A has committed both are readable, in commit order; a transaction open elsewhere on a shared
    # cluster may hold the horizon a moment longer, so the reader may have to wait for them (never skip).
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        async with engine.connect() as reader:
            batch = await store.read_committed(reader, Cursor(), 100)
        # Another session's transaction that took its id between A's and B's holds B back a moment longer:
        # wait for both (A alone is not a failure; B before A, or B skipped, would be).
        if len(batch) >= 2 or asyncio.get_running_loop().time() > deadline:
            break
        assert [e.stream_id for e in batch] in ([], ["a"])
        await asyncio.sleep(0.05)
    assert [e.stream_id for e in batch] == ["a", "b"]
