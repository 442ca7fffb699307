"""Scoring's facts built from the event store in one set-based pass (``services/scoring/from_store.py``)
equal the facts the consumer builds from the same events, message by message (PostgreSQL: the pass is
COPY and SQL)."""

from __future__ import annotations

import copy
import datetime as dt
import inspect
import io
import json
import re
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from services.demo_city import CityShape, write_ndjson
from services.dossier import store
from services.dossier.importer import Importer, ndjson_rows
from services.dossier.relay import message_of
from services.dossier.service import DossierService
from services.dossier.store import Actor
from services.scoring import from_store, projection
from services.scoring.assessment_tables import assessment_inputs, assessment_schemes
from services.scoring.consumer import CONSUMER_NAME, ScoringConsumer
from services.scoring.tables import applied_versions, consumer_positions, current_entries, entries, results
from shared.answers.assessments import EXAMPLE_SCHEME
from shared.bus import DeliveredMessage
from shared.db import make_engine, write_transaction
from shared.events import (
    EVENT_TYPES,
    AchievementVerified,
    AssessmentGradeDecided,
    AssessmentInputRevoked,
    AssessmentNoticeAnswered,
    AssessmentNoticeIssued,
    AssessmentSchemePublished,
    AssessmentScoresRecorded,
    Basis,
    ConstraintBreachRecorded,
    DeclarationRecorded,
    EntryRecorded,
    EvaluationScoreRecorded,
    IndicatorReadingRecorded,
    IntegrityVetoRecorded,
    TargetEvaluationRecorded,
    TeamGradeRecorded,
)
from tests.support.tamper import rechain, tamper

CLERK = Actor("clerk-1", "clerk")
TODAY = dt.date(2026, 11, 22)
TOPIC = "shiji.dossier.events.v1"
TWICE = "entry-made-twice"
INDEXES = "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2"
CONSTRAINTS = ("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
               "WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2")


def test_every_event_type_the_consumer_projects_is_read_here_in_its_current_version() -> None:
    by_class = {cls.__name__: event_type for event_type, cls in EVENT_TYPES.items()}
    projected = {by_class[name] for name in re.findall(r"case (\w+)\(\):", inspect.getsource(projection.rows_for))}
    assert projected == set(from_store.PROJECTED)
    for event_type, versions in from_store.PROJECTED.items():
        assert EVENT_TYPES[event_type].schema_version in versions, event_type
    assert {t for sql in from_store.FILL for t in re.findall(r"event_type = '(\w+)'", sql)} == projected


def rare_events(cadre: str, other: str) -> list[tuple[str, list]]:
    """Events of the projected types the generated city has none of, appended straight to the store; and an
    entry id made in two cadres' streams (an import can carry ids over): the first one made is kept."""
    basis = Basis(reason="r", document="秦组字〔2024〕7号")
    return [
        (cadre, [EntryRecorded(entry_id=TWICE, kind="positive", category="honour", title="先", points=Decimal("1"),
                               effective_date=dt.date(2025, 1, 2), basis=basis)]),
        (other, [EntryRecorded(entry_id=TWICE, kind="negative", category="work_style", title="后",
                               points=Decimal("-4"), effective_date=dt.date(2025, 1, 3), basis=basis)]),
        (cadre, [AchievementVerified(achievement_id=str(uuid.uuid4()), title="t", category="honour",
                                     points=Decimal("3.25"), effective_date=dt.date(2025, 5, 1)),
                 AssessmentScoresRecorded(year=2024, mass_satisfaction=Decimal("90"), political_quality=None),
                 AssessmentScoresRecorded(year=2025, mass_satisfaction=Decimal("85.5"),
                                          political_quality=Decimal("0.05")),
                 IntegrityVetoRecorded(year=2025, basis=basis),
                 DeclarationRecorded(declaration="naked_official", flagged=True, sealed_details="eA==", key_id="k"),
                 DeclarationRecorded(declaration="relatives", flagged=False, sealed_details="eA==", key_id="k"),
                 # version 1 of an entry (no impact period), as an old store holds it
                 EntryRecorded(entry_id=str(uuid.uuid4()), kind="negative", category="work_style", title="旧",
                               points=Decimal("-2.55"), effective_date=dt.date(2024, 3, 1), basis=basis)]),
        ("unit-c01", [TeamGradeRecorded(year=2025, grade="good"), TargetEvaluationRecorded(year=2025, prize="second")]),
        *assessment_events(cadre, basis),
    ]


def assessment_events(cadre: str, basis: Basis) -> list[tuple[str, list]]:
    """One of each assessment event (issue 16): a scheme, a unit's reading (corrected, then revoked), score and
    breach, a notice and its answer, a cadre's score."""
    scheme = copy.deepcopy(EXAMPLE_SCHEME)
    common = {"scheme_id": "district-2025", "year": 2025}
    return [
        ("scheme-district-2025", [AssessmentSchemePublished(scheme_id="district-2025", version=1,
                                                            effective_from=dt.date(2025, 1, 1), scheme=scheme)]),
        ("unit-c01", [
            IndicatorReadingRecorded(input_id="r1", indicator_id="gdp", period="2025-07", source="统计局",
                                     effective_date=dt.date(2025, 7, 31), value=Decimal("104.50"),
                                     target=Decimal("100"), **common),
            IndicatorReadingRecorded(input_id="r2", indicator_id="poverty", period="2025", source="核查",
                                     effective_date=dt.date(2025, 12, 1), level="good", reason="更正", **common),
            EvaluationScoreRecorded(input_id="s1", component_id="routine", evaluation="routine", period="2025-Q2",
                                    effective_date=dt.date(2025, 6, 30), score=Decimal("88.5"), source="季度监测",
                                    **common),
            ConstraintBreachRecorded(input_id="b1", indicator_id="ecology", effective_date=dt.date(2025, 5, 1),
                                     note="事故", basis=basis, **common),
            AssessmentInputRevoked(input_id="r1", reason="报送有误", **common),
            AssessmentGradeDecided(subject_kind="unit", grade="pass", calculated="merit", proposed="fail",
                                   departures=({"rule": "proposal", "reason": "复核"},), **common),
            AssessmentNoticeIssued(notice_id="n1", indicator_id="gdp", period="2025-07",
                                   effective_date=dt.date(2025, 8, 5), note="限期整改", basis=basis, **common),
            AssessmentNoticeAnswered(notice_id="n1", effective_date=dt.date(2025, 8, 18), note="已整改",
                                     document="区〔2025〕3号", **common)]),
        (cadre, [EvaluationScoreRecorded(input_id="s2", component_id="superior", evaluation="superior",
                                         period="2025", effective_date=dt.date(2025, 12, 20), score=Decimal("92"),
                                         source="上级评价表", **common)]),
    ]


@pytest.fixture
async def city(pg):
    """A dossier database holding a generated city and one of each rarer projected event."""
    engine = make_engine(await pg.create("dossier"), pool_size=4)
    service = DossierService(engine, today=lambda: TODAY)
    await service.seed_catalogue()
    out = io.StringIO()
    write_ndjson(CityShape(cadres=12, events=1_500, seed=3), out)
    report = await Importer(service, CLERK, batch_rows=200).run(ndjson_rows(out.getvalue().splitlines(keepends=True)))
    assert report.refused == 0, report.errors[:3]
    async with engine.connect() as conn:
        cadre, other = (await conn.execute(text(
            "SELECT stream_id FROM events WHERE event_type = 'cadre_registered' ORDER BY position LIMIT 2"))).scalars()
    for stream, new in rare_events(cadre, other):
        async with write_transaction(engine) as conn:
            version = await store.stream_version(conn, stream)
            await store.append(conn, stream, version, new, CLERK, dt.datetime.now(dt.UTC))
    # the last entry made a version-1 event, as an old store holds it (hashed as it was written then)
    async with engine.connect() as conn:
        old = await conn.scalar(text("SELECT stream_id FROM events WHERE position = "
                                     "(SELECT max(position) FROM events WHERE event_type = 'entry_recorded')"))
    await tamper(engine, "UPDATE events SET schema_version = 1, data = data - 'impact_period' "
                         "WHERE position = (SELECT max(position) FROM events WHERE event_type = 'entry_recorded')")
    await rechain(engine, old)
    yield engine
    await engine.dispose()


async def consumed(engine, dossier) -> None:
    """What the consumer makes of the store's events, published in commit order on one partition."""
    async with dossier.connect() as conn:
        stored = await store.read_committed(conn, store.Cursor(), 100_000)
    messages = [DeliveredMessage(TOPIC, 0, offset, m.key, m.value, m.headers)
                for offset, m in enumerate(message_of(e) for e in stored)]
    consumer = ScoringConsumer(engine, subscribe=None)
    for start in range(0, len(messages), 500):
        await consumer.apply_batch(messages[start:start + 500])
    assert consumer.dead_lettered == 0


async def test_the_facts_built_from_the_store_equal_the_consumer_s(pg, city) -> None:
    by_consumer, by_store = make_engine(await pg.create("scoring")), make_engine(await pg.create("scoring"))
    try:
        await consumed(by_consumer, city)
        async with by_store.begin() as conn:
            built = await from_store.build(city, conn, {(TOPIC, 0): 4321, (TOPIC, 1): 0}, CONSUMER_NAME)
        async with city.connect() as conn:
            projected = await conn.scalar(text("SELECT count(*) FROM events WHERE event_type = ANY(:t)"),
                                          {"t": list(from_store.PROJECTED)})
        assert built.events == projected > 1_000

        async with by_consumer.connect() as a, by_store.connect() as b:
            assert await projection.checksum(a) == await projection.checksum(b)
            # not vacuously: every kind of result and the derived current entries are there
            kinds = {k for (k,) in await b.execute(select(results.c.kind).distinct())}
            assert kinds == {"annual_grade", "appraisal_level", "mass_satisfaction", "political_quality", "veto",
                             "team_grade", "target_prize", "assessment_grade"}
            # and the assessment's facts (issue 16): a scheme, and inputs of every kind
            assert await b.scalar(select(func.count()).select_from(assessment_inputs)) == 8
            assert await b.scalar(select(func.count()).select_from(assessment_schemes)) == 1
            assert await b.scalar(select(func.count()).select_from(current_entries)) > 500
            # the indexes and key constraints dropped for the fill are all back, as the migrations made them
            for schema in (INDEXES, CONSTRAINTS):
                assert (await a.execute(text(schema))).all() == (await b.execute(text(schema))).all()
            # the id made twice: one row, the first one made
            assert (await b.execute(select(entries.c.kind, entries.c.points_cents)
                                    .where(entries.c.entry_id == TWICE))).all() == [("positive", 100)]
            positions = {(r.partition, r.next_offset) for r in await b.execute(select(consumer_positions))}
            assert positions == {(0, 4321), (1, 0)}
            # and how far each stream is applied (read your own writes): every event of the store, either way
            versions = select(applied_versions).order_by(applied_versions.c.stream_id)
            assert (await a.execute(versions)).all() == (await b.execute(versions)).all() != []
    finally:
        await by_consumer.dispose()
        await by_store.dispose()


async def test_a_store_with_an_event_version_not_read_here_is_refused(pg, city) -> None:
    await tamper(city, "UPDATE events SET schema_version = 9 WHERE event_type = 'entry_revoked'")
    target = make_engine(await pg.create("scoring"))
    try:
        with pytest.raises(from_store.UnknownEvents, match="entry_revoked v9"):
            async with target.begin() as conn:
                await from_store.build(city, conn, {(TOPIC, 0): 1}, CONSUMER_NAME)
        async with target.connect() as conn:  # nothing half-built
            assert await conn.scalar(select(func.count()).select_from(consumer_positions)) == 0
    finally:
        await target.dispose()


def test_json_of_a_score_keeps_its_text() -> None:
    """What the SQL reads (data->>'mass_satisfaction') is what str() of the consumer's Decimal gives."""
    data = json.loads(json.dumps(AssessmentScoresRecorded(year=2024, mass_satisfaction=Decimal("90")).model_dump(mode="json")))
    assert str(AssessmentScoresRecorded.model_validate(data).mass_satisfaction) == "90.0" == json.dumps(data["mass_satisfaction"])
