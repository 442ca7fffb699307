"""The dossier's answer for portraits, searches and team reports (issue 20): the facts of cadres on a day
(``as_of``) as known at a moment (``known_at``), computed by ``services.portraits.facts`` from each cadre's stream.

Who is asked about: cadres by id, or those serving in a unit subtree on ``as_of`` (an open post there, or,
holding none, registered there), or one unit's leadership team (its chiefs' and deputies' posts open on
``as_of``). The candidates come from the directories (which hold every post and registration recorded so
far; as held now, only the posts open on ``as_of``: a unit's team read folded every cadre who ever held a post
there, most of a city's team report); each candidate's stream is then read and only the events recorded by
``known_at`` folded, so a post recorded after ``known_at`` makes nobody a member on a past day.

The gateway authorizes first (the cadres or the unit lie in the caller's jurisdiction) and logs the read.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import FastAPI, Query
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.dossier import directory, domain, profile_directory, store
from services.dossier.tables import cadre_directory, post_directory, posts_open_on, unit_directory
from services.portraits import search
from services.portraits.facts import RecordRef, cadre_facts
from shared.events import Leadership
from shared.http import known_at_utc

TEAM = (Leadership.CHIEF.value, Leadership.DEPUTY.value)
CONDITIONS = TypeAdapter(search.Conditions)
MANY_UNITS = 500  # unit ids in one query's IN list at most


def _serving(facts: dict[str, Any], units: set[str], team: bool) -> bool:
    day = facts["as_of"]  # ISO dates compare as text
    open_posts = [p for p in facts["career"]["posts"] if p["end_date"] is None or p["end_date"] >= day]
    if team:
        return any(p["unit_id"] in units and p["leadership"] in TEAM for p in open_posts)
    if open_posts:
        return any(p["unit_id"] in units for p in open_posts)
    return facts["registered_unit_id"] in units


@dataclass(frozen=True, slots=True)
class _Folded:
    """A cadre's whole stream folded, as of its head (version and hash)."""

    version: int
    hash: str | None
    state: domain.Dossier
    refs: tuple[RecordRef, ...]

    def known_by(self, moment: dt.datetime | None) -> bool:
        return moment is None or not self.refs or self.refs[-1].recorded_at <= moment


async def _unit_classes(conn: AsyncConnection, unit_ids: set[str]) -> dict[str, str]:
    """The class of each unit named (a portrait's few; past ``MANY_UNITS`` every unit, one plain read)."""
    u = unit_directory.c
    query = select(u.unit_id, u.unit_class)
    if len(unit_ids) <= MANY_UNITS:
        query = query.where(u.unit_id.in_(sorted(unit_ids)))
    return {unit_id: unit_class for unit_id, unit_class in await conn.execute(query)}


class PortraitFacts:
    """``cache_size`` folded streams are kept (least recently used dropped first): a search reads every cadre of a
    jurisdiction, and folding each stream again on every read was most of its time (bench/RESULTS.md, issue 20).
    A kept fold is used only while its stream's head in the store is still the one it was folded to."""

    def __init__(self, engine: AsyncEngine, today: Callable[[], dt.date], cache_size: int = 5000) -> None:
        self._engine = engine
        self._today = today
        self._size = cache_size
        self._folded: OrderedDict[str, _Folded] = OrderedDict()

    def _keep(self, cadre_id: str, folded: _Folded) -> None:
        self._folded[cadre_id] = folded
        self._folded.move_to_end(cadre_id)
        while len(self._folded) > self._size:
            self._folded.popitem(last=False)

    async def _states(self, conn: AsyncConnection, cadre_ids: Sequence[str], known_at: dt.datetime | None
                      ) -> dict[str, tuple[domain.Dossier, Sequence[RecordRef]]]:
        heads = await store.stream_heads(conn, cadre_ids)
        kept = {c: f for c in cadre_ids if (f := self._folded.get(c)) is not None and heads.get(c) == (f.version, f.hash)}
        found = {c: (f.state, f.refs) for c, f in kept.items() if f.known_by(known_at)}
        streams = await store.read_streams(conn, [c for c in cadre_ids if c in heads and c not in found])
        for cadre_id, history in streams.items():
            if history[0].event_type != "cadre_registered":
                continue
            whole = _Folded(history[-1].stream_version, history[-1].hash,
                            domain.fold(cadre_id, [e.domain_event() for e in history]),
                            tuple(RecordRef(e.stream_version, e.event_type, e.effective_date, e.recorded_at)
                                  for e in history))
            self._keep(cadre_id, whole)
            if whole.known_by(known_at):
                found[cadre_id] = (whole.state, whole.refs)
                continue
            known = [e for e in history if e.recorded_at <= known_at]  # type: ignore[operator]
            if known:
                found[cadre_id] = (domain.fold(cadre_id, [e.domain_event() for e in known]),
                                   whole.refs[:len(known)])
        return found

    async def of(self, cadre_ids: Sequence[str], as_of: dt.date, known_at: dt.datetime | None,
                 records: bool = True, entries: bool = True) -> list[dict[str, Any]]:
        """``records``: with the references of the events behind the facts (a portrait's; a search needs none);
        ``entries``: with each list entry of the window (a portrait's; a search's rows show only the counts)."""
        wanted = list(dict.fromkeys(cadre_ids))
        async with self._engine.connect() as conn:
            states = await self._states(conn, wanted, known_at)
            classes = await _unit_classes(conn, {p.unit_id for s, _ in states.values() for p in s.posts.values()})
        return [cadre_facts(states[c][0], states[c][1] if records else (), as_of, classes, entries)
                for c in wanted if c in states]

    async def serving(self, unit: str, as_of: dt.date, known_at: dt.datetime | None, team: bool,
                      where: search.Conditions | None = None) -> list[dict[str, Any]]:
        """Those serving in ``unit``'s subtree on ``as_of`` (with ``team``: the chiefs and deputies of ``unit``); with
        ``where``, only those whose facts meet its conditions (the profile directory rules out most unfolded)."""
        async with self._engine.connect() as conn:
            all_units = await directory.units(conn)
            units = {unit} if team else {unit, *directory.subtree(all_units, unit)}
            posted = select(post_directory.c.cadre_id).where(post_directory.c.unit_id.in_(units))
            if known_at is None:  # the directory holds posts as held now: open on the day, or not a member then
                posted = posted.where(posts_open_on(as_of))
            if team:
                posted = posted.where(post_directory.c.leadership.in_(TEAM))
                candidates = set((await conn.execute(posted)).scalars())
            else:
                home = select(cadre_directory.c.cadre_id).where(cadre_directory.c.unit_id.in_(units))
                candidates = set((await conn.execute(posted.union(home))).scalars())
            if where is not None:
                candidates = await profile_directory.candidates(conn, candidates, where, as_of)
        facts = await self.of(sorted(candidates), as_of, known_at, records=False, entries=False)
        return [f for f in facts if _serving(f, units, team)
                and (where is None or search.matches(search.row(f, None), where))]


def add_routes(app: FastAPI, service: PortraitFacts) -> None:
    @app.get("/v1/portrait-facts", tags=["portraits"])
    async def portrait_facts(cadre_id: Annotated[list[str] | None, Query(max_length=1000)] = None,
                             unit: Annotated[str | None, Query(max_length=100)] = None,
                             team: bool = False, records: bool = True, entries: bool = True,
                             as_of: dt.date | None = None,
                             known_at: dt.datetime | None = None,
                             where: Annotated[str | None, Query(max_length=2000)] = None) -> dict[str, Any]:
        """``where``: a search's conditions that the facts decide; only the cadres meeting them are answered."""
        day = as_of or service._today()
        moment = known_at_utc(known_at) if known_at is not None else None
        try:
            facts_decide = None if where is None else CONDITIONS.validate_json(where).of_facts()
        except ValidationError as refused:
            raise RequestValidationError(refused.errors()) from None
        if unit is not None:
            cadres = await service.serving(unit, day, moment, team, facts_decide)
        else:
            cadres = await service.of(cadre_id or [], day, moment, records, entries)
            if facts_decide is not None:
                cadres = [f for f in cadres if search.matches(search.row(f, None), facts_decide)]
        return {"as_of": day.isoformat(), "known_at": moment.isoformat() if moment else None, "cadres": cadres}

