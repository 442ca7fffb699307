"""A condition search decided in SQL (issue 20, fourth round): the cadres of a unit subtree whose facts meet a
search's conditions on a day, with what sorting them needs (name, age), without folding a stream.

Folding every candidate's stream made a search over a city cost seconds per thousand cadres (bench/RESULTS.md,
issue 20, "At city size: the first run"). ``profile_history`` keeps, in the append's transaction
(``directory.statements``), every version of what the fact conditions read: the birth date (the last recorded
holds, a basics record without one clears it, as the fold's ``basics``), each kind of education and the expertise
(the version in force on a day is the last recorded among those effective by then, ``Profile._in_force``). With
``post_directory`` (who serves where on a day) and ``cadre_directory`` (names), that decides exactly, for any
``as_of`` and as held now, the conditions of ``DECIDED``: age, education level, major, discipline, professional
and familiar fields. SQL narrows (birth dates within a slack of the bounds, for 29 February); the exact checks
that follow are the search's own (``full_years``, the major's case-folded part) on the few values fetched.

What it cannot decide keeps the fold (``PortraitFacts.serving``): a ``known_at`` read (the history holds no
recording times), rank and years at that level (screening's rule over the posts' ranks), the unit's class of the
current post, the annual grades, and a sort by years at rank. ``tests/integration/test_profile_directory.py``
checks both ways answer the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import delete, func, inspect, or_, select, tuple_, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.dossier.tables import cadre_directory, events, post_directory, posts_open_on, profile_history
from services.portraits.facts import full_years, years_before
from services.portraits.search import Conditions, between
from shared.events import BasicsRecorded, CadreRegistered, DomainEvent
from shared.profile_events import EDUCATION_LEVELS, EducationLevel, EducationRecorded, ExpertiseRecorded

# The fact conditions decided here; any other given (with a value) keeps the fold.
DECIDED = frozenset({"age_min", "age_max", "education_min", "major", "discipline", "professional_field",
                     "familiar_field"})
SLACK = dt.timedelta(days=2)  # around the birth-date bounds, for 29 February; the exact age check follows
EDUCATION = "education:"
RECORDING = ("cadre_registered", "basics_recorded", "education_recorded", "expertise_recorded")


def statements(stream_id: str, event: DomainEvent) -> list[Any]:
    row: dict[str, Any] | None = None
    match event:
        case CadreRegistered() if event.birth_date is not None:  # without one, the fold keeps what it had
            row = {"facet": "birth_date", "birth_date": event.birth_date}
        case BasicsRecorded():  # replaces the basics whole: no birth date in it clears the one there was
            row = {"facet": "birth_date", "birth_date": event.birth_date}
        case EducationRecorded():
            row = {"facet": EDUCATION + event.kind.value, "effective": event.completed_on, "level": event.level.value,
                   "major": event.major, "discipline": event.discipline.value}
        case ExpertiseRecorded():
            row = {"facet": "expertise", "effective": event.effective_date,
                   "professional_field": event.professional_field,
                   "familiar_fields": "|" + "".join(f + "|" for f in event.familiar_fields)}
    if row is None:
        return []
    h = profile_history.c
    return [update(profile_history).where(h.cadre_id == stream_id, h.facet == row["facet"], h.latest)
            .values(latest=False),
            profile_history.insert().values(cadre_id=stream_id, latest=True, **row)]


def rebuild_sync(sync_conn: Any) -> None:
    """Empty the history and replay the events that write it (the migration that introduced it; repairs)."""
    from services.dossier.store import row_to_event

    if not inspect(sync_conn).has_table(profile_history.name):
        return
    sync_conn.execute(delete(profile_history))
    for row in sync_conn.execute(select(events).where(events.c.event_type.in_(RECORDING)).order_by(events.c.position)):
        stored = row_to_event(row)
        for statement in statements(stored.stream_id, stored.domain_event()):
            sync_conn.execute(statement)


def decides(c: Conditions, known_at: dt.datetime | None, sort: str) -> bool:
    """Whether this search's fact conditions are decided here (else the fold decides them)."""
    given = {name for name, value in c.of_facts().given().items() if value is not None}
    return known_at is None and given <= DECIDED and sort.lstrip("-") != "years_at_rank"


def _in_force(day: dt.date, facet: Any, *columns: str) -> Any:
    """Each cadre's version in force on ``day`` of the facets ``facet`` (a clause on the facet) selects: its
    ``cadre_id`` and ``columns``.

    The version recorded last is in force whenever it counts by ``day`` (always, asked as of today: nothing is
    recorded as counting from a later day): one read of the latest rows. Only where it counts from after ``day``
    is the last of the earlier versions looked for among all of them (an indexed read finds none as of today)."""
    h = profile_history.c
    counts = or_(h.effective.is_(None), h.effective <= day)
    settled = select(h.cadre_id, *(h[c] for c in columns)).where(facet, h.latest, counts)
    pending = select(h.cadre_id, h.facet).where(facet, h.latest, h.effective > day)
    order = func.row_number().over(partition_by=(h.cadre_id, h.facet), order_by=h.row_id.desc()).label("n")
    ranked = (select(h.cadre_id, *(h[c] for c in columns), order)
              .where(facet, counts, tuple_(h.cadre_id, h.facet).in_(pending)).subquery())
    earlier = select(ranked.c.cadre_id, *(ranked.c[c] for c in columns)).where(ranked.c.n == 1)
    return union_all(settled, earlier).subquery()


def _education(day: dt.date, *columns: str) -> Any:
    return _in_force(day, profile_history.c.facet.startswith(EDUCATION), *columns)


def _births(c: Conditions, day: dt.date) -> Any:
    """Each cadre's birth date (the latest record's: it counts on every day), within a slack of ``c``'s bounds."""
    h = profile_history.c
    born = [h.facet == "birth_date", h.latest]
    if c.age_min is not None or c.age_max is not None:
        born.append(h.birth_date.isnot(None))
    if c.age_max is not None:  # born after the same day age_max + 1 years before
        born.append(h.birth_date >= years_before(day, c.age_max + 1) - SLACK)
    if c.age_min is not None:
        born.append(h.birth_date <= years_before(day, c.age_min) + SLACK)
    return select(h.cadre_id, h.birth_date).where(*born).subquery()


def _conditions(c: Conditions, day: dt.date) -> list[Any]:
    """The ids of the cadres meeting each condition given but age, as subqueries."""
    found = []
    if c.education_min is not None:
        enough = [level.value for level in EDUCATION_LEVELS[:EDUCATION_LEVELS.index(EducationLevel(c.education_min)) + 1]]
        now = _education(day, "level")
        found.append(select(now.c.cadre_id).where(now.c.level.in_(enough)))
    if c.discipline is not None:
        now = _education(day, "discipline")
        found.append(select(now.c.cadre_id).where(now.c.discipline == c.discipline))
    if c.major is not None:  # some education in force; which majors hold the part is checked on the values
        found.append(select(_education(day).c.cadre_id))
    if c.professional_field is not None or c.familiar_field is not None:
        now = _in_force(day, profile_history.c.facet == "expertise", "professional_field", "familiar_fields")
        fields = [now.c.professional_field == c.professional_field] if c.professional_field is not None else []
        if c.familiar_field is not None:
            fields.append(now.c.familiar_fields.contains(f"|{c.familiar_field}|", autoescape=True))
        found.append(select(now.c.cadre_id).where(*fields))
    return found


def _serving(units: Collection[str] | None, day: dt.date) -> Any:
    """Who serves in ``units`` (None: every unit) on ``day``: an open post there, or, holding none, registered
    there; None when that is everyone registered."""
    if units is None:
        return None
    p, d = post_directory.c, cadre_directory.c
    open_on = posts_open_on(day)
    posted = select(p.cadre_id).where(p.unit_id.in_(sorted(units)), open_on)
    unposted = select(d.cadre_id).where(d.unit_id.in_(sorted(units)), d.cadre_id.not_in(select(p.cadre_id).where(open_on)))
    return posted.union(unposted)


async def matching(conn: AsyncConnection, units: Collection[str] | None, c: Conditions, day: dt.date
                   ) -> list[dict[str, Any]]:
    """Those serving in ``units`` (None: every unit) on ``day`` whose facts meet ``c``'s fact conditions (as held
    now), each with its name and age on ``day``."""
    d = cadre_directory.c
    births = _births(c, day)
    aged = c.age_min is not None or c.age_max is not None  # then only those with a birth date within the bounds
    meeting = [m for m in (_serving(units, day), *_conditions(c, day)) if m is not None]
    query = (select(d.cadre_id, d.name, births.c.birth_date)
             .select_from(cadre_directory.join(births, births.c.cadre_id == d.cadre_id, isouter=not aged))
             .where(*(d.cadre_id.in_(m) for m in meeting)))
    rows = (await conn.execute(query)).all()
    majors: dict[str, list[str]] = {}
    if c.major is not None and rows:
        now = _education(day, "major")
        found = select(now.c.cadre_id, now.c.major).where(*(now.c.cadre_id.in_(m) for m in meeting))
        for cadre_id, major in await conn.execute(found):
            majors.setdefault(cadre_id, []).append(major)
    answer = []
    for cadre_id, name, born in rows:
        age = full_years(born, day) if born is not None else None
        if not between(age, c.age_min, c.age_max):
            continue
        if c.major is not None and not any(c.major.casefold() in m.casefold() for m in majors.get(cadre_id, ())):
            continue
        answer.append({"cadre_id": cadre_id, "name": name, "age": age, "years_at_rank": None})
    return answer

