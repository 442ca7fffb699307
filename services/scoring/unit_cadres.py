"""The cadres of a unit and every unit beneath it, as one SQL statement (issue 22).

``facts.cadres_under`` answers the same question in Python, for the screenings and the daily refresh, which
need every cadre's facts anyway: it reads every cadre, post and post end of the city (a few hundred
milliseconds at a city's 68,553 cadres). A list that needs only *which* cadres, such as a unit's warnings,
asks the database instead: the unit's subtree (a recursive query on ``units``), then the cadres holding a post
open on the day in it, and the cadres registered in it who hold no post open that day. Same rule as
``cadres_under``, facts as held now (no ``known_at``). The city's own root narrows nothing (``narrows``): asked
for it, a list reads as if no unit were given, rather than joining every cadre of the city.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, exists, select, union
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scoring.tables import cadres, post_ends, posts, units


async def cadres_in(conn: AsyncConnection, unit_id: str, day: dt.date) -> list[str]:
    """The ids of the cadres in ``unit_id`` or beneath it on ``day``.

    In steps rather than one statement: given the subtree as a recursive query inside the statement, the
    planner guesses it holds thousands of units and scans every post and cadre of the city (0.4 s at a city's
    size, EXPLAIN ANALYZE in bench/RESULTS.md); given the units, it reads the posts by unit and the cadres' open
    posts by cadre, through their indexes."""
    tree = select(units.c.unit_id).where(units.c.unit_id == unit_id).cte("tree", recursive=True)
    tree = tree.union(select(units.c.unit_id).join(tree, units.c.parent_id == tree.c.unit_id))
    in_tree = list((await conn.execute(select(tree.c.unit_id))).scalars())
    serving = _open_posts(day).where(posts.c.unit_id.in_(in_tree))
    holds_a_post = exists(_open_posts(day).where(posts.c.cadre_id == cadres.c.cadre_id))
    registered_here = select(cadres.c.cadre_id).where(cadres.c.unit_id.in_(in_tree), ~holds_a_post)
    return sorted((await conn.execute(union(serving, registered_here))).scalars())


def _open_posts(day: dt.date) -> Select:
    ended = exists().where(post_ends.c.post_id == posts.c.post_id, post_ends.c.end_date < day)
    return select(posts.c.cadre_id).where(posts.c.start_date <= day, ~ended)


async def narrows(conn: AsyncConnection, unit_id: str) -> bool:
    """Whether ``unit_id`` leaves anyone out: False for the one top-level unit when there is only one."""
    roots = (await conn.execute(select(units.c.unit_id).where(units.c.parent_id.is_(None)).limit(2))).scalars().all()
    return roots != [unit_id]
