"""The append as one server-side call (``shiji_append``, migration 0006; ``store.append_alone``): the same
contract as the statements it replaced, on both databases where it applies; PostgreSQL for what only the
function does (guards, the Idempotency-Key's answer, commit order under many writers of one stream)."""

from __future__ import annotations

import asyncio
import datetime as dt
import random

import pytest
from sqlalchemy import func, select

from services.dossier import server_append, store
from services.dossier.idempotency import IDEMPOTENCY_TTL
from services.dossier.store import Actor, ConcurrencyError, Cursor
from services.dossier.tables import events, idempotency_keys
from shared import chain
from shared.db import make_engine, one_statement
from shared.events import CadreRegistered, EntryRevoked

ACTOR = Actor("tester", "clerk")
NOW = dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
async def engine(database_url_factory):
    engine = make_engine(await database_url_factory("dossier"), pool_size=20)
    yield engine
    await engine.dispose()


@pytest.fixture
async def pg_engine(pg):
    engine = make_engine(await pg.create("dossier"), pool_size=20)
    yield engine
    await engine.dispose()


def revoked(n: int) -> EntryRevoked:
    return EntryRevoked(entry_id=f"e{n}", reason="r")


async def count(engine, table=events) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(table))


async def test_appends_chain_on_the_hash_the_caller_knows(engine) -> None:
    first = await store.append_alone(engine, "c-1", 0, [CadreRegistered(cadre_id="c-1", name="张伟", unit_id="u")],
                                     ACTOR, NOW)
    second = await store.append_alone(engine, "c-1", 1, [revoked(1), revoked(2)], ACTOR, NOW,
                                      previous_hash=first[-1].hash)
    third = await store.append_alone(engine, "c-1", 3, [revoked(3)], ACTOR, NOW)  # hash unknown: read first
    assert [e.stream_version for e in [*first, *second, *third]] == [1, 2, 3, 4]
    async with engine.connect() as conn:
        history = await store.read_stream(conn, "c-1")
    assert chain.verify_stream(history) is None
    assert [e.position for e in history] == [e.position for e in [*first, *second, *third]]
    assert [e.hash for e in history] == [e.hash for e in [*first, *second, *third]]


async def test_a_stale_version_or_hash_writes_nothing(engine) -> None:
    (first,) = await store.append_alone(engine, "c-1", 0, [revoked(0)], ACTOR, NOW)
    with pytest.raises(ConcurrencyError) as stale:
        await store.append_alone(engine, "c-1", 0, [revoked(1)], ACTOR, NOW)
    assert stale.value.actual == 1
    with pytest.raises(ConcurrencyError):  # the right version on a hash that is not the stream's
        await store.append_alone(engine, "c-1", 1, [revoked(1)], ACTOR, NOW, previous_hash="sm3:" + "0" * 64)
    with pytest.raises(ConcurrencyError):  # a version ahead of the stream
        await store.append_alone(engine, "c-1", 2, [revoked(1)], ACTOR, NOW, previous_hash=first.hash)
    assert await count(engine) == 1


async def test_many_writers_of_one_stream_keep_commit_order(pg_engine) -> None:
    """Writers that guess the next version race on one stream (and on a few more): each version is won once,
    and the relay's reading order, (tx_id, position), is every stream's version order."""
    streams, writers, rounds = ["a", "b"], 12, 15

    async def writer(w: int) -> None:
        for _ in range(rounds):
            stream = random.choice(streams)
            async with pg_engine.connect() as conn:
                version = await store.stream_version(conn, stream)
            try:
                await store.append_alone(pg_engine, stream, version, [revoked(w)], ACTOR, NOW)
            except ConcurrencyError:
                pass

    await asyncio.gather(*(writer(w) for w in range(writers)))
    written = await count(pg_engine)
    # A transaction open elsewhere on a shared cluster holds the commit-order horizon back: wait, never skip.
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        async with pg_engine.connect() as conn:
            in_commit_order = await store.read_committed(conn, Cursor(), 10_000)
        if len(in_commit_order) == written or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    assert len(in_commit_order) == written > len(streams)
    for stream in streams:
        versions = [e.stream_version for e in in_commit_order if e.stream_id == stream]
        assert versions == list(range(1, len(versions) + 1))


async def _call(engine, stream, expected, previous, guards=(), answer=None):
    rows = store.chained_rows(stream, expected, previous, [revoked(expected)], ACTOR, NOW, None, "sm3")
    async with one_statement(engine) as driver:
        return await server_append.call(driver, stream, expected, previous, rows, guards, answer), rows


async def test_a_moved_guard_writes_nothing(pg_engine) -> None:
    (catalogue,) = await store.append_alone(pg_engine, "catalogue", 0, [revoked(0)], ACTOR, NOW)
    kept = server_append.Guard("catalogue", 1, catalogue.hash)
    result, rows = await _call(pg_engine, "c-1", 0, chain.GENESIS, [kept])
    assert (result.outcome, result.version, result.hash) == (server_append.APPENDED, 1, rows[0]["hash"])
    await store.append_alone(pg_engine, "catalogue", 1, [revoked(1)], ACTOR, NOW, previous_hash=catalogue.hash)
    result, _ = await _call(pg_engine, "c-1", 1, rows[0]["hash"], [kept])
    assert result.outcome == server_append.GUARD and result.positions is None
    assert await count(pg_engine) == 3


async def test_a_kept_answer_is_written_with_the_events_and_a_live_one_stops_the_append(pg_engine) -> None:
    cutoff = dt.datetime.now(dt.UTC) - IDEMPOTENCY_TTL
    answer = server_append.Answer("tester:k1", "h" * 64, 201, {"version": 1}, cutoff)
    result, rows = await _call(pg_engine, "c-1", 0, chain.GENESIS, answer=answer)
    assert result.outcome == server_append.APPENDED
    async with pg_engine.connect() as conn:
        (kept,) = (await conn.execute(select(idempotency_keys))).all()
    assert (kept.key, kept.status_code, kept.response) == ("tester:k1", 201, {"version": 1})
    result, _ = await _call(pg_engine, "c-1", 1, rows[0]["hash"], answer=answer)
    assert result.outcome == server_append.ANSWERED and await count(pg_engine) == 1
    # Once expired, the key is free again: the old answer goes, the new one comes with the new events.
    later = server_append.Answer("tester:k1", "g" * 64, 201, {"version": 2}, dt.datetime.now(dt.UTC) + dt.timedelta(1))
    result, _ = await _call(pg_engine, "c-1", 1, rows[0]["hash"], answer=later)
    assert result.outcome == server_append.APPENDED and await count(pg_engine) == 2
    async with pg_engine.connect() as conn:
        (kept,) = (await conn.execute(select(idempotency_keys))).all()
    assert kept.request_hash == "g" * 64
