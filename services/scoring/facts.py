"""Loading what the scoring projection knows of cadres (``services/scoring/model.py``), as known at a
recorded time, in bulk; and deriving ``current_entries``, the entries as they stand now.

The fact tables are insert-only, so "as known at T" is "rows recorded by T", with the newest correction
by T winning. Loading takes a handful of queries for any number of cadres, so a whole jurisdiction is
screened or ranked in one pass. ``current_entries`` is the one table written here (by the consumer and a
rebuild, in their transactions): a cache of ``_as_known`` at "now", re-derived for the entries a batch touched.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import (
    ARRAY,
    Date,
    DateTime,
    Integer,
    String,
    all_,
    and_,
    any_,
    bindparam,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scoring.model import CadreFacts, EntryFact, PostFact, Result, Summing
from services.scoring.tables import (
    cadres,
    current_entries,
    declarations,
    entries,
    entry_amendments,
    post_ends,
    posts,
    results,
    revocations,
    units,
)
from shared.db import fetch_all

CHUNK = 5000  # ids per IN (...) list: well inside both databases' parameter limits


# ``known_at`` None: as the projection holds them now (see ``current_entries``). Every other table is
# filtered by recorded time all the same, with this as "now": later than anything recorded.
HELD_NOW = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


def _chunks(ids: Sequence[str]) -> list[Sequence[str]]:
    return [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)] or [[]]


def _ids_param(dialect: str, column, name: str = "ids"):
    """``column`` in the ``name`` parameter: one array on PostgreSQL, an expanding IN list on SQLite."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(String)))
    return column.in_(bindparam(name, expanding=True))


def _not_in_param(dialect: str, column, name: str):
    if dialect == "postgresql":
        return column != all_(bindparam(name, type_=ARRAY(String)))
    return column.not_in(bindparam(name, expanding=True))


async def _rows(conn: AsyncConnection, query, ids: Sequence[str], **params) -> Sequence:
    """A statement of ``_fact_queries`` (restricted to the ``ids`` parameter) for ``ids``: one array
    parameter on PostgreSQL (one prepared plan, whatever the count), IN lists of at most CHUNK ids on
    SQLite. Rows are read by position."""
    if conn.dialect.name == "postgresql":
        return await fetch_all(conn, query, {"ids": list(ids), **params})
    out: list = []
    for chunk in _chunks(ids):
        out += await fetch_all(conn, query, {"ids": list(chunk), **params})
    return out


_ENTRY_COLUMNS = ("entry_id", "cadre_id", "kind", "event_id", "category", "points_cents", "effective_date",
                  "impact_start", "impact_end")


def _as_known(dialect: str, key: str | None = "cadre_id"):
    """The entries whose ``key`` (cadre_id or entry_id; None: every entry) is in the ``ids`` parameter, as
    they stood at the ``known_at`` parameter: recorded by then, not revoked by then, as last amended by then
    (an amendment restates the whole entry, its impact period or the lack of one included). Joined to each
    entry's newest amendment; amendments are rare, so that side stays small."""
    known_at = bindparam("known_at", type_=DateTime(timezone=True))

    def among(table):
        return _ids_param(dialect, table.c[key]) if key else true()

    ranked = select(
        entry_amendments,
        func.row_number().over(partition_by=entry_amendments.c.entry_id,
                               order_by=entry_amendments.c.recorded_at.desc()).label("newest"),
    ).where(entry_amendments.c.recorded_at <= known_at, among(entry_amendments)).subquery()
    a = select(ranked).where(ranked.c.newest == 1).subquery()
    amended = a.c.event_id.is_not(None)
    return select(
        entries.c.entry_id, entries.c.cadre_id, entries.c.kind,
        func.coalesce(a.c.event_id, entries.c.event_id).label("event_id"),
        func.coalesce(a.c.category, entries.c.category).label("category"),
        func.coalesce(a.c.points_cents, entries.c.points_cents).label("points_cents"),
        func.coalesce(a.c.effective_date, entries.c.effective_date).label("effective_date"),
        case((amended, a.c.impact_start), else_=entries.c.impact_start).label("impact_start"),
        case((amended, a.c.impact_end), else_=entries.c.impact_end).label("impact_end"),
    ).select_from(entries.outerjoin(a, a.c.entry_id == entries.c.entry_id)).where(
        entries.c.recorded_at <= known_at,
        ~exists().where(revocations.c.entry_id == entries.c.entry_id, revocations.c.recorded_at <= known_at),
        among(entries),
    ).subquery("known")


def _held_now(dialect: str):
    """The same columns as ``_as_known``, from ``current_entries``: the entries as they stand now."""
    c = current_entries.c
    return select(*(c[name] for name in _ENTRY_COLUMNS)).where(_ids_param(dialect, c.cadre_id)).subquery("held")


@functools.lru_cache(maxsize=256)
def _entry_queries(dialect: str, held_now: bool, since: bool, cuts: int, keep_sanctions: bool, keep_negative: bool,
                   keep_categories: bool, by_category: bool = True):
    """The statements of ``load_entries``, built once per shape and reused (building and compiling them
    costs more than running them): entries one by one, and, with ``cuts``, the sums. Parameters:
    ``ids``, ``known_at`` (unless ``held_now``), ``since``, ``until``, ``cuts`` (``cut_0`` ... on SQLite)
    and ``keep``."""
    k = _held_now(dialect) if held_now else _as_known(dialect)
    one_by_one = select(*(k.c[name] for name in _ENTRY_COLUMNS))
    summable = [k.c.impact_start.is_(None)] if keep_sanctions else []
    if keep_negative:
        summable.append(k.c.points_cents > 0)
    if keep_categories:
        summable.append(_not_in_param(dialect, k.c.category, "keep"))
    if cuts:
        one_by_one = one_by_one.where(~and_(*summable)) if summable else None
    if since and one_by_one is not None:
        day = bindparam("since", type_=Date)
        one_by_one = one_by_one.where(or_(k.c.effective_date >= day, k.c.impact_end >= day))
    if one_by_one is not None:  # oldest first, so that evidence lists read the same whichever query loaded them
        one_by_one = one_by_one.order_by(k.c.effective_date, k.c.entry_id)
    if not cuts:
        return one_by_one, None
    bounds = [bindparam(f"cut_{n}", type_=Date) for n in range(cuts)]
    if dialect == "postgresql":  # the cuts as one array: one comparison per row instead of a CASE per cut
        segment = func.width_bucket(k.c.effective_date, bindparam("cuts", type_=ARRAY(Date)), type_=Integer) - 1
    else:
        segment = case(*((k.c.effective_date >= bound, n) for n, bound in reversed(list(enumerate(bounds)))), else_=-1)
    # The segment and the sign are computed in an inner query and grouped on in the outer one: grouping
    # on the expressions themselves would repeat their parameters, which PostgreSQL then sees as different.
    tagged = select(k.c.cadre_id, k.c.kind, k.c.category, k.c.points_cents, segment.label("segment"),
                    case((k.c.points_cents > 0, 1), else_=0).label("positive")).where(
        *summable, k.c.effective_date >= bounds[0], k.c.effective_date <= bindparam("until", type_=Date)).subquery()
    sums = (func.sum(tagged.c.points_cents).label("cents"), func.count().label("n"))
    if not by_category:  # fewer groups, and no text to group on and ship: a third of the query's time
        blank = literal_column("''")
        keys = (tagged.c.cadre_id, tagged.c.segment, tagged.c.positive)
        return one_by_one, select(tagged.c.cadre_id, blank.label("kind"), blank.label("category"),
                                  tagged.c.segment, tagged.c.positive, *sums).group_by(*keys)
    keys = (tagged.c.cadre_id, tagged.c.kind, tagged.c.category, tagged.c.segment, tagged.c.positive)
    return one_by_one, select(*keys, *sums).group_by(*keys)


async def load_entries(conn: AsyncConnection, ids: Sequence[str], known_at: dt.datetime | None,
                       since: dt.date | None = None, *, summing: Summing | None = None) -> dict[str, list[EntryFact]]:
    """Each cadre's entries as they stood at ``known_at`` (see ``_as_known``), or, with ``known_at`` None,
    as they stand now (``current_entries``); verified achievements are entries of kind ``achievement``.

    ``since`` leaves out what cannot matter from that day on: entries effective earlier, unless a
    sanction's impact period reaches it. With ``summing``, ``since`` is its first cut and the database
    sums what it may (see ``Summing``)."""
    dialect = conn.dialect.name
    if dialect != "postgresql" and len(ids) > CHUNK:  # SQLite: keep each IN list within its limits
        merged: dict[str, list[EntryFact]] = {}
        for chunk in _chunks(ids):
            merged.update(await load_entries(conn, chunk, known_at, since, summing=summing))
        return merged
    params: dict[str, object] = {"ids": list(ids), "known_at": known_at}
    if summing is not None:
        since = summing.cuts[0]
        params.update({f"cut_{n}": cut for n, cut in enumerate(summing.cuts)}, cuts=list(summing.cuts),
                      until=summing.until, keep=sorted(summing.keep_categories))
    params["since"] = since
    one_by_one, summed = _entry_queries(dialect, known_at is None, since is not None,
                                        len(summing.cuts) if summing else 0,
                                        summing is None or summing.keep_sanctions,
                                        bool(summing and summing.keep_negative),
                                        bool(summing and summing.keep_categories),
                                        summing is None or summing.by_category)
    by_cadre: dict[str, list[EntryFact]] = defaultdict(list)
    if one_by_one is not None:
        for entry_id, cadre_id, kind, event_id, category, points_cents, effective_date, impact_start, impact_end \
                in await fetch_all(conn, one_by_one, params):
            by_cadre[cadre_id].append(EntryFact(entry_id, event_id, kind, category, Decimal(points_cents) / 100,
                                                effective_date, (impact_start, impact_end) if impact_start else None))
    if summed is not None:
        assert summing is not None
        for cadre_id, kind, category, segment, _, summed_cents, count in await fetch_all(conn, summed, params):
            by_cadre[cadre_id].append(EntryFact("", "", kind, category, Decimal(int(summed_cents)) / 100,
                                                summing.cuts[segment], None, int(count)))
    return by_cadre


async def refresh_current_entries(conn: AsyncConnection, entry_ids: Sequence[str]) -> None:
    """Re-derive the ``current_entries`` rows of ``entry_ids`` from the entries, amendments and revocations
    the projection holds (within ``conn``'s transaction): whatever order or how often their events came."""
    if not entry_ids:
        return
    dialect = conn.dialect.name
    for chunk in [entry_ids] if dialect == "postgresql" else _chunks(entry_ids):
        params = {"ids": list(chunk), "known_at": HELD_NOW}
        await conn.execute(current_entries.delete().where(_ids_param(dialect, current_entries.c.entry_id)), params)
        await conn.execute(_derive_current(dialect), params)


async def derive_every_current_entry(conn: AsyncConnection) -> None:
    """Fill an empty ``current_entries`` from every entry the projection holds, in one statement (a rebuild)."""
    await conn.execute(_derive_current(conn.dialect.name, every=True), {"known_at": HELD_NOW})


@functools.lru_cache(maxsize=4)
def _derive_current(dialect: str, every: bool = False):
    k = _as_known(dialect, key=None if every else "entry_id")
    return current_entries.insert().from_select(list(_ENTRY_COLUMNS), select(*(k.c[n] for n in _ENTRY_COLUMNS)))


@functools.lru_cache(maxsize=4)
def _fact_queries(dialect: str) -> dict[str, object]:
    """The statements of ``load_facts``, built once. Parameters: ``ids``, ``known_at``, and for results
    the ``first_year`` and ``last_year``."""
    known_at = bindparam("known_at", type_=DateTime(timezone=True))
    first, last = bindparam("first_year", type_=Integer), bindparam("last_year", type_=Integer)
    # oldest first, so that the newest correction of a result is the one kept
    recorded = select(results.c.subject_id, results.c.kind, results.c.year, results.c.event_id, results.c.value).where(
        results.c.recorded_at <= known_at, results.c.year >= first, results.c.year <= last,
        _ids_param(dialect, results.c.subject_id)).order_by(results.c.recorded_at)
    return {
        "cadres": select(cadres.c.cadre_id, cadres.c.name, cadres.c.unit_id).where(
            cadres.c.recorded_at <= known_at, _ids_param(dialect, cadres.c.cadre_id)),
        "posts": select(posts.c.post_id, posts.c.event_id, posts.c.cadre_id, posts.c.unit_id, posts.c.leadership,
                        posts.c.start_date, posts.c.rank).where(posts.c.recorded_at <= known_at,
                                                                _ids_param(dialect, posts.c.cadre_id)),
        "post_ends": select(post_ends.c.post_id, post_ends.c.end_date).where(
            post_ends.c.recorded_at <= known_at, _ids_param(dialect, post_ends.c.post_id)).order_by(post_ends.c.recorded_at),
        "units": select(units.c.unit_id, units.c.unit_class).where(
            units.c.recorded_at <= known_at, _ids_param(dialect, units.c.unit_id)),
        "results": recorded,
        # units' prizes and team grades (an OR, not IN: fetch_all takes no expanding parameter)
        "prizes": recorded.where(or_(results.c.kind == "target_prize", results.c.kind == "team_grade")),
        "declarations": select(declarations.c.cadre_id, declarations.c.declaration, declarations.c.event_id,
                               declarations.c.flagged).where(
            declarations.c.recorded_at <= known_at, _ids_param(dialect, declarations.c.cadre_id),
        ).order_by(declarations.c.recorded_at),
    }


async def load_facts(conn: AsyncConnection, ids: Sequence[str], known_at: dt.datetime | None,
                     since: dt.date | None = None, *, summing: Summing | None = None,
                     result_years: range | None = None) -> dict[str, CadreFacts]:
    """What screening and rankings ask about ``ids`` as known at ``known_at`` (None: as held now): names,
    units, posts and their units' classes, entries (``since`` and ``summing`` as for ``load_entries``), and,
    for the years of ``result_years`` only (the rankings need none), results, vetoes, declarations and the
    units' target prizes."""
    q = _fact_queries(conn.dialect.name)
    moment = known_at or HELD_NOW
    facts = {i: CadreFacts(i) for i in ids}
    for cadre_id, name, unit_id in await _rows(conn, q["cadres"], ids, known_at=moment):
        facts[cadre_id].name, facts[cadre_id].unit_id = name, unit_id
    for cadre_id, found in (await load_entries(conn, ids, known_at, since, summing=summing)).items():
        facts[cadre_id].entries = found
    post_rows = await _rows(conn, q["posts"], ids, known_at=moment)
    ends = dict(await _rows(conn, q["post_ends"], [p[0] for p in post_rows], known_at=moment))
    for post_id, event_id, cadre_id, unit_id, leadership, start_date, rank in post_rows:
        facts[cadre_id].posts.append(PostFact(post_id, event_id, unit_id, leadership, start_date, ends.get(post_id),
                                              rank))
    unit_ids = sorted({p.unit_id for f in facts.values() for p in f.posts} | {f.unit_id for f in facts.values()})
    classes = dict(await _rows(conn, q["units"], unit_ids, known_at=moment))
    prizes: dict[tuple[str, int], Result] = {}
    team_grades: dict[tuple[str, int], Result] = {}
    if result_years is not None:
        years = {"known_at": moment, "first_year": result_years.start, "last_year": result_years.stop - 1}
        for subject_id, kind, year, event_id, value in await _rows(conn, q["results"], ids, **years):
            f = facts[subject_id]
            if kind == "veto":
                f.vetoes.setdefault(year, []).append(Result(event_id, value))
            else:
                f.results[(year, kind)] = Result(event_id, value)
        for cadre_id, declaration, event_id, flagged in await _rows(conn, q["declarations"], ids, known_at=moment):
            facts[cadre_id].declarations[declaration] = Result(event_id, str(flagged))
        for subject_id, kind, year, event_id, value in await _rows(conn, q["prizes"], unit_ids, **years):
            (prizes if kind == "target_prize" else team_grades)[(subject_id, year)] = Result(event_id, value)
    for f in facts.values():
        f.unit_classes = classes
        f.unit_prizes = prizes
        f.unit_team_grades = team_grades
    return facts


async def cadres_under(conn: AsyncConnection, unit_id: str | None, as_of: dt.date, known_at: dt.datetime) -> list[str]:
    """Cadres in ``unit_id`` or any unit beneath it (every cadre when None): by the posts open on
    ``as_of``, or, for a cadre holding none, by the unit they were registered in."""
    registered = {r.cadre_id: r.unit_id for r in await conn.execute(
        select(cadres.c.cadre_id, cadres.c.unit_id).where(cadres.c.recorded_at <= known_at))}
    if unit_id is None:
        return sorted(registered)
    children: dict[str | None, list[str]] = defaultdict(list)
    for u in await conn.execute(select(units.c.unit_id, units.c.parent_id).where(units.c.recorded_at <= known_at)):
        children[u.parent_id].append(u.unit_id)
    wanted, frontier = {unit_id}, [unit_id]
    while frontier:
        frontier = [c for p in frontier for c in children.get(p, [])]
        wanted.update(frontier)
    ended = {r.post_id: r.end_date for r in await conn.execute(
        select(post_ends.c.post_id, post_ends.c.end_date).where(post_ends.c.recorded_at <= known_at))}
    current: dict[str, set[str]] = defaultdict(set)
    for r in await conn.execute(select(posts.c.post_id, posts.c.cadre_id, posts.c.unit_id, posts.c.start_date)
                                .where(posts.c.recorded_at <= known_at, posts.c.start_date <= as_of)):
        if ended.get(r.post_id) is None or ended[r.post_id] >= as_of:
            current[r.cadre_id].add(r.unit_id)
    return sorted(c for c, home in registered.items() if (current.get(c) or {home}) & wanted)
