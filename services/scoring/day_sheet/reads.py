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

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.scoring.day_sheet.tables import day_sheet, day_sheet_groups, day_sheet_state
from services.scoring.ranking import Candidate, band_at
from services.scoring.rules import RuleSet

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


async def every_cadre(conn: AsyncConnection) -> list[str]:
    return sorted((await conn.execute(select(day_sheet.c.cadre_id))).scalars())


async def rows(conn: AsyncConnection, ids: Sequence[str] | None) -> dict[str, Any]:
    """The sheet rows of ``ids`` (every row when None), by cadre."""
    query = select(day_sheet.c.cadre_id, day_sheet.c.total, day_sheet.c.verdict, day_sheet.c.excluded_by,
                   day_sheet.c.unknown)
    if ids is not None:
        query = query.where(day_sheet.c.cadre_id.in_(sorted(set(ids))))
    return {r.cadre_id: r for r in await conn.execute(query)}


def verdicts(found: dict[str, Any], ids: Sequence[str]) -> list[SheetVerdict]:
    return [SheetVerdict(i, found[i].verdict, list(found[i].excluded_by), list(found[i].unknown))
            for i in ids if i in found]


async def bands(conn: AsyncConnection, ids: Sequence[str] | None, rules: RuleSet) -> dict[str, list[dict]]:
    """Each cadre's bands (those with one), as ``ranking.rank`` gives them over the whole group: rank = 1 + the
    members above, the tie = the members equal, the size = all members. ``ids`` None: every cadre."""
    g = day_sheet_groups.c
    places: list[tuple[str, str, int, int, int, int]] = []  # cadre, group, position, size, above, tied
    if ids is not None and len(ids) <= FEW:
        other = day_sheet_groups.alias("other")

        def count(*where):
            return select(func.count()).select_from(other).where(other.c.group_id == g.group_id, *where) \
                .scalar_subquery()

        query = select(g.cadre_id, g.group_id, g.position, count(), count(other.c.total > g.total),
                       count(other.c.total == g.total)).where(g.cadre_id.in_(sorted(set(ids))))
        places = [tuple(r) for r in await conn.execute(query)]
    else:
        members = select(g.cadre_id, g.group_id, g.position, g.total)
        if ids is not None:
            members = members.where(g.cadre_id.in_(sorted(set(ids))))
        found = (await conn.execute(members)).all()
        histogram = select(g.group_id, g.total, func.count()).group_by(g.group_id, g.total)
        if ids is not None:
            histogram = histogram.where(g.group_id.in_(sorted({r.group_id for r in found})))
        by_group: dict[str, list[tuple[Decimal, int]]] = defaultdict(list)
        for group_id, total, n in await conn.execute(histogram):
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
    s, g = day_sheet.c, day_sheet_groups.c
    query = (select(s.cadre_id, s.name, s.unit_id, g.total).select_from(day_sheet_groups.join(
        day_sheet, s.cadre_id == g.cadre_id)).where(g.group_id == group_id))
    return [Candidate(r.cadre_id, r.name, r.unit_id, r.total) for r in await conn.execute(query)]
