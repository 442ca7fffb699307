"""The hash chain against a database administrator's raw SQL: alter, delete or reorder a stored
row and ``shiji verify`` names the first broken event. Both databases."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from services.dossier import store
from services.dossier.service import DossierService
from services.dossier.store import Actor
from shared.db import make_engine
from shared.events import CadreRegistered, EntryRevoked, SelfEvaluationWritten
from tests.support.tamper import tamper

ACTOR = Actor("tester", "clerk")
NOW = dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
async def chained(database_url_factory):
    """Two streams of five events each, hash-chained; yields (url, engine)."""
    url = await database_url_factory("dossier")
    engine = make_engine(url)
    for stream, algorithm in (("c-1", "sm3"), ("c-2", "sha256")):
        async with engine.begin() as conn:
            await store.append(conn, stream, 0, [CadreRegistered(cadre_id=stream, name="张伟", unit_id="u")], ACTOR, NOW,
                               algorithm=algorithm)
        for n in range(4):
            async with engine.begin() as conn:
                await store.append(conn, stream, n + 1, [SelfEvaluationWritten(text=f"第{n}版")], ACTOR,
                                   NOW + dt.timedelta(minutes=n), algorithm=algorithm)
    yield url, engine
    await engine.dispose()


async def breaks(engine):
    return (await DossierService(engine, today=dt.date.today).verify())[2]


async def test_an_untouched_store_verifies(chained) -> None:
    _, engine = chained
    streams, events, found = await DossierService(engine, today=dt.date.today).verify()
    assert (streams, events, found) == (2, 10, [])
    async with engine.connect() as conn:
        hashes = [e.hash for e in await store.read_stream(conn, "c-1")] + [
            e.hash for e in await store.read_stream(conn, "c-2")]
    assert all(h.startswith("sm3:") for h in hashes[:5]) and all(h.startswith("sha256:") for h in hashes[5:])


async def test_altering_a_row_breaks_the_chain_at_that_event(chained) -> None:
    _, engine = chained
    async with engine.connect() as conn:
        target = (await store.read_stream(conn, "c-1"))[2]
    await tamper(engine, f"UPDATE events SET data = '{{\"text\": \"篡改\"}}' WHERE event_id = '{target.event_id}'")
    [b] = await breaks(engine)
    assert (b.stream_id, b.stream_version, b.event_id) == ("c-1", 3, target.event_id)


async def test_altering_only_the_actor_is_caught_too(chained) -> None:
    _, engine = chained
    await tamper(engine, "UPDATE events SET actor = 'forger' WHERE stream_id = 'c-2' AND stream_version = 4")
    [b] = await breaks(engine)
    assert (b.stream_id, b.stream_version) == ("c-2", 4)


async def test_deleting_a_row_breaks_the_chain_where_it_was(chained) -> None:
    _, engine = chained
    await tamper(engine, "DELETE FROM events WHERE stream_id = 'c-1' AND stream_version = 2")
    [b] = await breaks(engine)
    assert (b.stream_id, b.stream_version) == ("c-1", 2) and "missing" in b.problem


async def test_reordering_rows_breaks_the_chain_at_the_first_moved_event(chained) -> None:
    _, engine = chained
    swap = "UPDATE events SET stream_version = {new} WHERE stream_id = 'c-2' AND stream_version = {old}"
    await tamper(engine, swap.format(old=3, new=99), swap.format(old=4, new=3), swap.format(old=99, new=4))
    [b] = await breaks(engine)
    assert (b.stream_id, b.stream_version) == ("c-2", 3)


async def test_shiji_verify_reports_the_break_and_fails(chained, tmp_path) -> None:
    url, engine = chained
    env = {"SHIJI_DOSSIER_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    ok = subprocess.run([sys.executable, "-m", "services.cli", "verify"], env=env, capture_output=True, text=True)
    assert ok.returncode == 0 and "every hash chain is intact" in ok.stdout, ok.stdout + ok.stderr
    await tamper(engine, "UPDATE events SET actor_role = 'x' WHERE stream_id = 'c-1' AND stream_version = 5")
    broken = subprocess.run([sys.executable, "-m", "services.cli", "verify"], env=env, capture_output=True, text=True)
    assert broken.returncode == 1
    assert "BROKEN stream c-1 at version 5" in broken.stdout


async def test_a_revocation_is_chained_like_any_event(chained) -> None:
    _, engine = chained
    async with engine.begin() as conn:
        await store.append(conn, "c-1", 5, [EntryRevoked(entry_id="e", reason="r")], ACTOR, NOW)
    assert await breaks(engine) == []
