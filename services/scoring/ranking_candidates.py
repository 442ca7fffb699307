"""Who can be in a ranking group, asked of the database before any facts are loaded (issue 22).

A ranking ranks one group ("class:<unit class>:<chief|deputy>" or "team:<unit>:deputy"), but it used to load the
facts of every cadre of the city (their entries summed, 13 M rows at a city's size) to find out who is in it.
Only a cadre holding a chief's or deputy's post can be: this narrows the city's cadres to those holding, or ever
having held, a post of the group's leadership in a unit of its class (or in its team's unit), started by the
day asked about. That is a superset of the group (a post ended since, a post recorded after the moment asked
about, are left for ``ranking.ranking_groups`` to drop, on the facts as known then), so the ranking is the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scoring.tables import posts, units


async def narrowed(conn: AsyncConnection, group: str, ids: Sequence[str], as_of: dt.date) -> list[str]:
    """Those of ``ids`` who may belong to ``group`` on ``as_of``; ``ids`` unchanged for a group not understood."""
    kind, _, rest = group.partition(":")
    target, _, leadership = rest.rpartition(":")
    query = select(posts.c.cadre_id).distinct().where(posts.c.leadership == leadership, posts.c.start_date <= as_of)
    if kind == "class":
        query = query.where(posts.c.unit_id.in_(select(units.c.unit_id).where(units.c.unit_class == target)))
    elif kind == "team":
        query = query.where(posts.c.unit_id == target)
    else:
        return list(ids)
    found = set((await conn.execute(query)).scalars())
    return [i for i in ids if i in found]
