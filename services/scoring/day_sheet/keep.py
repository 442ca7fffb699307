"""Writing the day sheet: the consumer's rows for the cadres a batch touched, the daily refresh's fill of every
cadre, and the state that says for which day the sheet is complete. Why this stays correct: ``__init__.py``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.scoring.day_sheet.rows import sheet_rows
from services.scoring.day_sheet.tables import day_sheet, day_sheet_groups, day_sheet_state, sheet_seq
from services.scoring.facts import load_facts
from services.scoring.model import CadreFacts, summing_for_totals
from services.scoring.rules import RuleSet
from services.scoring.tables import applied_versions, cadres, posts

if TYPE_CHECKING:  # the evaluator's module imports the projection's, which empties the sheet on a reset
    from services.scoring.evaluation import Evaluator

SHEET_LOCK = 0x53484554  # "SHET": numbers the sheet's writes in commit order (see __init__.py)
STATE_ID = 1
CHUNK = 1000  # cadres per fill transaction: a consumer batch waits at most on one chunk's rows


def kept_on(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "postgresql"


async def _lock(conn: AsyncConnection) -> None:
    await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SHEET_LOCK})


async def _number(conn: AsyncConnection) -> int:
    return int(await conn.scalar(select(sheet_seq.next_value())))


async def _state(conn: AsyncConnection, for_update: bool = False):
    query = select(day_sheet_state).where(day_sheet_state.c.id == STATE_ID)
    return (await conn.execute(query.with_for_update() if for_update else query)).first()


async def store(conn: AsyncConnection, rows: Sequence[dict], group_rows: Sequence[dict]) -> None:
    """Upsert ``rows`` where no newer write holds the cadre's row, and replace those cadres' group rows."""
    if not rows:
        return
    written: set[str] = set()
    for start in range(0, len(rows), CHUNK):
        stmt = insert(day_sheet).values(list(rows[start:start + CHUNK]))
        stmt = stmt.on_conflict_do_update(
            index_elements=[day_sheet.c.cadre_id],
            set_={c.name: stmt.excluded[c.name] for c in day_sheet.c if c.name != "cadre_id"},
            where=day_sheet.c.seq <= stmt.excluded.seq).returning(day_sheet.c.cadre_id)
        written.update((await conn.execute(stmt)).scalars())
    if not written:
        return
    await conn.execute(day_sheet_groups.delete().where(day_sheet_groups.c.cadre_id.in_(sorted(written))))
    kept = [g for g in group_rows if g["cadre_id"] in written]
    for start in range(0, len(kept), 4 * CHUNK):
        await conn.execute(insert(day_sheet_groups).values(kept[start:start + 4 * CHUNK]))


async def _versions(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, int]:
    found = await conn.execute(select(applied_versions.c.stream_id, applied_versions.c.version)
                               .where(applied_versions.c.stream_id.in_(list(ids))))
    return {s: int(v) for s, v in found}


async def _write(conn: AsyncConnection, evaluator: Evaluator, ids: Sequence[str], as_of: dt.date, rules: RuleSet,
                 seq: int, facts: Mapping[str, CadreFacts] | None = None) -> None:
    """Compute and store the rows of ``ids`` (their totals facts given as ``facts``, or loaded here)."""
    if facts is None:
        facts = await load_facts(conn, ids, None, summing=summing_for_totals(as_of, rules))
    screened = {s.cadre_id: s for s in await evaluator.screening(conn, ids, as_of, None)}
    rows, group_rows = sheet_rows({i: facts[i] for i in ids}, screened, as_of, rules, seq,
                                  await _versions(conn, ids))
    # A fill's chunk and a consumer batch never write rows at once (a batch holds the lock to its commit): neither
    # waits on rows the other locked, so they cannot deadlock; the chunk waits at most for one batch's commit.
    await _lock(conn)
    await store(conn, rows, group_rows)


async def keep_touched(conn: AsyncConnection, evaluator: Evaluator, cadre_ids: Iterable[str],
                       unit_ids: Iterable[str], as_of: dt.date) -> None:
    """In a consumer batch's transaction, after its facts are applied: the rows of the cadres it touched (those
    of ``cadre_ids`` registered, and every cadre who holds or held a post in one of ``unit_ids``), when the sheet
    is complete or filling for ``as_of``; when it is for another day or rule set, it is marked not complete."""
    if not kept_on(conn):
        return
    await _lock(conn)  # before the state is read: a fill that begins waits for this batch's commit
    rules = evaluator.rules.for_date(as_of)
    state = await _state(conn)
    if state is None:  # never filled (an import, a rebuild): nothing to keep
        return
    if state.as_of != as_of or state.rule_set != rules.name:
        if state.complete or state.fill_seq is not None:
            await conn.execute(update(day_sheet_state).where(day_sheet_state.c.id == STATE_ID)
                               .values(complete=False, fill_seq=None, updated_at=func.now()))
        return
    if not state.complete and state.fill_seq is None:
        return
    wanted = set(cadre_ids)
    units = sorted(set(unit_ids))
    if units:
        wanted.update((await conn.execute(select(posts.c.cadre_id).where(posts.c.unit_id.in_(units)))).scalars())
    if not wanted:
        return
    registered = sorted((await conn.execute(select(cadres.c.cadre_id)
                                            .where(cadres.c.cadre_id.in_(sorted(wanted))))).scalars())
    if registered:
        await _write(conn, evaluator, registered, as_of, rules, await _number(conn))


async def begin_fill(engine: AsyncEngine, as_of: dt.date, rules: RuleSet) -> int | None:
    """Number a fill of the sheet for ``as_of`` and mark the sheet filling, in a transaction of its own taken before
    any fact is read; None on a database where the sheet is not kept. A sheet complete for that day and rule set
    stays complete while it is filled again (a restart's refresh): its rows are exact, each one until the fill
    replaces it with one computed from facts at least as new."""
    async with engine.begin() as conn:
        if not kept_on(conn):
            return None
        await _lock(conn)
        seq = await _number(conn)
        state = await _state(conn)
        complete = state is not None and state.complete and (state.as_of, state.rule_set) == (as_of, rules.name)
        values = {"as_of": as_of, "rule_set": rules.name, "complete": complete, "fill_seq": seq,
                  "updated_at": dt.datetime.now(dt.UTC)}
        stmt = insert(day_sheet_state).values(id=STATE_ID, **values)
        await conn.execute(stmt.on_conflict_do_update(index_elements=[day_sheet_state.c.id], set_=values))
        return seq


async def fill(engine: AsyncEngine, evaluator: Evaluator, facts: Mapping[str, CadreFacts], as_of: dt.date,
               seq: int) -> None:
    """Every cadre of ``facts`` (their totals facts, read after ``begin_fill``), ``CHUNK`` per transaction."""
    rules = evaluator.rules.for_date(as_of)
    ids = sorted(facts)
    for start in range(0, len(ids), CHUNK):
        async with engine.begin() as conn:
            await _write(conn, evaluator, ids[start:start + CHUNK], as_of, rules, seq, facts)


async def finish_fill(engine: AsyncEngine, as_of: dt.date, rules: RuleSet, seq: int) -> bool:
    """Drop the rows neither this fill nor a newer write made (cadres no longer there) and mark the sheet complete
    for ``as_of``, unless another fill began or a batch for another day spoiled it meanwhile; whether it is."""
    async with engine.begin() as conn:
        await _lock(conn)
        state = await _state(conn, for_update=True)
        if state is None or (state.fill_seq, state.as_of, state.rule_set) != (seq, as_of, rules.name):
            return False
        stale = select(day_sheet.c.cadre_id).where(day_sheet.c.seq < seq)
        await conn.execute(day_sheet_groups.delete().where(day_sheet_groups.c.cadre_id.in_(stale)))
        await conn.execute(day_sheet.delete().where(day_sheet.c.seq < seq))
        await conn.execute(update(day_sheet_state).where(day_sheet_state.c.id == STATE_ID)
                           .values(complete=True, fill_seq=None, updated_at=func.now()))
        return True


async def fill_all(engine: AsyncEngine, evaluator: Evaluator, ids_of, as_of: dt.date) -> bool:
    """A whole fill without a daily refresh (a state built from the store, a bench): ``ids_of(conn)`` gives
    the cadres to fill; whether the sheet is complete after it."""
    rules = evaluator.rules.for_date(as_of)
    seq = await begin_fill(engine, as_of, rules)
    if seq is None:
        return False
    async with engine.connect() as conn:
        facts = await load_facts(conn, await ids_of(conn), None, summing=summing_for_totals(as_of, rules))
    await fill(engine, evaluator, facts, as_of, seq)
    return await finish_fill(engine, as_of, rules, seq)


async def clear(conn: AsyncConnection) -> None:
    """Empty the sheet and forget its state (a reset): nothing is valid until a fill completes."""
    for table in (day_sheet_groups, day_sheet, day_sheet_state):
        await conn.execute(table.delete())
