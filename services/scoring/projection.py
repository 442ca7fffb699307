"""Writing the facts: applying a batch of events, dead letters, the consumer's positions; and what a
rebuild empties and compares (``reset``, ``checksum``). Runs within the caller's transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scoring import assessment_marks
from services.scoring.assessment_tables import assessment_inputs, assessment_schemes
from services.scoring.assessment_tracking.notices import notice_row
from services.scoring.day_sheet import keep as day_sheet
from services.scoring.facts import refresh_current_entries
from services.scoring.model import cents
from services.scoring.tables import (
    applied_versions,
    cadres,
    consumer_positions,
    current_entries,
    dead_letters,
    declarations,
    entries,
    entry_amendments,
    post_ends,
    posts,
    results,
    revocations,
    units,
)
from shared.db import insert_ignore, upsert
from shared.dead_letters import Reason
from shared.envelope import Envelope
from shared.events import (
    AchievementVerified,
    AnnualGradeRecorded,
    AppraisalLevelRecorded,
    AssessmentGradeDecided,
    AssessmentInputRevoked,
    AssessmentNoticeAnswered,
    AssessmentNoticeIssued,
    AssessmentSchemePublished,
    AssessmentScoresRecorded,
    CadreRegistered,
    ConstraintBreachRecorded,
    DeclarationRecorded,
    DomainEvent,
    EntryAmended,
    EntryRecorded,
    EntryRevoked,
    EvaluationScoreRecorded,
    ImpactPeriod,
    IndicatorReadingRecorded,
    IntegrityVetoRecorded,
    PostAssigned,
    PostEnded,
    TargetEvaluationRecorded,
    TeamGradeRecorded,
    UnitRegistered,
)


@dataclass(frozen=True, slots=True)
class Applicable:
    """A message turned into an event we project, with the envelope attributes we keep."""

    envelope: Envelope
    event: DomainEvent


@dataclass(frozen=True, slots=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    error: str
    value: bytes
    reason: Reason = "unreadable"  # shared/dead_letters.py
    envelope: Envelope | None = None  # when the message was a readable envelope


_TABLES = {t.name: t for t in (cadres, entries, entry_amendments, revocations, posts, post_ends, units, results,
                               declarations, assessment_schemes, assessment_inputs)}
UNIT_STREAM_PREFIX = "unit-"  # the dossier keeps each unit in a stream of its own
CATALOGUE_STREAM = "catalogue"


SCHEME_STREAM_PREFIX = "scheme-"  # an assessment scheme's versions (issue 16)


def is_cadre_stream(subject: str) -> bool:
    return (not subject.startswith((UNIT_STREAM_PREFIX, SCHEME_STREAM_PREFIX))) and subject != CATALOGUE_STREAM


def _impact(period: ImpactPeriod | None) -> dict[str, dt.date | None]:
    return {"impact_start": period.start if period else None, "impact_end": period.end if period else None}


def _result(env: Envelope, subject: str, year: int, kind: str, value: object) -> dict:
    return {"event_id": env.id, "kind": kind, "subject_id": subject, "year": year, "value": str(value),
            "recorded_at": env.time}


AssessmentInput = IndicatorReadingRecorded | EvaluationScoreRecorded | ConstraintBreachRecorded | AssessmentInputRevoked


def _input(env: Envelope, subject: str, event: AssessmentInput, item: str | None = None, **values: object) -> dict:
    """A row of ``assessment_inputs``: every column named, those the event has not left empty."""
    columns = ("period", "evaluation", "effective_date", "value", "level", "last_year", "target", "score", "note",
               "source")
    row = {"event_id": env.id, "event_type": event.event_type, "input_id": event.input_id,
           "subject_id": subject, "scheme_id": event.scheme_id, "year": event.year,
           "item_id": item, "recorded_at": env.time, **{c: None for c in columns}}
    row.update({k: None if v is None else v if k in ("effective_date", "period", "evaluation", "level", "note",
                                                      "source") else str(v) for k, v in values.items()})
    return row


def rows_for(batch: Iterable[Applicable]) -> dict[str, list[dict]]:
    """The projection rows each event implies, by table; events that count for nothing imply none.
    (``from_store.FILL`` makes the same rows in SQL for a rebuild: a type projected here must be read there,
    which tests/integration/test_rebuild_from_store.py checks.)"""
    rows: dict[str, list[dict]] = {name: [] for name in _TABLES}
    for item in batch:
        env, event = item.envelope, item.event
        cadre = env.subject
        unit = cadre.removeprefix(UNIT_STREAM_PREFIX)
        match event:
            case CadreRegistered():
                rows["cadres"].append({"cadre_id": cadre, "event_id": env.id, "name": event.name,
                                       "unit_id": event.unit_id, "recorded_at": env.time})
            case EntryRecorded():
                rows["entries"].append({"entry_id": event.entry_id, "event_id": env.id, "cadre_id": cadre,
                                        "kind": event.kind.value, "category": event.category,
                                        "points_cents": cents(event.points), "effective_date": event.effective_date,
                                        "recorded_at": env.time, **_impact(event.impact_period)})
            case AchievementVerified():
                # A verified achievement counts like an entry; its id is the achievement's.
                rows["entries"].append({"entry_id": event.achievement_id, "event_id": env.id, "cadre_id": cadre,
                                        "kind": "achievement", "category": event.category,
                                        "points_cents": cents(event.points), "effective_date": event.effective_date,
                                        "recorded_at": env.time, **_impact(None)})
            case EntryAmended():
                rows["entry_amendments"].append({"event_id": env.id, "entry_id": event.entry_id, "cadre_id": cadre,
                                                 "category": event.category, "points_cents": cents(event.points),
                                                 "effective_date": event.effective_date, "recorded_at": env.time,
                                                 **_impact(event.impact_period)})
            case EntryRevoked():
                rows["revocations"].append({"entry_id": event.entry_id, "event_id": env.id, "cadre_id": cadre,
                                            "recorded_at": env.time})
            case PostAssigned():
                rows["posts"].append({"post_id": event.post_id, "event_id": env.id, "cadre_id": cadre,
                                      "unit_id": event.unit_id, "leadership": event.leadership.value,
                                      "rank": event.rank, "start_date": event.start_date, "recorded_at": env.time})
            case PostEnded():
                rows["post_ends"].append({"event_id": env.id, "post_id": event.post_id, "end_date": event.end_date,
                                          "recorded_at": env.time})
            case UnitRegistered():
                rows["units"].append({"unit_id": event.unit_id, "event_id": env.id, "parent_id": event.parent_id,
                                      "level": event.level.value, "unit_class": event.unit_class,
                                      "recorded_at": env.time, "name": event.name})
            case AnnualGradeRecorded():
                rows["results"].append(_result(env, cadre, event.year, "annual_grade", event.grade.value))
            case AppraisalLevelRecorded():
                rows["results"].append(_result(env, cadre, event.year, "appraisal_level", event.level.value))
            case AssessmentScoresRecorded():
                for kind in ("mass_satisfaction", "political_quality"):
                    if (value := getattr(event, kind)) is not None:
                        rows["results"].append(_result(env, cadre, event.year, kind, value))
            case IntegrityVetoRecorded():
                rows["results"].append(_result(env, cadre, event.year, "veto", event.basis.document))
            case TeamGradeRecorded():
                rows["results"].append(_result(env, unit, event.year, "team_grade", event.grade.value))
            case TargetEvaluationRecorded():
                rows["results"].append(_result(env, unit, event.year, "target_prize", event.prize.value))
            case DeclarationRecorded():
                rows["declarations"].append({"event_id": env.id, "cadre_id": cadre, "declaration": event.declaration.value,
                                             "flagged": int(event.flagged), "recorded_at": env.time})
            # The annual comprehensive assessment (issue 16): a unit's inputs are in its stream, a cadre's in theirs.
            case AssessmentSchemePublished():
                rows["assessment_schemes"].append({"event_id": env.id, "scheme_id": event.scheme_id,
                                                   "version": event.version, "effective_from": event.effective_from,
                                                   "document": event.scheme, "recorded_at": env.time})
            case IndicatorReadingRecorded():
                rows["assessment_inputs"].append(_input(
                    env, unit, event, event.indicator_id, period=event.period, effective_date=event.effective_date,
                    value=event.value, level=event.level, last_year=event.last_year, target=event.target,
                    source=event.source))
            case EvaluationScoreRecorded():
                rows["assessment_inputs"].append(_input(
                    env, unit, event, event.component_id, period=event.period, evaluation=event.evaluation.value,
                    effective_date=event.effective_date, score=event.score, source=event.source))
            case ConstraintBreachRecorded():
                rows["assessment_inputs"].append(_input(env, unit, event, event.indicator_id,
                                                        effective_date=event.effective_date, note=event.note))
            case AssessmentInputRevoked():
                rows["assessment_inputs"].append(_input(env, unit, event, note=event.reason))
            case AssessmentGradeDecided():
                rows["results"].append(_result(env, unit, event.year, "assessment_grade", event.grade))
            case AssessmentNoticeIssued():  # its notices (step 6), among the inputs
                rows["assessment_inputs"].append(notice_row(env.id, env.time, unit, event))
            case AssessmentNoticeAnswered():
                rows["assessment_inputs"].append(notice_row(env.id, env.time, unit, event))
    return rows


async def apply(conn: AsyncConnection, batch: Sequence[Applicable]) -> None:
    """Insert the projection rows of ``batch``; rows already there (a redelivery) are left alone. Then
    the entries it recorded, amended or revoked are derived again into ``current_entries``."""
    by_table = rows_for(batch)
    for name, rows in by_table.items():
        if rows:
            await conn.execute(insert_ignore(conn.dialect.name, _TABLES[name]), rows)
    await assessment_marks.bump(conn, by_table)
    touched = {r["entry_id"] for name in ("entries", "entry_amendments", "revocations") for r in by_table[name]}
    await refresh_current_entries(conn, sorted(touched))


async def record_dead_letters(conn: AsyncConnection, letters: Sequence[DeadLetter]) -> None:
    if letters:
        now = dt.datetime.now(dt.UTC)
        await conn.execute(insert_ignore(conn.dialect.name, dead_letters), [
            {"topic": d.topic, "partition": d.partition, "offset": d.offset, "error": d.error[:2000],
             "value": d.value, "received_at": now} for d in letters
        ])


async def positions(conn: AsyncConnection, consumer: str, topic: str, partitions: Iterable[int]) -> dict[int, int]:
    rows = await conn.execute(
        select(consumer_positions.c.partition, consumer_positions.c.next_offset).where(
            consumer_positions.c.consumer == consumer,
            consumer_positions.c.topic == topic,
            consumer_positions.c.partition.in_(list(partitions)),
        )
    )
    return {r.partition: r.next_offset for r in rows}


async def save_positions(conn: AsyncConnection, consumer: str, next_offsets: dict[tuple[str, int], int]) -> None:
    now = dt.datetime.now(dt.UTC)
    for (topic, partition), offset in next_offsets.items():
        values = {"consumer": consumer, "topic": topic, "partition": partition, "next_offset": offset, "updated_at": now}
        await conn.execute(upsert(conn.dialect.name, consumer_positions, values,
                                  ["consumer", "topic", "partition"], ["next_offset", "updated_at"]))


# The facts the projection holds, by table and key: what a rebuild re-creates and the checksum covers.
# (Warnings, published totals and the outbox are what was announced, not facts: a rebuild keeps them,
# so the replayed facts re-evaluate to the same announcements and nothing is announced twice.)
FACTS = ((cadres, cadres.c.cadre_id), (entries, entries.c.entry_id), (current_entries, current_entries.c.entry_id),
         (entry_amendments, entry_amendments.c.event_id), (revocations, revocations.c.entry_id),
         (posts, posts.c.post_id), (post_ends, post_ends.c.event_id), (units, units.c.unit_id),
         (results, results.c.event_id, results.c.kind), (declarations, declarations.c.event_id),
         (assessment_schemes, assessment_schemes.c.event_id), (assessment_inputs, assessment_inputs.c.event_id))


async def reset(conn: AsyncConnection) -> None:
    """Empty the facts, the dead letters and the positions (offsets, versions applied): the consumer then re-reads the topic from
    offset zero and builds them again (``shiji rebuild scoring``)."""
    for table, *_ in FACTS:
        await conn.execute(table.delete())
    for table in (dead_letters, consumer_positions, applied_versions):
        await conn.execute(table.delete())
    await day_sheet.clear(conn)  # kept from the facts: empty and not valid until a fill completes


def _canonical(value: object) -> object:
    if isinstance(value, dt.datetime):  # SQLite keeps no zone: we only ever write UTC
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


async def checksum(conn: AsyncConnection) -> str:
    """A digest of the facts, row by row in key order. Equal digests mean equal projections, whatever
    topic, offsets, order or redeliveries they were built from (positions and dead letters, which
    depend on those, are left out)."""
    digest = hashlib.sha256()
    for table, *key in FACTS:
        digest.update(table.name.encode())
        async for row in await conn.stream(select(table).order_by(*key)):
            digest.update(json.dumps([_canonical(v) for v in row], ensure_ascii=False).encode() + b"\n")
    return digest.hexdigest()
