"""Acting on the annual assessment's decided grades (issue 16, step 5), in the consumer's transaction.

When a batch applies ``assessment_grade_decided`` events, each subject's year is computed as of 31 December
(``AssessmentReads`` on the consumer's connection), its consequences derived from the decided grade
(``assessment.acting``: what triggers what, written down there), and the difference from what scoring holds
made: consequence rows raised or withdrawn, warnings raised or cleared on ``shiji.scoring.warnings.v1``,
and every change announced on ``shiji.scoring.assessment_consequences.v1``, through the outbox. Each change
is made with a conditional statement (INSERT ... ON CONFLICT DO NOTHING, UPDATE ... WHERE still active)
and announced only when its row changed, so a redelivery, a second instance or a replay announces nothing
twice. An ``assessment_rectification_filed`` event marks the owed report filed, once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scoring.assessment.acting import (
    RECTIFICATION,
    Acted,
    Decision,
    Held,
    entailed,
    key_of,
    plan,
    warning_key,
)
from services.scoring.assessment_consequence_tables import assessment_consequences as ac
from services.scoring.assessment_service import AssessmentReads, Computed
from services.scoring.projection import UNIT_STREAM_PREFIX, Applicable
from services.scoring.tables import outbox, post_ends, posts, results, warnings
from shared.assessment_topics import MESSAGE_NAME, AssessmentConsequenceChanged
from shared.db import insert_ignore
from shared.events import AssessmentGradeDecided, RectificationReportFiled
from shared.problems import Problem
from shared.scoring_topics import WarningChanged, structured, warning_cause

UNIT_GRADES = ("merit", "pass", "fail")


class _OnConnection:
    """An engine-like ``connect()`` that yields the caller's connection: the reads run in its transaction."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        yield self._conn


@dataclass(frozen=True, slots=True)
class ActedCount:
    raised: int = 0
    withdrawn: int = 0
    filed: int = 0


class ConsequenceActing:
    def __init__(self, *, warnings_topic: str, consequences_topic: str) -> None:
        self._warnings_topic = warnings_topic
        self._consequences_topic = consequences_topic

    async def act(self, conn: AsyncConnection, batch: Sequence[Applicable], now: dt.datetime) -> ActedCount:
        decisions = _decisions(batch)
        raised = withdrawn = 0
        reads = AssessmentReads(_OnConnection(conn))  # type: ignore[arg-type]
        computed: dict[tuple[str, int], Computed | None] = {}
        for d in decisions:
            if (d.scheme_id, d.year) not in computed:
                computed[(d.scheme_id, d.year)] = await _computed(reads, d, now)
            c = computed[(d.scheme_id, d.year)]
            proposal = c.proposals.get(d.subject_id) if c and c.scheme.subject_kind == d.subject_kind else None
            head = await _head(conn, d) if d.subject_kind != "cadre" else None
            prior = await _prior_fail(conn, d) if d.subject_kind == "unit" else ()
            todo = plan(entailed(d, proposal, head, prior), await _held(conn, d))
            for h in todo.withdraw:
                withdrawn += await self._withdraw(conn, h, d, now)
            for a, occurrence in todo.raise_:
                raised += await self._raise(conn, a, occurrence, d, now)
        filed = 0
        for item in batch:
            if isinstance(item.event, RectificationReportFiled):
                filed += await self._filed(conn, item, now)
        return ActedCount(raised, withdrawn, filed)

    async def _raise(self, conn: AsyncConnection, a: Acted, occurrence: int, d: Decision, now: dt.datetime) -> int:
        done = await conn.execute(insert_ignore(conn.dialect.name, ac).values(
            key=a.key, occurrence=occurrence, scheme_id=a.scheme_id, year=a.year, subject_id=a.subject_id,
            subject_kind=a.subject_kind, rule=a.rule, source=a.source, action=a.action, bearer_id=a.bearer_id,
            grade=a.grade, composite=_text(a.composite), evidence=list(a.evidence), message=a.message,
            warning_kind=a.warning_kind, raised_on=d.recorded_on, raised_at=now))
        if done.rowcount != 1:
            return 0
        await self._announce(conn, a, occurrence, "raised", d.recorded_on, now)
        if a.warning_kind is not None:
            await self._warning(conn, a, "raised", d.recorded_on, now)
        return 1

    async def _withdraw(self, conn: AsyncConnection, h: Held, d: Decision, now: dt.datetime) -> int:
        done = await conn.execute(update(ac).where(and_(ac.c.key == h.key, ac.c.occurrence == h.occurrence,
                                                        ac.c.withdrawn_at.is_(None)))
                                  .values(withdrawn_on=d.recorded_on, withdrawn_at=now))
        if done.rowcount != 1 or h.acted is None:
            return 0
        await self._announce(conn, h.acted, h.occurrence, "withdrawn", d.recorded_on, now)
        if h.warning_kind is not None:
            await self._warning(conn, h.acted, "cleared", d.recorded_on, now)
        return 1

    async def _filed(self, conn: AsyncConnection, item: Applicable, now: dt.datetime) -> int:
        event: RectificationReportFiled = item.event  # type: ignore[assignment]
        unit = item.envelope.subject.removeprefix(UNIT_STREAM_PREFIX)
        key = key_of("unit_fail_rectification_report", Decision(unit, "unit", event.scheme_id, event.year, "fail", "",
                                                                 item.envelope.time.date()))
        row = (await conn.execute(select(ac).where(ac.c.key == key, ac.c.withdrawn_at.is_(None),
                                                   ac.c.filed_event_id.is_(None)))).first()
        if row is None:
            return 0
        done = await conn.execute(update(ac).where(and_(ac.c.key == key, ac.c.occurrence == row.occurrence,
                                                        ac.c.filed_event_id.is_(None)))
                                  .values(filed_event_id=item.envelope.id, filed_at=item.envelope.time))
        if done.rowcount != 1:
            return 0
        a = _acted(row)
        filed = dataclasses.replace(a, evidence=(*a.evidence, item.envelope.id))
        await self._announce(conn, filed, row.occurrence, "filed", item.envelope.time.date(), now)
        return 1

    async def _announce(self, conn: AsyncConnection, a: Acted, occurrence: int, status: str, on: dt.date,
                        now: dt.datetime) -> None:
        message = AssessmentConsequenceChanged(
            subject_id=a.subject_id, subject_kind=a.subject_kind, scheme_id=a.scheme_id, year=a.year, key=a.key,
            rule=a.rule, source=a.source, action=a.action, bearer_id=a.bearer_id, status=status, on=on,
            grade=a.grade, composite=_text(a.composite), evidence=list(a.evidence), message=a.message)
        value = structured(MESSAGE_NAME, a.subject_id, message, now, {"occurrence": occurrence})
        await conn.execute(outbox.insert().values(topic=self._consequences_topic, key=a.subject_id, value=value))

    async def _warning(self, conn: AsyncConnection, a: Acted, status: str, on: dt.date, now: dt.datetime) -> None:
        """Raise or clear the bearer's warning of the consequence, keyed and counted as every warning is."""
        key, w = warning_key(a.key), warnings.c
        newest = (await conn.execute(select(warnings).where(w.cadre_id == a.bearer_id, w.key == key)
                                     .order_by(w.occurrence.desc()).limit(1))).first()
        if status == "raised":
            if newest is not None and newest.cleared_at is None:
                return
            occurrence = (newest.occurrence if newest else 0) + 1
            done = await conn.execute(insert_ignore(conn.dialect.name, warnings).values(
                cadre_id=a.bearer_id, key=key, occurrence=occurrence, raised_on=on, kind=a.warning_kind,
                level=_level(a), detail=a.message, figure=_text(a.composite), threshold=None, rule_set=a.scheme_id,
                raised_at=now))
        else:
            if newest is None or newest.cleared_at is not None:
                return
            occurrence = newest.occurrence
            done = await conn.execute(update(warnings).where(and_(
                w.cadre_id == a.bearer_id, w.key == key, w.occurrence == occurrence, w.cleared_at.is_(None)))
                .values(cleared_on=on, cleared_at=now))
        if done.rowcount != 1:
            return
        message = WarningChanged(cadre_id=a.bearer_id, key=key, kind=a.warning_kind or "", level=_level(a),
                                 status=status, on=on, detail=a.message, rule_set=a.scheme_id)  # type: ignore[arg-type]
        value = structured("warning_changed", a.bearer_id, message, now, warning_cause(occurrence))
        await conn.execute(outbox.insert().values(topic=self._warnings_topic, key=a.bearer_id, value=value))


def _level(a: Acted) -> str:
    return a.level or ("yellow" if a.action == "reminder_talk" else "red")


def _text(value: object) -> str | None:
    return None if value is None else format(value, "f")


def _decisions(batch: Sequence[Applicable]) -> list[Decision]:
    """The newest decision of each subject's scheme and year in the batch (a stream's events keep their order)."""
    newest: dict[tuple[str, str, int], Decision] = {}
    for item in batch:
        e, env = item.event, item.envelope
        if isinstance(e, AssessmentGradeDecided):
            subject = env.subject.removeprefix(UNIT_STREAM_PREFIX)
            newest[(subject, e.scheme_id, e.year)] = Decision(subject, e.subject_kind, e.scheme_id, e.year, e.grade,
                                                              env.id, env.time.date())
    return list(newest.values())


async def _computed(reads: AssessmentReads, d: Decision, now: dt.datetime) -> Computed | None:
    """The scheme's year as of its last day, as known now; None when there is none to compute (no scheme, no
    version in force, inputs it cannot take): the decided grade is acted on without a composite."""
    try:
        return await reads.compute(d.scheme_id, d.year, dt.date(d.year, 12, 31), now, None)
    except Problem:
        return None


async def _head(conn: AsyncConnection, d: Decision) -> str | None:
    """The unit's head on the day the decision was recorded: the cadre in its chief post (正职) longest held."""
    day = d.recorded_on
    ended = exists().where(post_ends.c.post_id == posts.c.post_id, post_ends.c.end_date < day)
    row = (await conn.execute(select(posts.c.cadre_id).where(
        posts.c.unit_id == d.subject_id, posts.c.leadership == "chief", posts.c.start_date <= day, ~ended)
        .order_by(posts.c.start_date, posts.c.cadre_id).limit(1))).first()
    return row.cadre_id if row else None


async def _prior_fail(conn: AsyncConnection, d: Decision) -> tuple[str, ...]:
    """The decision of the year before, when it was 不达标 (the newest unit grade decided for that year)."""
    rows = (await conn.execute(select(results.c.event_id, results.c.value).where(
        results.c.subject_id == d.subject_id, results.c.year == d.year - 1, results.c.kind == "assessment_grade",
        results.c.value.in_(UNIT_GRADES)).order_by(results.c.recorded_at.desc(), results.c.event_id.desc())
        .limit(1))).first()
    return (rows.event_id,) if rows is not None and rows.value == "fail" else ()


async def _held(conn: AsyncConnection, d: Decision) -> dict[str, Held]:
    """The newest row of every consequence key of the subject's scheme and year."""
    later = ac.alias("later")
    newest = ~exists().where(later.c.key == ac.c.key, later.c.occurrence > ac.c.occurrence)
    rows = await conn.execute(select(ac).where(ac.c.scheme_id == d.scheme_id, ac.c.year == d.year,
                                               ac.c.subject_id == d.subject_id, newest))
    return {r.key: Held(r.key, r.occurrence, r.bearer_id, r.withdrawn_at is None, r.warning_kind, _acted(r))
            for r in rows}


def _acted(r: Any) -> Acted:
    return Acted(r.key, r.rule, r.source, r.subject_id, r.subject_kind, r.scheme_id, r.year, r.action, r.bearer_id,
                 r.grade, Decimal(r.composite) if r.composite else None, tuple(r.evidence), r.message, r.warning_kind,
                 None)


async def consequence_rows(conn: AsyncConnection, scheme_id: str, year: int, subjects: Sequence[str] | None,
                           owed_only: bool) -> list:
    """Every consequence of the scheme's year (of ``subjects`` when given), oldest first; ``owed_only``: the
    rectification reports owed (active, not filed)."""
    query = select(ac).where(ac.c.scheme_id == scheme_id, ac.c.year == year)
    if subjects is not None:
        query = query.where(or_(ac.c.subject_id.in_(list(subjects)), ac.c.bearer_id.in_(list(subjects))))
    if owed_only:
        query = query.where(ac.c.rule == "unit_fail_rectification_report", ac.c.action == RECTIFICATION,
                            ac.c.withdrawn_at.is_(None), ac.c.filed_event_id.is_(None))
    return list(await conn.execute(query.order_by(ac.c.raised_at, ac.c.key, ac.c.occurrence)))
