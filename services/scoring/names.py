"""Who a row is about (issue 15): the cadre's name, the unit they were registered in and its name, and unit
names, from the facts (``cadres``, ``units``), so that a page of screenings, rankings or warnings needs no
call per row. Queries only; the caller's connection, never a commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scoring.tables import cadres, units
from shared.db import fetch_all

CHUNK = 5000  # ids per IN (...) list


def _chunks(ids: Iterable[str]) -> list[list[str]]:
    wanted = sorted(set(ids))
    return [wanted[i:i + CHUNK] for i in range(0, len(wanted), CHUNK)]


_WHO = (select(cadres.c.cadre_id, cadres.c.name, cadres.c.unit_id, units.c.name.label("unit_name"))
        .select_from(cadres.outerjoin(units, units.c.unit_id == cadres.c.unit_id))
        .where(cadres.c.cadre_id == any_(bindparam("ids", type_=ARRAY(String)))))


async def who(conn: AsyncConnection, cadre_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """cadre id -> {name, unit_id, unit_name}; a cadre scoring has not heard of is left out. On PostgreSQL one
    statement with the ids as one array, straight on asyncpg (a city's screening names 68,553 cadres: in IN lists
    through SQLAlchemy that was most of its time)."""
    found: dict[str, dict[str, Any]] = {}
    if conn.dialect.name == "postgresql":
        rows = await fetch_all(conn, _WHO, {"ids": sorted(set(cadre_ids))})
        return {c: {"name": n, "unit_id": u, "unit_name": un} for c, n, u, un in rows}
    for chunk in _chunks(cadre_ids):
        rows = await conn.execute(
            select(cadres.c.cadre_id, cadres.c.name, cadres.c.unit_id, units.c.name.label("unit_name"))
            .select_from(cadres.outerjoin(units, units.c.unit_id == cadres.c.unit_id))
            .where(cadres.c.cadre_id.in_(chunk)))
        found.update({r.cadre_id: {"name": r.name, "unit_id": r.unit_id, "unit_name": r.unit_name} for r in rows})
    return found


async def unit_names(conn: AsyncConnection, unit_ids: Iterable[str | None]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for chunk in _chunks(u for u in unit_ids if u is not None):
        rows = await conn.execute(select(units.c.unit_id, units.c.name).where(units.c.unit_id.in_(chunk)))
        found.update({r.unit_id: r.name for r in rows})
    return found
