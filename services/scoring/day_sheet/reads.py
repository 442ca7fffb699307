"""Reading the day sheet: whether it answers a day, its rows, a cadre's bands by counting, a group's members.

Every read of the fast path runs in one REPEATABLE READ snapshot (``snapshot``): the state that says the sheet is
complete and the rows it reads are of the same moment, whatever a fill or a batch commits meanwhile."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, String, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.scoring.day_sheet.tables import day_sheet, day_sheet_groups, day_sheet_state
from services.scoring.ranking import Candidate, band_at
from services.scoring.rules import RuleSet
from services.scoring.tables import units
from shared.db import fetch_all

FEW = 64  # up to this many cadres, bands are counted per cadre in the index; beyond, from each group's histogram


@dataclass(frozen=True, slots=True)
class SheetVerdict:
    """A cadre's screening as the sheet keeps it: what a jurisdiction's list shows (``views.screenings_view``)."""

    cadre_id: str
    verdict: str
    excluded_by: list[str]
    unknown: list[str]


@contextlib.asynccontextmanager
async def snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            yield conn


async def answers(conn: AsyncConnection, as_of: dt.date, rules: RuleSet) -> bool:
    """Whether the sheet is complete for ``as_of`` under ``rules`` (only ever on PostgreSQL)."""
    if conn.dialect.name != "postgresql":
        return False
    state = (await conn.execute(select(day_sheet_state.c.as_of, day_sheet_state.c.rule_set, day_sheet_state.c.complete)
                                )).first()
    return state is not None and state.complete and state.as_of == as_of and state.rule_set == rules.name


def _ids(column):
    return column == any_(bindparam("ids", type_=ARRAY(String)))


_s, _g = day_sheet.c, day_sheet_groups.c
_other = day_sheet_groups.alias("other")


def _count(*where):
    return select(func.count()).select_from(_other).where(_other.c.group_id == _g.group_id, *where).scalar_subquery()


# Built once, run straight on asyncpg (``fetch_all``): at a city's size SQLAlchemy's row processing costs more
# than the statements.
_ROWS = select(_s.cadre_id, _s.total, _s.verdict, _s.excluded_by, _s.unknown)
_ROWS_OF = _ROWS.where(_ids(_s.cadre_id))
# The same, with who each row is about (as ``names.who`` says it, from the same snapshot): a list names them all.
_NAMED_ROWS = (_ROWS.add_columns(_s.name, _s.unit_id, units.c.name)
               .select_from(day_sheet.outerjoin(units, units.c.unit_id == _s.unit_id)))
_NAMED_OF = _NAMED_ROWS.where(_ids(_s.cadre_id))
# A page by keyset on the primary key (ids in the "C" collation: the order Python sorts them in).
_NAMED_FIRST = _NAMED_ROWS.order_by(_s.cadre_id).limit(bindparam("n", type_=Integer))
_NAMED_AFTER = (_NAMED_ROWS.where(_s.cadre_id > bindparam("after", type_=String)).order_by(_s.cadre_id)
                .limit(bindparam("n", type_=Integer)))
_MARK = select(func.max(_s.seq), func.count())
_PLACES_OF = select(_g.cadre_id, _g.group_id, _g.position, _count(), _count(_other.c.total > _g.total),
                    _count(_other.c.total == _g.total)).where(_ids(_g.cadre_id))
_MEMBERS = select(_g.cadre_id, _g.group_id, _g.position, _g.total)
_MEMBERS_OF = _MEMBERS.where(_ids(_g.cadre_id))
_HISTOGRAM = select(_g.group_id, _g.total, func.count()).group_by(_g.group_id, _g.total)
_HISTOGRAM_OF = _HISTOGRAM.where(_g.group_id == any_(bindparam("ids", type_=ARRAY(String))))
_GROUP = (select(_s.cadre_id, _s.name, _s.unit_id, _g.total)
          .select_from(day_sheet_groups.join(day_sheet, _s.cadre_id == _g.cadre_id))
          .where(_g.group_id == bindparam("group_id", type_=String)))


async def rows(conn: AsyncConnection, ids: Sequence[str] | None) -> dict[str, Sequence[Any]]:
    """The sheet rows of ``ids`` (every row when None), by cadre: (cadre_id, total, verdict, excluded_by,
    unknown)."""
    found = await fetch_all(conn, _ROWS, {}) if ids is None else \
        await fetch_all(conn, _ROWS_OF, {"ids": sorted(set(ids))})
    return {r[0]: r for r in found}


async def named_rows(conn: AsyncConnection, ids: Sequence[str] | None = None) -> dict[str, Sequence[Any]]:
    """The sheet rows of ``ids`` (every row when None), by cadre, as ``rows`` gives them, followed by the cadre's
    name, unit and unit name."""
    found = await fetch_all(conn, _NAMED_ROWS, {}) if ids is None else \
        await fetch_all(conn, _NAMED_OF, {"ids": sorted(set(ids))})
    return {r[0]: r for r in found}


async def named_page(conn: AsyncConnection, after: str | None, limit: int) -> tuple[dict[str, Sequence[Any]], bool]:
    """The ``limit`` rows after cadre ``after`` (from the first when None) in id order, as ``named_rows`` gives
    them; and whether more follow."""
    found = await fetch_all(conn, _NAMED_FIRST, {"n": limit + 1}) if after is None else \
        await fetch_all(conn, _NAMED_AFTER, {"after": after, "n": limit + 1})
    return {r[0]: r for r in found[:limit]}, len(found) > limit


async def mark(conn: AsyncConnection) -> str | None:
    """What the sheet is now, to tell later whether it changed (``screening_pages.py``): its highest write number
    and its row count; None while a refresh is filling it. Sound because every write of a row raises its number
    above every number written before it (the consumer numbers its writes in commit order, and a refresh's number is
    taken after every write committed before it began), and rows are only dropped when a refresh finishes; a
    refresh's chunks, though, commit under a number below the consumer's latest, hence no mark while one fills."""
    if (await conn.execute(select(day_sheet_state.c.fill_seq))).scalar() is not None:
        return None
    top, count = (await fetch_all(conn, _MARK, {}))[0]
    return f"{top}.{count}"


def verdicts(found: dict[str, Sequence[Any]], ids: Sequence[str]) -> list[SheetVerdict]:
    return [SheetVerdict(i, found[i][2], list(found[i][3]), list(found[i][4])) for i in ids if i in found]


def who(found: dict[str, Sequence[Any]], ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """What ``names.who`` answers for ``ids``, from ``named_rows`` (the sheet keeps "" for a cadre of no unit)."""
    return {i: {"name": found[i][5], "unit_id": found[i][6] or None, "unit_name": found[i][7]}
            for i in ids if i in found}


async def bands(conn: AsyncConnection, ids: Sequence[str] | None, rules: RuleSet) -> dict[str, list[dict]]:
    """Each cadre's bands (those with one), as ``ranking.rank`` gives them over the whole group: rank = 1 + the
    members above, the tie = the members equal, the size = all members. ``ids`` None: every cadre."""
    places: list[Sequence[Any]] = []  # cadre, group, position, size, above, tied
    if ids is not None and len(ids) <= FEW:
        places = list(await fetch_all(conn, _PLACES_OF, {"ids": sorted(set(ids))}))
    else:
        found = await fetch_all(conn, _MEMBERS, {}) if ids is None else \
            await fetch_all(conn, _MEMBERS_OF, {"ids": sorted(set(ids))})
        histogram = await fetch_all(conn, _HISTOGRAM, {}) if ids is None else \
            await fetch_all(conn, _HISTOGRAM_OF, {"ids": sorted({r[1] for r in found})})
        by_group: dict[str, list[tuple[Decimal, int]]] = defaultdict(list)
        for group_id, total, n in histogram:
            by_group[group_id].append((total, n))
        counted: dict[str, tuple[int, dict[Decimal, tuple[int, int]]]] = {}
        for group_id, counts in by_group.items():
            above, at = 0, {}
            for total, n in sorted(counts, key=lambda c: -c[0]):
                at[total] = (above, n)
                above += n
            counted[group_id] = (above, at)
        for cadre_id, group_id, position, total in found:
            size, at = counted[group_id]
            places.append((cadre_id, group_id, position, size, *at[total]))
    answer: dict[str, list[tuple[int, dict]]] = defaultdict(list)
    for cadre_id, group_id, position, size, above, tied in places:
        if band := band_at(above + 1, above + tied, size, rules.ranking):
            answer[cadre_id].append((position, {"group": group_id, "band": band, "rank": above + 1, "size": size}))
    return {c: [b for _, b in sorted(found, key=lambda p: p[0])] for c, found in answer.items()}


async def group_members(conn: AsyncConnection, group_id: str) -> list[Candidate]:
    """The members of a ranking group with their totals, names and units, for ``ranking.rank``."""
    return [Candidate(*r) for r in await fetch_all(conn, _GROUP, {"group_id": group_id})]
