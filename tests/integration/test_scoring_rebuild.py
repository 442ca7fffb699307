"""Warnings and published totals: announced once across redelivery, restart and rebuild, and a
rebuild from offset zero reproduces the projections exactly. Both wirings."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from services.scoring.consumer import ScoringConsumer
from services.scoring.evaluation import Evaluator
from services.scoring.rules import RuleBook
from services.scoring.tables import consumer_positions, entries, outbox, published_totals, warnings
from shared.commands import RecordEntry, RevokeEntry
from shared.db import make_engine
from shared.scoring_topics import TOTALS_TOPIC, WARNINGS_TOPIC
from tests.integration.test_pipeline import (
    ACTOR,
    SETUP,
    TODAY,
    Pipeline,
    consume_for,
    consume_until,
    pipeline,
    write_city,
)

__all__ = ["pipeline"]  # the fixture, shared with test_pipeline

EVALUATOR = Evaluator(RuleBook.load())


async def snapshot(engine) -> dict[str, list]:
    """What other systems see of a scoring database: its warnings and totals, the warning messages it
    announced (ids are content-derived, so equal announcements have equal ids), and the newest totals
    message of each cadre (how many came before it depends on how events were batched)."""
    async with engine.connect() as conn:
        messages = [(r.topic, json.loads(r.value)) for r in await conn.execute(select(outbox).order_by(outbox.c.position))]
        newest_totals = {m["subject"]: m["data"]["total"] for topic, m in messages if topic == TOTALS_TOPIC}
        return {
            "warnings": sorted((r.cadre_id, r.key, r.level, r.cleared_at is None)
                               for r in await conn.execute(select(warnings))),
            "totals": sorted((r.cadre_id, r.total_cents) for r in await conn.execute(select(published_totals))),
            "entries": sorted((r.entry_id, r.points_cents, r.effective_date) for r in await conn.execute(select(entries))),
            "warning_messages": sorted(m["id"] for topic, m in messages if topic == WARNINGS_TOPIC),
            "newest_totals": sorted((cadre, round(total * 100)) for cadre, total in newest_totals.items()),
        }


def consumer_of(engine, subscribe) -> ScoringConsumer:
    return ScoringConsumer(engine, subscribe, max_batch=7, evaluator=EVALUATOR, today=lambda: TODAY)


async def consume(consumer: ScoringConsumer, subscribe, events: int) -> None:
    sub = subscribe(consumer.start_positions)
    try:
        await consume_until(consumer, sub, events)
    finally:
        await sub.close()


async def test_warnings_are_announced_once_across_redelivery_restart_and_rebuild(pipeline: Pipeline) -> None:
    raised_before, cleared_before = EVALUATOR.raised, EVALUATOR.cleared
    cadres = list(await write_city(pipeline, cadres=3, entries_each=4))  # each ends at +2.5
    cmd = RecordEntry(kind="negative", category="work_style", title="通报", points=-5,
                      effective_date=TODAY - dt.timedelta(days=3), basis={"reason": "r", "document": "d"})
    recorded = [await pipeline.dossier.execute("record_entry", cmd, {"cadre_id": c}, ACTOR) for c in cadres]
    await pipeline.publish_all()
    consumer = consumer_of(pipeline.scoring_engine, pipeline.subscribe)
    await consume(consumer, pipeline.subscribe, SETUP + 3 * 5 + 3)  # every cadre at -2.5: three red warnings
    await pipeline.dossier.execute("revoke_entry", RevokeEntry(reason="撤销"),
                                   {"cadre_id": cadres[0], "entry_id": recorded[0].body["entry_id"]}, ACTOR)
    await pipeline.publish_all()
    await consume(consumer, pipeline.subscribe, consumer.applied + 1)  # the first is back at +2.5: cleared
    first = await snapshot(pipeline.scoring_engine)
    # -5 makes each three-year total negative (red) and this quarter's points -3.5 (yellow); the
    # revocation ends both of the first cadre's
    quarter = f"quarter_points_low:{TODAY.year}-Q4"
    assert [(c, key, active) for c, key, _, active in first["warnings"]] == sorted(
        [(c, key, c != cadres[0]) for c in cadres for key in (quarter, "rolling_total_negative")])
    assert len(first["warning_messages"]) == 6 + 2  # six raised, two cleared: one message each
    assert (EVALUATOR.raised - raised_before, EVALUATOR.cleared - cleared_before) == (6, 2)  # the metrics' counts
    assert first["newest_totals"] == first["totals"]  # the newest announcement is the current total

    # A restart from the stored positions applies and announces nothing.
    restarted = consumer_of(pipeline.scoring_engine, pipeline.subscribe)
    sub = pipeline.subscribe(restarted.start_positions)
    try:
        assert await consume_for(restarted, sub, 1.0) == [] and restarted.applied == 0
    finally:
        await sub.close()
    # A redelivery of everything (positions lost) changes nothing and announces nothing.
    async with pipeline.scoring_engine.begin() as conn:
        await conn.execute(consumer_positions.delete())
    await consume(consumer_of(pipeline.scoring_engine, pipeline.subscribe), pipeline.subscribe, consumer.applied)
    assert await snapshot(pipeline.scoring_engine) == first

    # A rebuild into an empty scoring database from offset zero: the same projections, totals and active
    # warnings. (It evaluates at other batch edges, so a warning that was raised and cleared in between,
    # like the first cadre's, need not reappear: a rebuild announces the state, not the history again.)
    url, subscribe = await pipeline.another_scoring()
    rebuilt_engine = make_engine(url)
    try:
        await consume(consumer_of(rebuilt_engine, subscribe), subscribe, consumer.applied)
        rebuilt = await snapshot(rebuilt_engine)
    finally:
        await rebuilt_engine.dispose()
    for part in ("entries", "totals", "newest_totals"):
        assert rebuilt[part] == first[part]
    assert [w for w in rebuilt["warnings"] if w[3]] == [w for w in first["warnings"] if w[3]]
