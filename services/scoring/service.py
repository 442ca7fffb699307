"""Scoring's use cases: the answers (score, screening, rankings, warnings, what-if), the daily refresh,
publishing the outbox, and the whole-database steps of a rebuild.

With the consumer (``consumer.py``, one transaction per batch), this module is where scoring opens its
transactions; the queries are in ``facts.py``, ``projection.py`` and ``repository.py``, the rules they feed
in the pure modules (``model``, ``window``, ``screening``, ``warnings``, ``ranking``, ``what_if``,
``announcements``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.scoring import from_store, names, positions, projection, ranking_candidates, repository, unit_cadres
from services.scoring.announcements import Refreshed
from services.scoring.day_sheet import keep as sheet_keep
from services.scoring.day_sheet import reads as sheet
from services.scoring.evaluation import Evaluator
from services.scoring.facts import cadres_under, load_entries, load_facts
from services.scoring.model import (
    CadreFacts,
    screening_years,
    summing_for_breakdowns,
    summing_for_screening,
    summing_for_totals,
    weighted,
)
from services.scoring.ranking import Ranked, rank, rank_group, ranking_groups
from services.scoring.rules import RuleBook, RuleSet
from services.scoring.screening import Screening
from services.scoring.screening_pages import page_of
from services.scoring.what_if import compare
from services.scoring.window import Subtotal, Window, WindowSummary, by_quarter, rolling_window, summarize
from shared.bus import OutgoingMessage, Publisher
from shared.calendar import Quarter

DAILY_REFRESH_LOCK = 0x44414C59  # "DALY": one instance refreshes at a time
OUTBOX_LOCK = 0x53434F52  # "SCOR": one instance publishes at a time
OUTBOX_NAME = "scoring-outbox"


@dataclass(frozen=True, slots=True)
class ScoreCard:
    """A cadre's points as of a day: the rolling window's totals and every quarter's subtotal."""

    rules: RuleSet
    window: Window
    summary: WindowSummary
    quarters: dict[Quarter, Subtotal]
    applied: int  # the cadre's stream version the projection had applied before the entries were read


class ScoringService:
    """``engine`` for everything; ``score_reads`` (default ``engine``) for the score, one statement each."""

    def __init__(self, engine: AsyncEngine, evaluator: Evaluator, *, score_reads: AsyncEngine | None = None,
                 today: Callable[[], dt.date] | None = None) -> None:
        self._engine = engine
        self._today = today  # the service's today: the day sheet is filled for it only (None: for any day)
        self._score_reads = score_reads or engine
        self.evaluator = evaluator
        self.rules: RuleBook = evaluator.rules

    async def score(self, cadre_id: str, as_of: dt.date, known_at: dt.datetime | None) -> ScoreCard:
        async with self._score_reads.connect() as conn:  # no sanctions kept, so no query beyond the entries
            applied = await positions.applied(conn, cadre_id)  # first: the entries hold at least as much
            return await self.score_on(conn, cadre_id, as_of, known_at, applied)

    async def score_on(self, conn: AsyncConnection, cadre_id: str, as_of: dt.date, known_at: dt.datetime | None,
                       applied: int = 0) -> ScoreCard:
        """The score card read on ``conn`` (``applied``: the position the caller read first, if it states one)."""
        rules = self.rules.for_date(as_of)
        found = await load_entries(conn, [cadre_id], known_at, summing=summing_for_breakdowns(as_of, rules))
        points = weighted(CadreFacts(cadre_id, entries=found.get(cadre_id, [])), rules)
        return ScoreCard(rules, rolling_window(as_of, rules.window_years),
                         summarize(points, as_of, rules.window_years), by_quarter(points, as_of), applied)

    async def applied(self, stream: str) -> int:
        """The newest version of ``stream`` applied (``positions.py``): read before an answer, it is how far
        that answer is current."""
        async with self._score_reads.connect() as conn:
            return await positions.applied(conn, stream)

    async def screening(self, cadre_ids: Sequence[str], as_of: dt.date, known_at: dt.datetime | None) -> list[Screening]:
        async with self._engine.connect() as conn:
            return await self.evaluator.screening(conn, cadre_ids, as_of, known_at)

    async def screenings(self, unit: str | None, as_of: dt.date, known_at: dt.datetime, asked: dt.datetime | None,
                         after: str | None = None, limit: int | None = None, sheet_mark: str | None = None
                         ) -> tuple[list[Screening] | list[sheet.SheetVerdict], bool, dict[str, dict], str | None]:
        """The cadres under ``unit`` (every cadre when None) as registered by ``known_at``, screened as known at
        ``asked`` (None: as held now): those after ``after``, at most ``limit`` (``screening_pages.py``); whether
        more follow; who each is (``names.who``), read with them; and, when more follow and they were read from the
        day sheet, its mark, for the next page's cursor. With ``sheet_mark`` (a later page's cursor's) the page is
        read from the sheet if it is still exactly as that mark says, else screened as known at ``asked``."""
        if asked is None or sheet_mark is not None:
            async with sheet.snapshot(self._engine) as conn:
                if await sheet.answers(conn, as_of, self.rules.for_date(as_of)) and \
                        (sheet_mark is None or await sheet.mark(conn) == sheet_mark):
                    found, ids, more = await self._sheet_page(conn, unit, as_of, after, limit)
                    mark = (sheet_mark or await sheet.mark(conn)) if more else None
                    return sheet.verdicts(found, ids), more, sheet.who(found, ids), mark
        async with self._engine.connect() as conn:
            ids, more = page_of(await cadres_under(conn, unit, as_of, known_at), after, limit)
            return await self.evaluator.screening(conn, ids, as_of, asked), more, await names.who(conn, ids), None

    @staticmethod
    async def _sheet_page(conn: AsyncConnection, unit: str | None, as_of: dt.date, after: str | None,
                          limit: int | None) -> tuple[dict[str, Sequence[Any]], list[str], bool]:
        """A page of the sheet's rows: a unit's from its cadres' ids, the whole city's by keyset."""
        if unit is not None and await unit_cadres.narrows(conn, unit):
            every = await unit_cadres.cadres_in(conn, unit, as_of)
            found = await sheet.named_rows(conn, every)
            ids, more = page_of([i for i in every if i in found], after, limit)
            return found, ids, more
        if limit is None:
            found = await sheet.named_rows(conn)
            ids, more = page_of(sorted(found), after, None)
            return found, ids, more
        found, more = await sheet.named_page(conn, after, limit)
        return found, list(found), more

    async def rankings(self, group: str, as_of: dt.date, known_at: dt.datetime,
                       asked: dt.datetime | None) -> tuple[RuleSet, list[Ranked]]:
        rules = self.rules.for_date(as_of)
        if asked is None:  # as held now: the group's members and totals from the kept day sheet
            async with sheet.snapshot(self._engine) as conn:
                if await sheet.answers(conn, as_of, rules):
                    return rules, rank(await sheet.group_members(conn, group), rules.ranking)
        async with self._engine.connect() as conn:
            ids = await ranking_candidates.narrowed(conn, group, await cadres_under(conn, None, as_of, known_at), as_of)
            facts = await load_facts(conn, ids, asked, summing=summing_for_totals(as_of, rules))
        return rules, rank_group(facts, ranking_groups(facts, as_of).get(group, []), as_of, rules)

    async def warnings(self, *, cadre_id: str | None, status: str, limit: int,
                       after: tuple[dt.datetime, str, str, dt.date] | None, unit: str | None = None,
                       day: dt.date | None = None) -> list:
        async with self._engine.connect() as conn:
            return await repository.warnings_page(conn, cadre_id=cadre_id, status=status, limit=limit, after=after,
                                                  unit=unit, day=day)

    async def names(self, cadre_ids: Iterable[str] = (), unit_ids: Iterable[str | None] = ()
                    ) -> tuple[dict[str, dict], dict[str, str | None]]:
        """Who the rows of an answer are about: each cadre's name, unit and unit name; each unit's name."""
        async with self._engine.connect() as conn:
            return await names.who(conn, cadre_ids), await names.unit_names(conn, unit_ids)

    async def what_if(self, proposed: RuleSet, unit: str | None, as_of: dt.date, known_at: dt.datetime) -> dict:
        """Read-only: totals, verdicts and bands under the rule set in force and under ``proposed``."""
        current = self.rules.for_date(as_of)
        async with self._engine.connect() as conn:
            every = await cadres_under(conn, None, as_of, known_at)  # rankings need whole classes
            ids = await cadres_under(conn, unit, as_of, known_at) if unit else every
            facts = await load_facts(conn, every, None, summing=summing_for_screening(as_of, current, proposed),
                                     result_years=screening_years(as_of, current, proposed))
        return compare(facts, ids, as_of, current, proposed)

    async def daily_refresh(self, as_of: dt.date) -> Refreshed | None:
        """Re-evaluate every cadre as of ``as_of``, rankings included; None when another instance is already doing it.
        Then the kept day sheet is filled for ``as_of`` from the same facts, in transactions of its own
        (``day_sheet``): numbered before any fact is read, so that what a consumer batch writes meanwhile stands."""
        now = dt.datetime.now(dt.UTC)
        rules = self.rules.for_date(as_of)
        async with self._engine.begin() as conn:
            if not await repository.try_lock(conn, DAILY_REFRESH_LOCK):
                return None
            # committed apart, while this transaction holds the refresh's lock (one fill at a time) and has read
            # nothing yet (read committed: every statement below sees what the fill's number stands for)
            # (for today only: a refresh of another day, asked by hand, would leave today's sheet not complete)
            fill = await sheet_keep.begin_fill(self._engine, as_of, rules) \
                if self._today is None or as_of == self._today() else None
            ids = await cadres_under(conn, None, as_of, now)
            facts = await load_facts(conn, ids, None, summing=summing_for_totals(as_of, rules))
            done = await self.evaluator.refresh(conn, ids, as_of, now, with_rankings=True, all_facts=facts)
        if fill is not None:
            await sheet_keep.fill(self._engine, self.evaluator, facts, as_of, fill)
            await sheet_keep.finish_fill(self._engine, as_of, rules, fill)
        return done

    async def fill_day_sheet(self, as_of: dt.date) -> bool:
        """Fill the kept day sheet for ``as_of`` without the refresh's warnings (a state built from the store);
        whether it is complete after."""
        return await sheet_keep.fill_all(self._engine, self.evaluator,
                                         lambda conn: cadres_under(conn, None, as_of, dt.datetime.now(dt.UTC)), as_of)

    async def publish_outbox(self, publisher: Publisher, batch_size: int) -> int:
        """One round of the outbox publisher: the next messages in commit order, published before the
        checkpoint moves (in the same transaction); how many."""
        async with self._engine.begin() as conn:
            if not await repository.try_lock(conn, OUTBOX_LOCK):
                return 0
            batch = await repository.outbox_after(conn, await repository.outbox_cursor(conn, OUTBOX_NAME), batch_size)
            if not batch:
                return 0
            # Per topic, in order; one cadre's messages keep their order (same topic, same key, same partition).
            for topic, rows in groupby(batch, key=lambda r: r.topic):
                await publisher.publish(topic, [OutgoingMessage(r.key, r.value) for r in rows])
            await repository.save_outbox_cursor(conn, OUTBOX_NAME, batch[-1].tx_id, batch[-1].position)
        return len(batch)


# ------------------------------------------------------------------------------------ whole databases (rebuilds)


class RebuildRefused(Exception):
    pass


async def refuse_unless_empty(target: AsyncEngine, described: str) -> None:
    async with target.connect() as conn:
        if await repository.holds_positions(conn):
            raise RebuildRefused(f"{described} already holds consumer positions: rebuild into an empty database")


async def build_from_store(store: AsyncEngine, target: AsyncEngine, ends: dict[tuple[str, int], int],
                           consumer: str) -> from_store.Built:
    """The facts of every event in the dossier's ``store``, in one transaction on ``target``."""
    async with target.begin() as conn:
        return await from_store.build(store, conn, ends, consumer)


async def take_over_announcements(live: AsyncEngine, target: AsyncEngine) -> None:
    """What the live service has announced (warnings, published totals), so the rebuilt one announces only
    what changes from now on."""
    async with live.connect() as source, target.begin() as sink:
        await repository.replace_announced(sink, await repository.read_announced(source))


async def reset(engine: AsyncEngine) -> None:
    """Empty the facts, dead letters and positions (``projection.reset``) in one transaction."""
    async with engine.begin() as conn:
        await projection.reset(conn)


async def checksum(engine: AsyncEngine) -> str:
    async with engine.begin() as conn:
        return await projection.checksum(conn)
