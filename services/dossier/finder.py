"""Finding cadres and what waits (issue 15): the cadre list of a unit subtree, searched by name, post title and
leadership, and a leader's or a clerk's tasks; each a page in keyset order with an opaque cursor
(``shared.cursor``). Queries over the directories only (``tables``): names, units and open posts as they
stand today, tasks as ``tasks.statements`` keeps them. Nothing here is sealed: names, units and posts are
the directory's; sealed declarations are not touched.

The gateway authorizes first (the unit lies in the caller's jurisdiction; the caller is a leader or a
clerk); the dossier answers for the unit subtree or the subject it is given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import FastAPI, Query
from sqlalchemy import and_, exists, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.dossier import directory, tasks
from services.dossier.tables import cadre_directory, post_directory, posts_open_on, task_directory, unit_directory
from shared import cursor as cursors
from shared.events import Leadership

c, p, t, u = cadre_directory, post_directory, task_directory, unit_directory
CHIEF, DEPUTY, MEMBER = Leadership.CHIEF.value, Leadership.DEPUTY.value, Leadership.MEMBER.value


def _containing(text: str):
    """A LIKE pattern for ``text`` anywhere, its wildcards taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _serving(cadre_id, home_unit, units: list[str] | None, day: dt.date, post: str | None = None,
             leadership: str | None = None):
    """The cadre serves in ``units`` (None: anywhere) on ``day``, as the gateway's relations have it: an open
    post there, or, while they hold none, their home unit. With ``post`` (part of its title) or
    ``leadership``, an open post there that matches them."""
    wanted = [p.c.cadre_id == cadre_id, posts_open_on(day)]
    if units is not None:
        wanted.append(p.c.unit_id.in_(units))
    if leadership is not None:
        wanted.append(p.c.leadership == leadership)
    if post:
        wanted.append(p.c.position.ilike(_containing(post), escape="\\"))
    holds = exists(select(literal(1)).select_from(p).where(*wanted))
    if post or leadership is not None:
        return holds
    if units is None:
        return literal(True)
    holds_any = exists(select(literal(1)).select_from(p).where(p.c.cadre_id == cadre_id, posts_open_on(day)))
    return or_(holds, and_(home_unit.in_(units), ~holds_any))


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _page(rows: list[Any], limit: int, key: Callable[[Any], list[str]]) -> str | None:
    return cursors.encode(key(rows[-1])) if len(rows) == limit else None


class Finder:
    def __init__(self, engine: AsyncEngine, today: Callable[[], dt.date]) -> None:
        self._engine = engine
        self._today = today
        self._units = directory.UnitTree()

    async def _subtree(self, conn: AsyncConnection, unit: str) -> list[str] | None:
        """The units of ``unit``'s subtree; None when that is every unit (nothing to filter by)."""
        tree = await self._units.current(conn)
        units = tree.jurisdiction(unit)
        return None if units and tree.is_everything(units) else units

    async def cadres(self, unit: str, *, name: str | None = None, post: str | None = None,
                     leadership: str | None = None, limit: int = 100, cursor: str | None = None) -> dict[str, Any]:
        """The cadres serving in ``unit``'s subtree today, by name then id."""
        after = cursors.decode(cursor, 2) if cursor is not None else None
        day = self._today()
        async with self._engine.connect() as conn:
            units = await self._subtree(conn, unit)
            if units == []:
                return {"cadres": [], "next": None}
            query = (select(c.c.cadre_id, c.c.name, c.c.unit_id, u.c.name.label("unit_name"))
                     .select_from(c.outerjoin(u, u.c.unit_id == c.c.unit_id))
                     .where(_serving(c.c.cadre_id, c.c.unit_id, units, day, post, leadership))
                     .order_by(c.c.name, c.c.cadre_id).limit(limit))
            if name:
                query = query.where(c.c.name.ilike(_containing(name), escape="\\"))
            if after is not None:
                query = query.where(or_(c.c.name > after[0], and_(c.c.name == after[0], c.c.cadre_id > after[1])))
            rows = (await conn.execute(query)).all()
            posts = await self._open_posts(conn, [r.cadre_id for r in rows], day)
        return {"cadres": [{"cadre_id": r.cadre_id, "name": r.name, "unit_id": r.unit_id, "unit_name": r.unit_name,
                            "posts": posts.get(r.cadre_id, [])} for r in rows],
                "next": _page(rows, limit, lambda r: [r.name, r.cadre_id])}

    @staticmethod
    async def _open_posts(conn: AsyncConnection, cadre_ids: list[str], day: dt.date) -> dict[str, list[dict]]:
        if not cadre_ids:
            return {}
        rows = await conn.execute(
            select(p.c.cadre_id, p.c.post_id, p.c.unit_id, u.c.name.label("unit_name"), p.c.position, p.c.leadership,
                   p.c.start_date).select_from(p.outerjoin(u, u.c.unit_id == p.c.unit_id))
            .where(p.c.cadre_id.in_(cadre_ids), posts_open_on(day)).order_by(p.c.start_date, p.c.post_id))
        found: dict[str, list[dict]] = {}
        for r in rows:
            found.setdefault(r.cadre_id, []).append(
                {"post_id": r.post_id, "unit_id": r.unit_id, "unit_name": r.unit_name, "position": r.position,
                 "leadership": r.leadership, "start_date": r.start_date.isoformat()})
        return found

    async def subordinates(self, conn: AsyncConnection, leader: str, day: dt.date) -> set[str]:
        """Whose superior ``leader`` is on ``day`` (the converse of ``directory.superiors``): a chief's are the
        deputies and members of their unit and the chiefs of the units under it; a deputy's, the members."""
        mine = (await conn.execute(select(p.c.unit_id, p.c.leadership).where(
            p.c.cadre_id == leader, posts_open_on(day), p.c.leadership.in_([CHIEF, DEPUTY])))).all()
        found: set[str] = set()
        for unit_id, leadership in mine:
            under = [DEPUTY, MEMBER] if leadership == CHIEF else [MEMBER]
            same_unit = and_(p.c.unit_id == unit_id, p.c.leadership.in_(under))
            below = and_(p.c.leadership == CHIEF, p.c.unit_id.in_(select(u.c.unit_id).where(u.c.parent_id == unit_id)))
            wanted = or_(same_unit, below) if leadership == CHIEF else same_unit
            found.update(r.cadre_id for r in await conn.execute(select(p.c.cadre_id).where(wanted, posts_open_on(day))))
        found.discard(leader)
        return found

    async def tasks(self, *, leader: str | None = None, unit: str | None = None, limit: int = 100,
                    cursor: str | None = None) -> dict[str, Any]:
        """A leader's tasks (their subordinates' reports to endorse, achievements to verify), or the appeals
        to decide of the cadres serving in ``unit``'s subtree: oldest first."""
        after = cursors.decode(cursor, 2) if cursor is not None else None
        since_after = _moment(after[0]) if after is not None else None
        day = self._today()
        async with self._engine.connect() as conn:
            query = (select(t.c.task, t.c.task_id, t.c.cadre_id, t.c.subject_id, t.c.title, t.c.since, c.c.name,
                            c.c.unit_id, u.c.name.label("unit_name"))
                     .select_from(t.join(c, c.c.cadre_id == t.c.cadre_id).outerjoin(u, u.c.unit_id == c.c.unit_id))
                     .order_by(t.c.since, t.c.task_id).limit(limit))
            if leader is not None:
                subordinates = sorted(await self.subordinates(conn, leader, day))
                query = query.where(t.c.task.in_(tasks.SUPERIOR_TASKS), t.c.cadre_id.in_(subordinates))
            else:
                units = await self._subtree(conn, unit or "")
                query = query.where(t.c.task.in_(tasks.CLERK_TASKS), _serving(t.c.cadre_id, c.c.unit_id, units, day))
            if after is not None:
                query = query.where(or_(t.c.since > since_after, and_(t.c.since == since_after, t.c.task_id > after[1])))
            rows = (await conn.execute(query)).all()
        return {"tasks": [{"task": r.task, "cadre_id": r.cadre_id, "name": r.name, "unit_id": r.unit_id,
                           "unit_name": r.unit_name, "subject_id": r.subject_id, "title": r.title,
                           "since": _utc(r.since).isoformat(),
                           "action": tasks.action_path(r.task, r.cadre_id, r.subject_id)} for r in rows],
                "next": _page(rows, limit, lambda r: [_utc(r.since).isoformat(), r.task_id])}


def _moment(text: str) -> dt.datetime:
    try:
        return _utc(dt.datetime.fromisoformat(text))
    except ValueError as exc:
        raise cursors.invalid("cursor", "cursor_format", "not a cursor this list gave out") from exc


Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=1000)]
Text = Annotated[str | None, Query(min_length=1, max_length=100)]


def add_routes(app: FastAPI, finder: Finder) -> None:
    @app.get("/v1/cadres", tags=["cadres"])
    async def list_cadres(unit: Annotated[str, Query(max_length=100)], name: Text = None, post: Text = None,
                          leadership: Annotated[str | None, Query(pattern="^(chief|deputy|member)$")] = None,
                          limit: Limit = 100, cursor: Cursor = None) -> dict[str, Any]:
        return await finder.cadres(unit, name=name, post=post, leadership=leadership, limit=limit, cursor=cursor)

    @app.get("/v1/tasks", tags=["tasks"])
    async def list_tasks(leader: Annotated[str | None, Query(max_length=200)] = None,
                         unit: Annotated[str | None, Query(max_length=100)] = None,
                         limit: Limit = 100, cursor: Cursor = None) -> dict[str, Any]:
        """``leader``: that leader's tasks; otherwise the appeals awaiting a decision in ``unit``'s subtree."""
        return await finder.tasks(leader=leader, unit=unit, limit=limit, cursor=cursor)
