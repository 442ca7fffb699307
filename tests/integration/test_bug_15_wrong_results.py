"""Issue 15, items 1, 2 and 4 through the real consumer, daily job and migrations, on both wirings."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import select

from services.scoring.service import ScoringService
from services.scoring.tables import outbox, posts, warnings
from shared.commands import AssignPost, RecordEntry, RegisterCadre, RevokeEntry
from shared.db import alembic_config, make_engine, sqlite_url
from shared.scoring_topics import TOTALS_TOPIC, WARNINGS_TOPIC
from tests.conftest import PG, PgDatabases
from tests.integration.test_pipeline import ACTOR, SETUP, TODAY, Pipeline, consume_until, pipeline
from tests.integration.test_scoring_rebuild import EVALUATOR, consumer_of

__all__ = ["pipeline"]


async def messages(p: Pipeline, topic: str) -> list[dict]:
    async with p.scoring_engine.connect() as conn:
        return [json.loads(r.value) for r in await conn.execute(
            select(outbox).where(outbox.c.topic == topic).order_by(outbox.c.position))]


async def test_bug_15_1_and_2_raised_cleared_raised_again_on_one_day_each_with_its_own_id(pipeline: Pipeline) -> None:
    """Record -1 (red: a negative three-year total), revoke it (cleared), record -1 again the same day: the
    warning is raised again (it used to stay silent, even after the daily job). Every warning and totals
    message has an id of its own, though the totals go 0, -1, 0, -1."""
    cadre = (await pipeline.dossier.execute("register_cadre", RegisterCadre(name="干部", unit_id="u-1"), {}, ACTOR)
             ).body["id"]
    cmd = RecordEntry(kind="negative", category="work_style", title="通报", points=-1,
                      effective_date=TODAY - dt.timedelta(days=3), basis={"reason": "r", "document": "d"})
    consumer = consumer_of(pipeline.scoring_engine, pipeline.subscribe)
    sub = pipeline.subscribe(consumer.start_positions)
    try:
        applied = SETUP + 1

        async def step(action: str, command_, path: dict) -> dict:
            nonlocal applied
            written = await pipeline.dossier.execute(action, command_, path, ACTOR)
            await pipeline.publish_all()
            applied += 1
            await consume_until(consumer, sub, applied)
            return written.body

        await pipeline.publish_all()
        await consume_until(consumer, sub, applied)
        first = await step("record_entry", cmd, {"cadre_id": cadre})
        await step("revoke_entry", RevokeEntry(reason="撤销"), {"cadre_id": cadre, "entry_id": first["entry_id"]})
        await step("record_entry", cmd, {"cadre_id": cadre})
    finally:
        await sub.close()
    assert await ScoringService(pipeline.scoring_engine, EVALUATOR).daily_refresh(TODAY) is not None

    async with pipeline.scoring_engine.connect() as conn:
        rows = (await conn.execute(select(warnings).where(warnings.c.key == "rolling_total_negative")
                                   .order_by(warnings.c.occurrence))).all()
    assert [(r.occurrence, r.raised_on, r.cleared_on) for r in rows] == [(1, TODAY, TODAY), (2, TODAY, None)]
    assert rows[1].detail == f"three-year total -1 below 0 on {TODAY}" and (rows[1].figure, rows[1].threshold) == ("-1", "0")

    announced = [m for m in await messages(pipeline, WARNINGS_TOPIC) if m["data"]["key"] == "rolling_total_negative"]
    assert [m["data"]["status"] for m in announced] == ["raised", "cleared", "raised"]
    assert len({m["id"] for m in announced}) == 3
    totals = [m for m in await messages(pipeline, TOTALS_TOPIC) if m["subject"] == cadre]
    assert [m["data"]["total"] for m in totals] == [0, -1, 0, -1]
    assert len({m["id"] for m in totals}) == 4


async def test_bug_15_4_posts_keep_their_rank(pipeline: Pipeline) -> None:
    """Screening counts 任职满三年 at the post's level: the projection keeps each post's rank."""
    cadre = (await pipeline.dossier.execute("register_cadre", RegisterCadre(name="干部", unit_id="u-1"), {}, ACTOR)
             ).body["id"]
    await pipeline.dossier.execute("assign_post", AssignPost(unit_id="u-1", position="局长", rank="正处级",
                                                             leadership="chief", start_date=dt.date(2020, 1, 1)),
                                   {"cadre_id": cadre}, ACTOR)
    await pipeline.publish_all()
    consumer, sub = pipeline.consumer()  # closed by the fixture
    await consume_until(consumer, sub, SETUP + 2)
    async with pipeline.scoring_engine.connect() as conn:
        assert (await conn.execute(select(posts.c.rank).where(posts.c.cadre_id == cadre))).scalar_one() == "正处级"


def _migrate(sync_conn, revision: str) -> None:
    cfg = alembic_config("scoring")
    cfg.attributes["connection"] = sync_conn
    command.upgrade(cfg, revision)


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "scoring.db")
    else:
        dbs = PgDatabases(PG)
        try:
            yield await dbs.create()
        finally:
            await dbs.drop_all()


async def test_bug_15_2_the_migration_numbers_the_occurrences_of_existing_warnings(empty_url: str) -> None:
    url = empty_url  # scoring's history is applied here step by step
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_migrate, "0005")
            for day, cleared in ((dt.date(2026, 1, 5), dt.date(2026, 2, 1)), (dt.date(2026, 3, 1), None),
                                 (dt.date(2026, 1, 1), dt.date(2026, 1, 2))):
                await conn.execute(sa.text(
                    "INSERT INTO warnings (cadre_id, key, raised_on, kind, level, detail, rule_set, raised_at, "
                    "cleared_on, cleared_at) VALUES ('c-1', 'k', :day, 'rolling_total_negative', 'red', 'd', 'r@1', "
                    ":at, :cleared, :cleared_at)"),
                    {"day": day, "at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "cleared": cleared,
                     "cleared_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC) if cleared else None})
            await conn.run_sync(_migrate, "head")
        async with engine.begin() as conn:
            rows = (await conn.execute(sa.text("SELECT occurrence, raised_on FROM warnings ORDER BY occurrence"))).all()
            assert [(o, str(d)) for o, d in rows] == [(1, "2026-01-01"), (2, "2026-01-05"), (3, "2026-03-01")]
            # the new key takes a second raising on the same day
            await conn.execute(sa.text(
                "INSERT INTO warnings (cadre_id, key, occurrence, raised_on, kind, level, detail, rule_set, raised_at) "
                "VALUES ('c-1', 'k', 4, '2026-03-01', 'rolling_total_negative', 'red', 'd', 'r@1', :at)"),
                {"at": dt.datetime(2026, 3, 1, tzinfo=dt.UTC)})
    finally:
        await engine.dispose()
