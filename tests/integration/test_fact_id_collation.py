"""Scoring migration 0013: the facts' ids compare byte by byte ("C"), in the order Python sorts them, and a
redelivered entry is still refused by its key once ``uq_entries_event_id`` is gone."""

from __future__ import annotations

import datetime as dt
import importlib

from alembic import command
from sqlalchemy import text

from services.scoring.tables import entries
from shared.db import alembic_config, insert_ignore, make_engine

MIGRATION = importlib.import_module("migrations.scoring.versions.0013_ids_in_c_collation")
IDS = ["unit-b", "unit-B", "cadre.10", "cadre-9", "张三", "Zeta", "a_b", "a-b"]


async def collations(engine) -> dict[tuple[str, str], str | None]:
    async with engine.connect() as conn:
        rows = await conn.execute(text(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ANY(:tables)"), {"tables": list(MIGRATION.ID_COLUMNS)})
        return {(t, c): collation for t, c, collation in rows}


async def test_ids_sort_as_python_sorts_them_and_a_redelivery_adds_nothing(pg) -> None:
    engine = make_engine(await pg.create("scoring"))
    try:
        found = await collations(engine)
        assert {found[(t, c)] for t, columns in MIGRATION.ID_COLUMNS.items() for c, _ in columns} == {"C"}
        assert found[("cadres", "name")] is None  # names a person reads keep the database's collation
        now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        rows = [{"entry_id": f"e-{i}", "event_id": f"ev-{i}", "cadre_id": cadre, "kind": "positive", "category": "honour",
                 "points_cents": 100, "effective_date": dt.date(2025, 1, 1), "recorded_at": now}
                for i, cadre in enumerate(IDS)]
        async with engine.begin() as conn:
            await conn.execute(insert_ignore("postgresql", entries), rows)
            # the same events delivered again, and one event id under another entry's id: nothing new
            await conn.execute(insert_ignore("postgresql", entries), rows)
            ordered = [c for (c,) in await conn.execute(text("SELECT cadre_id FROM entries ORDER BY cadre_id"))]
            # a literal compared with a "C" column takes "C": no collation to name in a query
            after = (await conn.execute(text("SELECT count(*) FROM entries WHERE cadre_id > :c"), {"c": "a"})).scalar()
        assert ordered == sorted(IDS)
        assert after == sum(1 for i in IDS if i > "a")
    finally:
        await engine.dispose()


async def test_the_migration_goes_down_and_up_again(pg) -> None:
    engine = make_engine(await pg.create("scoring"))
    try:
        def down_and_up(target: str):
            def run(sync_conn) -> None:
                cfg = alembic_config("scoring")
                cfg.attributes["connection"] = sync_conn
                command.downgrade(cfg, MIGRATION.down_revision) if target == "down" else command.upgrade(cfg, "head")
            return run

        async with engine.begin() as conn:
            await conn.run_sync(down_and_up("down"))
        assert set((await collations(engine)).values()) == {None}
        async with engine.connect() as conn:
            unique = await conn.scalar(text("SELECT count(*) FROM pg_constraint WHERE conname = 'uq_entries_event_id'"))
        assert unique == 1
        async with engine.begin() as conn:
            await conn.run_sync(down_and_up("up"))
        found = await collations(engine)
        assert {found[(t, c)] for t, columns in MIGRATION.ID_COLUMNS.items() for c, _ in columns} == {"C"}
    finally:
        await engine.dispose()
