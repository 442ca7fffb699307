"""The directories behind the cadre search and the task lists (issue 15), on both databases: kept with the
events, rebuilt from the events to the same rows, and on PostgreSQL a search by part of a name uses the
trigram index (pg_trgm) rather than reading the whole directory."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text

from services.dossier import directory
from services.dossier.finder import Finder
from services.dossier.store import Actor
from services.dossier.tables import post_directory, task_directory
from shared import commands as c

CLERK = Actor("clerk-1", "clerk")
QUARTER = f"{dt.date.today().year - 1}-Q4"


async def _rows(engine, table) -> list[tuple]:
    async with engine.connect() as conn:
        return sorted(tuple(r) for r in await conn.execute(select(table)))


async def test_tasks_and_post_titles_are_kept_with_the_events_and_rebuilt_from_them(two_dossiers) -> None:
    service, _ = two_dossiers
    await service.execute("register_unit", c.RegisterUnit(unit_id="city", name="市", level="city", unit_class="c"),
                          {}, CLERK)
    ids = {}
    for name, leadership in (("王局长", "chief"), ("李科员", "member")):
        ids[name] = (await service.execute("register_cadre", c.RegisterCadre(name=name, unit_id="city"), {},
                                           CLERK)).body["id"]
        await service.execute("assign_post", c.AssignPost(unit_id="city", position=name[1:], rank="处级",
                                                          leadership=leadership, start_date=dt.date(2020, 1, 1)),
                              {"cadre_id": ids[name]}, CLERK)
    li = Actor(ids["李科员"], "cadre")
    where = {"cadre_id": ids["李科员"], "period": QUARTER}
    await service.execute("save_report", c.SaveQuarterlyReport(key_work="k", indicator_progress="i",
                                                               most_satisfied="m", least_satisfied="l"), where, li)
    await service.execute("submit_report", c.SubmitQuarterlyReport(), where, li)
    await service.execute("claim_achievement", c.ClaimAchievement(title="港口", description="d",
                                                                  effective_date=dt.date(2025, 1, 1)),
                          {"cadre_id": ids["李科员"]}, li)
    kept = await _rows(service._engine, task_directory)
    assert sorted(r[1] for r in kept) == ["endorse_report", "verify_achievement"]
    finder = Finder(service._engine, dt.date.today)
    assert [t["name"] for t in (await finder.tasks(leader=ids["王局长"]))["tasks"]] == ["李科员", "李科员"]
    assert (await finder.tasks(leader=ids["李科员"]))["tasks"] == []
    posts = await _rows(service._engine, post_directory)
    assert sorted(r[-1] for r in posts) == ["局长", "科员"]

    async with service._engine.begin() as conn:
        await conn.run_sync(directory.rebuild_sync)
    assert await _rows(service._engine, task_directory) == kept
    assert await _rows(service._engine, post_directory) == posts


async def test_a_search_by_part_of_a_name_uses_the_trigram_index_on_postgresql(database_url_factory) -> None:
    url = await database_url_factory("dossier")
    if not url.startswith("postgresql"):
        return  # SQLite reads the directory: LIKE, no index needed for a county
    from shared.db import make_engine

    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            indexes = set(await conn.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'cadre_directory'")))
            assert "ix_cadre_directory_name_trgm" in indexes
            await conn.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(await conn.scalars(text(
                "EXPLAIN SELECT cadre_id FROM cadre_directory WHERE name ILIKE '%张伟明%'")))
            assert "ix_cadre_directory_name_trgm" in plan, plan
    finally:
        await engine.dispose()
