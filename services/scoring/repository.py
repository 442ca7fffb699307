"""Scoring's queries on what it announces: warnings, published totals, the outbox and its checkpoint.
(The facts are read by ``facts.py`` and written by ``projection.py``.) Every function runs within the
caller's transaction and never commits: ``service.py`` and ``consumer.py`` open the transactions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, exists, literal, or_, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scoring import unit_cadres
from services.scoring.announcements import ActiveWarning, Changes, PublishedTotals
from services.scoring.assessment_consequence_tables import assessment_consequences
from services.scoring.projection import DeadLetter
from services.scoring.tables import consumer_positions, outbox, outbox_checkpoints, published_totals, warnings
from shared.commit_order import Cursor, committed_after
from shared.db import insert_ignore, upsert
from shared.dead_letters import DeadLetterRecorded, dead_letter_event, encoded, subject_of

CHUNK = 5000  # cadre ids per IN (...) list


async def try_lock(conn: AsyncConnection, key: int) -> bool:
    """Take the transaction-scoped advisory lock ``key`` on PostgreSQL (True on SQLite: one process)."""
    if conn.dialect.name != "postgresql":
        return True
    return bool(await conn.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}))


# ------------------------------------------------------------------------------------ warnings and totals


def _figure(text_: str | None) -> Decimal | None:
    return Decimal(text_) if text_ is not None else None


def _text(figure: Decimal | None) -> str | None:
    return format(figure.normalize(), "f") if figure is not None else None


async def known_warnings(conn: AsyncConnection, cadre_ids: Sequence[str], kinds: Sequence[str]
                         ) -> tuple[dict[str, dict[str, ActiveWarning]], dict[str, dict[str, int]]]:
    """The active warnings of ``kinds`` of each cadre, by key, and the last occurrence of each of its keys
    (active or cleared): one query for the newest row of each key (only the newest can be active)."""
    active: dict[str, dict[str, ActiveWarning]] = defaultdict(dict)
    occurrences: dict[str, dict[str, int]] = defaultdict(dict)
    w, later = warnings.c, warnings.alias("later").c
    newest = ~exists().where(later.cadre_id == w.cadre_id, later.key == w.key, later.occurrence > w.occurrence)
    for i in range(0, len(cadre_ids), CHUNK):
        for r in await conn.execute(select(warnings).where(
                w.cadre_id.in_(cadre_ids[i:i + CHUNK]), w.kind.in_(list(kinds)), newest)):
            occurrences[r.cadre_id][r.key] = r.occurrence
            if r.cleared_at is None:
                active[r.cadre_id][r.key] = ActiveWarning(r.cadre_id, r.key, r.raised_on, r.kind, r.level, r.detail,
                                                          r.rule_set, r.occurrence, _figure(r.figure),
                                                          _figure(r.threshold))
    return active, occurrences


async def last_published(conn: AsyncConnection, cadre_ids: Sequence[str]) -> dict[str, PublishedTotals]:
    found = {}
    t = published_totals.c
    for i in range(0, len(cadre_ids), CHUNK):
        for r in await conn.execute(select(published_totals).where(t.cadre_id.in_(cadre_ids[i:i + CHUNK]))):
            found[r.cadre_id] = PublishedTotals(r.cadre_id, r.total_cents, r.positive_cents, r.negative_cents,
                                                r.rule_set, r.stream_version)
    return found


@dataclass(frozen=True, slots=True)
class Applied:
    raised: int
    cleared: int
    totals_published: int


async def apply(conn: AsyncConnection, changes: Changes, *, totals_topic: str, warnings_topic: str) -> Applied:
    """Make ``changes`` and write each one's message to the outbox, in the caller's transaction. A warning
    change is announced only when its row really changed (INSERT ... ON CONFLICT DO NOTHING, UPDATE ...
    WHERE still active, checked by rowcount), so a redelivery, a second scoring instance or a rebuild never
    announces anything twice. The totals take two statements for the whole batch, however many cadres."""
    raised = cleared = 0
    w = warnings.c
    for change in changes.warnings:
        row = change.warning
        if change.status == "raised":
            result = await conn.execute(insert_ignore(conn.dialect.name, warnings).values(
                cadre_id=row.cadre_id, key=row.key, occurrence=row.occurrence, raised_on=row.raised_on,
                kind=row.kind, level=row.level, detail=row.detail, figure=_text(row.figure),
                threshold=_text(row.threshold), rule_set=row.rule_set, raised_at=change.at))
        else:
            result = await conn.execute(update(warnings).where(and_(
                w.cadre_id == row.cadre_id, w.key == row.key, w.occurrence == row.occurrence, w.cleared_at.is_(None),
            )).values(cleared_on=change.on, cleared_at=change.at))
        if result.rowcount != 1:
            continue
        await conn.execute(outbox.insert().values(topic=warnings_topic, key=row.cadre_id, value=change.message))
        if change.status == "raised":
            raised += 1
        else:
            cleared += 1
    if changes.totals:
        await conn.execute(upsert(conn.dialect.name, published_totals, None, ["cadre_id"],
                                  ["as_of", "total_cents", "positive_cents", "negative_cents", "rule_set",
                                   "stream_version"]),
                           [t.values for t in changes.totals])
        await conn.execute(outbox.insert(), [{"topic": totals_topic, "key": t.values["cadre_id"], "value": t.message}
                                             for t in changes.totals])
    return Applied(raised, cleared, len(changes.totals))


async def warnings_page(conn: AsyncConnection, *, cadre_id: str | None, status: str, limit: int,
                        after: tuple[dt.datetime, str, str, dt.date] | None, unit: str | None = None,
                        day: dt.date | None = None) -> list:
    """Warnings newest first, in (raised_at desc, cadre, key, day) order, after the page that ended at ``after``;
    ``status`` active, cleared or all; ``unit``: only of the cadres in that unit or beneath it on ``day``."""
    w = warnings.c
    query = select(warnings).order_by(w.raised_at.desc(), w.cadre_id, w.key, w.raised_on).limit(limit)
    if after is not None:
        at, cadre, key, raised_on = after
        query = query.where(or_(w.raised_at < at, and_(w.raised_at == at, tuple_(w.cadre_id, w.key, w.raised_on)
                                                         > tuple_(literal(cadre), literal(key), literal(raised_on)))))
    if cadre_id:
        query = query.where(w.cadre_id == cadre_id)
    if unit and await unit_cadres.narrows(conn, unit):
        query = query.where(w.cadre_id.in_(await unit_cadres.cadres_in(conn, unit, day or dt.date.today())))
    if status != "all":
        query = query.where(w.cleared_at.is_(None) if status == "active" else w.cleared_at.is_not(None))
    return list(await conn.execute(query))


# ------------------------------------------------------------------------------------ the outbox


async def outbox_cursor(conn: AsyncConnection, name: str) -> Cursor:
    row = (await conn.execute(select(outbox_checkpoints).where(outbox_checkpoints.c.name == name))).first()
    return Cursor(row.tx_id, row.position) if row else Cursor()


async def outbox_after(conn: AsyncConnection, cursor: Cursor, limit: int) -> list:
    """The outbox's next ``limit`` messages after ``cursor``, in commit order."""
    return list(await conn.execute(committed_after(outbox, cursor, limit, conn.dialect.name)))


async def save_outbox_cursor(conn: AsyncConnection, name: str, tx_id: int, position: int) -> None:
    await conn.execute(upsert(conn.dialect.name, outbox_checkpoints, {"name": name, "tx_id": tx_id, "position": position},
                              ["name"], ["tx_id", "position"]))


# ------------------------------------------------------------------------------------ rebuilds


async def holds_positions(conn: AsyncConnection) -> bool:
    return (await conn.execute(select(consumer_positions).limit(1))).first() is not None


# what a rebuilt database takes over from the live one (and the assessment's consequences acted on, issue 16)
ANNOUNCED = (warnings, published_totals, assessment_consequences)


async def read_announced(conn: AsyncConnection) -> dict[str, list[dict]]:
    return {table.name: [dict(r._mapping) for r in await conn.execute(select(table))] for table in ANNOUNCED}


async def replace_announced(conn: AsyncConnection, announced: dict[str, list[dict]]) -> None:
    for table in ANNOUNCED:
        await conn.execute(table.delete())
        if announced[table.name]:
            await conn.execute(table.insert(), announced[table.name])


async def announce_dead_letters(conn: AsyncConnection, topic: str, letters: Sequence[DeadLetter]) -> None:
    """Each dead letter as a message of the dead-letter topic (shared/dead_letters.py), in the outbox of the
    transaction that keeps it aside."""
    if not letters:
        return
    now = dt.datetime.now(dt.UTC)
    rows = []
    for d in letters:
        env = d.envelope
        letter = DeadLetterRecorded(topic=d.topic, partition=d.partition, offset=d.offset, reason=d.reason,
                                    error=d.error[:2000], stream_id=env.subject if env else None,
                                    stream_version=env.streamversion if env else None, event_id=env.id if env else None,
                                    value_base64=encoded(d.value))
        rows.append({"topic": topic, "key": subject_of(letter)[:100], "value": dead_letter_event(letter, now)})
    await conn.execute(outbox.insert(), rows)
