"""The assessment's consequences acted on (issue 16, step 5) on both databases: a decision applied again (a
redelivery, a replay) announces nothing twice; a database that took the announcements over (a rebuild) acts
on the same decisions without announcing anything; a later decision withdraws and clears exactly once."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid

from sqlalchemy import select

from services.scoring import projection, repository
from services.scoring.assessment_acting import ConsequenceActing
from services.scoring.assessment_consequence_tables import assessment_consequences
from services.scoring.projection import Applicable
from services.scoring.tables import outbox, warnings
from shared.db import make_engine
from shared.envelope import Envelope, type_name
from shared.events import (
    AssessmentGradeDecided,
    CadreRegistered,
    DomainEvent,
    PostAssigned,
    RectificationReportFiled,
    UnitRegistered,
    to_data,
)

ACTING = ConsequenceActing(warnings_topic="w", consequences_topic="c")
NOW = dt.datetime(2026, 1, 20, 8, tzinfo=dt.UTC)
_positions = itertools.count(1)


def applicable(stream: str, event: DomainEvent, at: dt.datetime = NOW) -> Applicable:
    n = next(_positions)
    env = Envelope(id=str(uuid.uuid4()), source="/test", type=type_name(event.event_type, event.schema_version),
                   subject=stream, time=at, data=to_data(event), streamversion=n, position=n)
    return Applicable(env, event)


def world() -> list[Applicable]:
    head = "7b1d3c52-0000-4000-8000-000000000001"
    return [
        applicable("unit-ac-u", UnitRegistered(unit_id="ac-u", name="单位", level="unit", unit_class="x")),
        applicable(head, CadreRegistered(cadre_id=head, name="负责人", unit_id="ac-u")),
        applicable(head, PostAssigned(post_id="p-1", unit_id="ac-u", position="局长", rank="正处级",
                                      leadership="chief", start_date=dt.date(2020, 1, 1))),
    ]


def decided(grade: str, year: int = 2025, at: dt.datetime = NOW) -> Applicable:
    return applicable("unit-ac-u", AssessmentGradeDecided(scheme_id="ac-scheme", year=year, subject_kind="unit",
                                                          grade=grade, reason="复核"), at)


async def announced(engine) -> dict[str, list]:
    async with engine.connect() as conn:
        messages = [(r.topic, json.loads(r.value)["id"]) for r in await conn.execute(select(outbox))]
        rows = [(r.key, r.occurrence, r.withdrawn_at is None, r.filed_event_id is not None)
                for r in await conn.execute(select(assessment_consequences))]
        warned = [(r.key, r.occurrence, r.cleared_at is None) for r in await conn.execute(select(warnings))]
    return {"messages": sorted(messages), "rows": sorted(rows), "warnings": sorted(warned)}


async def act(engine, batch: list[Applicable]) -> None:
    async with engine.begin() as conn:
        await projection.apply(conn, batch)
        await ACTING.act(conn, batch, NOW)


async def test_a_decision_is_acted_on_once_and_withdrawn_once(database_url_factory) -> None:
    engine = make_engine(await database_url_factory("scoring"))
    rebuilt = make_engine(await database_url_factory("scoring"))
    try:
        fail = decided("fail")
        await act(engine, [*world(), fail])
        first = await announced(engine)
        assert [topic for topic, _ in first["messages"]].count("c") == 2  # report owed, head's talk
        assert [topic for topic, _ in first["messages"]].count("w") == 1 and len(first["warnings"]) == 1
        await act(engine, [fail])  # redelivered
        assert await announced(engine) == first

        # a rebuilt database takes the announcements over, replays every event: nothing new is announced
        async with engine.connect() as source, rebuilt.begin() as sink:
            await repository.replace_announced(sink, await repository.read_announced(source))
        await act(rebuilt, [*world(), fail])
        async with rebuilt.connect() as conn:
            assert [r for r in await conn.execute(select(outbox))] == []

        report = applicable("unit-ac-u", RectificationReportFiled(
            scheme_id="ac-scheme", year=2025, report={"reason": "整改", "document": "d"}))
        await act(engine, [report])
        await act(engine, [report])
        filed = await announced(engine)
        assert len(filed["messages"]) == len(first["messages"]) + 1
        assert sum(1 for *_, was_filed in filed["rows"] if was_filed) == 1

        passed = decided("pass", at=NOW + dt.timedelta(days=1))
        await act(engine, [passed])
        await act(engine, [passed])
        after = await announced(engine)
        assert all(not active for _, _, active, _ in after["rows"]) and all(not a for *_, a in after["warnings"])
        assert len(after["messages"]) == len(filed["messages"]) + 3  # two withdrawn, one warning cleared
    finally:
        await engine.dispose()
        await rebuilt.dispose()
