"""Directories of units, posts and cadres: inline projections of the dossier's own events.

They are written in the same transaction as the events they derive from, so a decision can
rely on them ("is this unit registered?", "who is this cadre's superior today?"). Derived data:
``rebuild_sync`` recreates them from the event store (the migration that introduced them does).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, delete, func, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.dossier import profile_directory, search_directory, tasks
from services.dossier.tables import (
    cadre_directory,
    events,
    post_directory,
    posts_open_on,
    profile_history,
    task_directory,
    unit_directory,
)
from services.dossier.tables import profile_directory as profile_table
from shared.events import CadreRegistered, DomainEvent, Leadership, PostAssigned, PostEnded, UnitLevel, UnitRegistered


def statements(stream_id: str, event: DomainEvent, recorded_at: dt.datetime | None = None,
               full: bool = True, profiles: bool = True, history: bool = True) -> list[Any]:
    """The directory writes that ``event`` (of stream ``stream_id``, recorded at ``recorded_at``) implies.
    ``full`` False: only what the directories of migration 0003 hold (no post titles, no tasks); ``profiles``
    False: none of the profile directory (before migration 0007); ``history`` False: none of the profile history
    (before migration 0009)."""
    found = _directory_statements(stream_id, event, full)
    if full:
        found += tasks.statements(stream_id, event, recorded_at)
    if full and profiles:
        found += profile_directory.statements(stream_id, event)
    if full and profiles and history:
        found += search_directory.statements(stream_id, event)
    return found


def _directory_statements(stream_id: str, event: DomainEvent, full: bool) -> list[Any]:
    match event:
        case CadreRegistered():
            return [cadre_directory.insert().values(cadre_id=stream_id, name=event.name, unit_id=event.unit_id)]
        case UnitRegistered():
            return [unit_directory.insert().values(unit_id=event.unit_id, parent_id=event.parent_id, name=event.name,
                                                   level=event.level.value, unit_class=event.unit_class)]
        case PostAssigned():
            title = {"position": event.position} if full else {}
            return [post_directory.insert().values(post_id=event.post_id, cadre_id=stream_id, unit_id=event.unit_id,
                                                   leadership=event.leadership.value, start_date=event.start_date,
                                                   **title)]
        case PostEnded():
            return [update(post_directory).where(post_directory.c.post_id == event.post_id)
                    .values(end_date=event.end_date)]
    return []


def rebuild_sync(sync_conn: Any) -> None:
    """Empty the directories and replay every event into them (for migrations and repairs). Before
    migration 0005 (no task directory yet) only the directories of 0003, as they were then; before 0007, no
    profile directory; before 0009, no profile history."""
    from services.dossier.store import row_to_event

    full = inspect(sync_conn).has_table(task_directory.name)
    profiles = inspect(sync_conn).has_table(profile_table.name)
    history = inspect(sync_conn).has_table(profile_history.name)
    for table in (cadre_directory, post_directory, unit_directory, *([task_directory] if full else []),
                  *([profile_table] if profiles else []), *([profile_history] if history else [])):
        sync_conn.execute(delete(table))
    for row in sync_conn.execute(select(events).order_by(events.c.position)):
        stored = row_to_event(row)
        for statement in statements(stored.stream_id, stored.domain_event(), stored.recorded_at, full, profiles,
                                    history):
            sync_conn.execute(statement)


async def cadre_card(conn: AsyncConnection, cadre_id: str) -> tuple[str, str, int] | None:
    """A cadre's name, unit and stream version, as folding their stream gives them, from the directory row and the
    stream's head: two index reads instead of the whole stream (~200 events, ~430 for a leader; the cadre page's
    slowest call at a city's size, bench/RESULTS.md). Only registration sets a cadre's name and unit in the fold
    (``domain.state``), and the directory row is written with that event. None: no such cadre."""
    head = select(func.max(events.c.stream_version)).where(events.c.stream_id == cadre_directory.c.cadre_id)
    row = (await conn.execute(select(cadre_directory.c.name, cadre_directory.c.unit_id, head.scalar_subquery())
                              .where(cadre_directory.c.cadre_id == cadre_id))).first()
    return (row[0], row[1], row[2]) if row is not None else None


async def unit_level(conn: AsyncConnection, unit_id: str) -> UnitLevel | None:
    value = await conn.scalar(select(unit_directory.c.level).where(unit_directory.c.unit_id == unit_id))
    return UnitLevel(value) if value else None


async def unit_levels(conn: AsyncConnection, unit_ids: Iterable[str]) -> dict[str, UnitLevel]:
    """The level of each registered unit among ``unit_ids`` (unregistered ones are left out)."""
    wanted = sorted(set(unit_ids))
    if not wanted:
        return {}
    rows = await conn.execute(select(unit_directory.c.unit_id, unit_directory.c.level)
                              .where(unit_directory.c.unit_id.in_(wanted)))
    return {r.unit_id: UnitLevel(r.level) for r in rows}


async def units(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = await conn.execute(select(unit_directory).order_by(unit_directory.c.unit_id))
    return [dict(r._mapping) for r in rows]


# The statements every authorized request runs, built once: building them anew per request cost more
# than running them.
_LEADS = select(post_directory.c.post_id).where(
    post_directory.c.cadre_id == bindparam("cadre"), posts_open_on(bindparam("day")),
    post_directory.c.leadership.in_([Leadership.CHIEF.value, Leadership.DEPUTY.value])).limit(1)
_HOME_UNITS = select(cadre_directory.c.cadre_id, cadre_directory.c.unit_id).where(
    cadre_directory.c.cadre_id.in_(bindparam("ids", expanding=True)))
_OPEN_POST_UNITS = select(post_directory.c.cadre_id, post_directory.c.unit_id).where(
    post_directory.c.cadre_id.in_(bindparam("ids", expanding=True)), posts_open_on(bindparam("day")))
_UNIT_COUNT = select(func.count()).select_from(unit_directory)
_UNIT_PARENTS = select(unit_directory.c.unit_id, unit_directory.c.parent_id)
# What the relations answer from: units and cadres are only ever added, a post is added and ended once.
_VERSION = select(select(func.count()).select_from(unit_directory).scalar_subquery(),
                  select(func.count()).select_from(cadre_directory).scalar_subquery(),
                  select(func.count()).select_from(post_directory).scalar_subquery(),
                  select(func.count(post_directory.c.end_date)).scalar_subquery())


async def version(conn: AsyncConnection, day: dt.date) -> str:
    """A text that changes whenever an answer of ``DossierService.relations`` may: the day (posts open and
    end by date), and how many units, cadres, posts and ended posts the directories hold (each only grows:
    a unit or cadre is registered once, a post assigned once and ended once)."""
    counts = (await conn.execute(_VERSION)).one()
    return ":".join([day.isoformat(), *map(str, counts)])


async def leads(conn: AsyncConnection, cadre_id: str, day: dt.date) -> bool:
    """Whether the cadre holds a chief's or deputy's post on ``day`` (only they are anyone's superior)."""
    return await conn.scalar(_LEADS, {"cadre": cadre_id, "day": day}) is not None


async def superiors(conn: AsyncConnection, cadre_id: str, day: dt.date) -> frozenset[str]:
    """The cadre's superiors on ``day``, from the posts open then.

    A member's superiors are the chiefs and deputies of their unit; a deputy's, the unit's chiefs;
    a chief's, the chiefs of the parent unit. (A cadre whose unit has no such post has none, and
    their reports wait until one is assigned.)
    """
    posts = (await conn.execute(select(post_directory.c.unit_id, post_directory.c.leadership)
                                .where(post_directory.c.cadre_id == cadre_id, posts_open_on(day)))).all()
    found: set[str] = set()
    for unit_id, leadership in posts:
        if leadership == Leadership.CHIEF:
            target = await conn.scalar(select(unit_directory.c.parent_id).where(unit_directory.c.unit_id == unit_id))
            wanted = [Leadership.CHIEF.value]
        else:
            target = unit_id
            wanted = [Leadership.CHIEF.value] if leadership == Leadership.DEPUTY else [
                Leadership.CHIEF.value, Leadership.DEPUTY.value]
        if target is None:
            continue
        rows = await conn.execute(select(post_directory.c.cadre_id).where(
            post_directory.c.unit_id == target, post_directory.c.leadership.in_(wanted), posts_open_on(day)))
        found.update(r.cadre_id for r in rows)
    found.discard(cadre_id)
    return frozenset(found)


def subtree(all_units: list[dict[str, Any]], root: str) -> list[str]:
    """The units under ``root`` (its jurisdiction), nearest first, ``root`` excluded."""
    children: dict[str | None, list[str]] = {}
    for unit in all_units:
        children.setdefault(unit["parent_id"], []).append(unit["unit_id"])
    found, frontier = [], [root]
    while frontier:
        level = [c for parent in frontier for c in sorted(children.get(parent, []))]
        found.extend(level)
        frontier = level
    return found


class UnitTree:
    """Which unit lies under which, kept in memory: every authorized request asks whether some units lie
    in the caller's jurisdiction, and loading the city's 2,000 units for each cost more than the rest of
    the request. Units are only ever added (a unit is registered once and never moved), so the number of
    rows in the directory tells whether the tree kept is current; each ``current`` costs one count."""

    def __init__(self) -> None:
        self._parents: dict[str, str | None] = {}

    async def current(self, conn: AsyncConnection) -> UnitTree:
        count = await conn.scalar(_UNIT_COUNT)
        if count != len(self._parents):
            rows = await conn.execute(_UNIT_PARENTS)
            self._parents = {r.unit_id: r.parent_id for r in rows}
        return self

    def is_everything(self, units: list[str]) -> bool:
        """Whether ``units`` (a jurisdiction) are all the units there are (no need to filter by them)."""
        return len(units) == len(self._parents)

    def is_top_level(self, unit_id: str | None) -> bool:
        return unit_id in self._parents and self._parents[unit_id] is None

    def within(self, root: str | None, unit_id: str | None) -> bool:
        """Whether ``unit_id`` is ``root`` or lies under it."""
        if root is None or root not in self._parents:
            return False
        for _ in range(len(self._parents)):  # bounded: a cycle in bad data must not hang a request
            if unit_id == root:
                return True
            if unit_id is None:
                return False
            unit_id = self._parents.get(unit_id)
        return False

    def jurisdiction(self, root: str | None) -> list[str]:
        """The units in ``root``'s jurisdiction: itself first, then its subtree; [] when there is no such unit."""
        if root is None or root not in self._parents:
            return []
        return [root, *subtree([{"unit_id": u, "parent_id": p} for u, p in self._parents.items()], root)]


async def cadre_units(conn: AsyncConnection, cadre_ids: Iterable[str], day: dt.date) -> dict[str, set[str]]:
    """Where each registered cadre serves on ``day``: the units of their open posts, or the unit they
    were registered in while they hold none. An unregistered id is absent from the answer."""
    ids = list(cadre_ids)
    if not ids:
        return {}
    fallback = {r.cadre_id: r.unit_id for r in await conn.execute(_HOME_UNITS, {"ids": ids})}
    found: dict[str, set[str]] = {cadre: set() for cadre in fallback}
    for row in await conn.execute(_OPEN_POST_UNITS, {"ids": ids, "day": day}):
        found[row.cadre_id].add(row.unit_id)
    return {cadre: units_ or {fallback[cadre]} for cadre, units_ in found.items()}
