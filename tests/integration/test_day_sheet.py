"""The kept day sheet (services/scoring/day_sheet) answers exactly what scoring computes from every cadre's facts:
the standing (totals, verdicts, bands) of one, a few, a unit's and every cadre, the class rankings, the city's
screening and a portrait's bands; after the consumer's writes, a correction, a unit's event (its class arriving
after its posts, a third prize barring its chiefs), a post ended, a day change and a rebuild. On PostgreSQL, where
it is kept; the computed answer is the same read as known at now (which never reads the sheet)."""

from __future__ import annotations

import datetime as dt
import random
import uuid

from sqlalchemy import func, select

from services.scoring import projection
from services.scoring.consumer import ScoringConsumer
from services.scoring.day_sheet import reads as sheet
from services.scoring.day_sheet.tables import day_sheet
from services.scoring.evaluation import Evaluator
from services.scoring.portrait_standing import portrait_standing
from services.scoring.rules import RuleBook
from services.scoring.service import ScoringService
from services.scoring.standing import standing
from shared.bus import DeliveredMessage
from shared.db import make_engine
from tests.support.chained import ChainedStream

TOPIC = "events"
DAY = dt.date(2026, 6, 15)
CLASSES = {"u-a": "economic", "u-b": "economic", "u-c": "law", "u-d": "law"}


class Feed:
    """Envelopes of many streams turned into the consumer's messages, offsets in order."""

    def __init__(self) -> None:
        self.streams: dict[str, ChainedStream] = {}
        self.sent: list[DeliveredMessage] = []

    def __call__(self, stream: str, event_type: str, data: dict, schema_version: int = 1) -> DeliveredMessage:
        chained = self.streams.setdefault(stream, ChainedStream(stream))
        envelope = chained.envelope(event_type, data, schema_version=schema_version)
        message = DeliveredMessage(TOPIC, 0, len(self.sent), stream.encode(), envelope.to_bytes(), [])
        self.sent.append(message)
        return message


def unit(feed: Feed, unit_id: str) -> DeliveredMessage:
    return feed(f"unit-{unit_id}", "unit_registered", {"unit_id": unit_id, "name": unit_id, "parent_id": None,
                                                       "level": "unit", "unit_class": CLASSES[unit_id]})


def entry(feed: Feed, cadre: str, points: int, entry_id: str | None = None) -> DeliveredMessage:
    kind = "positive" if points > 0 else "negative"
    return feed(cadre, "entry_recorded", {"entry_id": entry_id or str(uuid.uuid4()), "kind": kind,
                                          "category": "honour" if points > 0 else "work_style", "title": "t",
                                          "points": points, "effective_date": "2026-03-01",
                                          "basis": {"reason": "r", "document": "d"}}, schema_version=2)


def cadre_history(feed: Feed, rng: random.Random, n: int) -> list[DeliveredMessage]:
    out = [unit(feed, u) for u in ("u-a", "u-b", "u-c")]
    for i in range(n):
        cadre = f"c-{i:03d}"
        home = ("u-a", "u-b", "u-c", "u-d")[i % 4]
        out.append(feed(cadre, "cadre_registered", {"cadre_id": cadre, "name": f"name-{i % 7}", "unit_id": home},
                        schema_version=2))
        if i % 5 != 4:  # a fifth hold no post: in no group
            out.append(feed(cadre, "post_assigned", {"post_id": f"p-{cadre}", "unit_id": home, "position": "p",
                                                     "rank": "正科级", "leadership": "chief" if i % 3 == 0 else "deputy",
                                                     "start_date": "2024-01-01"}))
        for _ in range(rng.randint(0, 3)):
            out.append(entry(feed, cadre, rng.choice([-2, 1, 2, 3])))  # few values: ties across band edges
        if i % 2 == 0:
            for year in (2023, 2024, 2025):
                out.append(feed(cadre, "annual_grade_recorded", {"year": year, "grade": "competent"}))
                out.append(feed(cadre, "appraisal_level_recorded", {"year": year, "level": "average"}))
    return out


async def check(service: ScoringService, engine, day: dt.date) -> list[dict]:
    """Every read the sheet serves equals the computed one (the sheet must answer ``day``); the city's standing."""
    rules = service.rules.for_date(day)
    async with sheet.snapshot(engine) as conn:
        assert await sheet.answers(conn, day, rules)
    now = dt.datetime.now(dt.UTC)
    many = [f"x-{n}" for n in range(40_000)] + ["c-002", "c-001"]  # more than a statement's parameters
    for unit_id, ids in ((None, []), ("u-a", []), (None, ["c-001", "c-000", "nobody", "c-013"]), (None, many)):
        kept = await standing(service, engine, unit_id, ids, day, None)
        computed = await standing(service, engine, unit_id, ids, day, now)
        assert kept == computed
    every = await standing(service, engine, None, [], day, None)
    assert any(row["bands"] for row in every)
    for group in ("class:economic:chief", "class:economic:deputy", "class:law:deputy", "team:u-b:deputy"):
        (_, kept_ranks), (_, computed_ranks) = (await service.rankings(group, day, now, None),
                                                await service.rankings(group, day, now, now))
        assert kept_ranks == computed_ranks
    (kept_list, _, kept_who, _), (computed_list, _, computed_who, _) = (
        await service.screenings(None, day, now, None), await service.screenings(None, day, now, now))
    assert [(s.cadre_id, s.verdict, s.excluded_by, s.unknown) for s in kept_list] == \
        [(s.cadre_id, s.verdict, s.excluded_by, s.unknown) for s in computed_list]
    assert kept_who == computed_who and set(kept_who) == {s.cadre_id for s in kept_list}  # names from the sheet
    for cadre in ("c-000", "c-001", "c-004"):
        kept_portrait = await portrait_standing(service, engine, None, cadre, day, now, None)
        computed_portrait = await portrait_standing(service, engine, None, cadre, day, now, now)
        assert kept_portrait["bands"] == computed_portrait["bands"]
    return every


async def test_the_day_sheet_answers_as_the_facts_do(pg) -> None:
    engine = make_engine(await pg.create("scoring"))
    evaluator = Evaluator(RuleBook.load())
    service = ScoringService(engine, evaluator)
    feed, rng = Feed(), random.Random(2026_12_06)
    day = [DAY]
    consumer = ScoringConsumer(engine, subscribe=None, evaluator=evaluator, today=lambda: day[0])  # type: ignore[arg-type]
    try:
        await consumer.apply_batch(cadre_history(feed, rng, 40))
        async with sheet.snapshot(engine) as conn:  # never filled: nothing kept, nothing answered
            assert not await sheet.answers(conn, DAY, service.rules.for_date(DAY))
            assert await conn.scalar(select(func.count()).select_from(day_sheet)) == 0
        await service.daily_refresh(DAY)
        every = await check(service, engine, DAY)
        assert {r["screening"] for r in every} >= {"ineligible", "undetermined"}

        # the consumer keeps the rows of what it applies: new entries, a correction, a post ended
        first = str(uuid.uuid4())
        await consumer.apply_batch([entry(feed, "c-001", 3, first), entry(feed, "c-005", -2), entry(feed, "c-010", 2)])
        await consumer.apply_batch([feed("c-001", "entry_amended", {"entry_id": first, "category": "honour",
                                                                    "points": 1, "effective_date": "2026-03-02",
                                                                    "reason": "r"}),
                                    feed("c-002", "post_ended", {"post_id": "p-c-002", "end_date": "2026-05-01",
                                                                 "reason": "r"})])
        await check(service, engine, DAY)
        # a unit's events touch its cadres: u-d's class arrives after its posts; u-a's third prize bars its chiefs
        await consumer.apply_batch([unit(feed, "u-d")])
        await consumer.apply_batch([feed("unit-u-a", "target_evaluation_recorded", {"year": 2025, "prize": "third"})])
        await check(service, engine, DAY)
        # the same batch again (its offsets forgotten): nothing changes
        async with sheet.snapshot(engine) as conn:
            before = await sheet.rows(conn, None)
        await consumer.apply_batch(feed.sent[-1:])
        async with sheet.snapshot(engine) as conn:
            assert await sheet.rows(conn, None) == before

        # a new day: a batch applied before the refresh ran leaves the sheet answering no day, until the refresh
        day[0] = DAY + dt.timedelta(days=1)
        await consumer.apply_batch([entry(feed, "c-003", 2)])
        rules = service.rules.for_date(DAY)
        async with sheet.snapshot(engine) as conn:
            assert not await sheet.answers(conn, DAY, rules) and not await sheet.answers(conn, day[0], rules)
        assert await standing(service, engine, None, [], day[0], None) == \
            await standing(service, engine, None, [], day[0], dt.datetime.now(dt.UTC))
        await service.daily_refresh(day[0])
        await check(service, engine, day[0])

        # a reset empties it; replayed, nothing is kept until a fill, which then answers as before
        async with engine.begin() as conn:
            await projection.reset(conn)
        async with sheet.snapshot(engine) as conn:
            assert not await sheet.answers(conn, day[0], rules)
            assert await conn.scalar(select(func.count()).select_from(day_sheet)) == 0
        await ScoringConsumer(engine, subscribe=None, evaluator=evaluator,  # type: ignore[arg-type]
                              today=lambda: day[0]).apply_batch(feed.sent)
        async with sheet.snapshot(engine) as conn:
            assert await conn.scalar(select(func.count()).select_from(day_sheet)) == 0
        assert await service.fill_day_sheet(day[0])
        await check(service, engine, day[0])
    finally:
        await engine.dispose()


async def test_a_fill_leaves_a_newer_batch_standing_and_a_stale_row_dropped(pg) -> None:
    """A row the consumer wrote after the fill was numbered is not overwritten by the fill (it rests on newer
    facts); a row neither wrote (a cadre gone since) is dropped when the fill finishes; a sheet filled again for
    its own day answers meanwhile; a refresh of another day than today fills nothing."""
    from services.scoring.day_sheet import keep

    engine = make_engine(await pg.create("scoring"))
    evaluator = Evaluator(RuleBook.load())
    service = ScoringService(engine, evaluator)
    feed, rng = Feed(), random.Random(7)
    consumer = ScoringConsumer(engine, subscribe=None, evaluator=evaluator, today=lambda: DAY)  # type: ignore[arg-type]
    try:
        await consumer.apply_batch(cadre_history(feed, rng, 12))
        assert await service.fill_day_sheet(DAY)
        rules = service.rules.for_date(DAY)
        # a refresh asked by hand for another day than the service's today leaves today's sheet alone
        by_hand = ScoringService(engine, evaluator, today=lambda: DAY)
        await by_hand.daily_refresh(DAY - dt.timedelta(days=30))
        seq = await keep.begin_fill(engine, DAY, rules)
        assert seq is not None
        async with sheet.snapshot(engine) as conn:  # filled again for its own day: it answers all along
            assert await sheet.answers(conn, DAY, rules)
        async with engine.connect() as conn:  # the fill's facts, read before the batch below
            from services.scoring.facts import cadres_under, load_facts
            from services.scoring.model import summing_for_totals
            stale_facts = await load_facts(conn, await cadres_under(conn, None, DAY, dt.datetime.now(dt.UTC)), None,
                                           summing=summing_for_totals(DAY, rules))
        await consumer.apply_batch([entry(feed, "c-001", 3)])  # numbered after the fill: it stands
        async with engine.begin() as conn:  # a row of a cadre no longer there, written before the fill
            await conn.execute(day_sheet.insert().values(
                cadre_id="gone", as_of=DAY, rule_set=rules.name, seq=seq - 1, stream_version=1, name="n",
                unit_id="u-a", total=0, positive=0, negative=0, verdict="eligible", excluded_by=[], unknown=[]))
        await keep.fill(engine, evaluator, stale_facts, DAY, seq)
        assert await keep.finish_fill(engine, DAY, rules, seq)
        await check(service, engine, DAY)
        async with sheet.snapshot(engine) as conn:
            assert "gone" not in await sheet.rows(conn, None)
    finally:
        await engine.dispose()


async def test_pages_are_read_from_the_sheet_while_it_is_as_the_first_page_found_it(pg) -> None:
    """A later page carries the sheet's mark: while the sheet is unchanged it is read from the sheet (nothing is
    screened on read) and the pages are the whole list; once a batch changed the sheet, a page with the old mark is
    screened as known at the first page's moment, as before."""
    engine = make_engine(await pg.create("scoring"))
    evaluator = Evaluator(RuleBook.load())
    service = ScoringService(engine, evaluator)
    feed, rng = Feed(), random.Random(2026_12_07)
    consumer = ScoringConsumer(engine, subscribe=None, evaluator=evaluator, today=lambda: DAY)  # type: ignore[arg-type]

    def rows(found: tuple) -> list[tuple]:
        results, _, who, _ = found
        return [(s.cadre_id, s.verdict, s.excluded_by, s.unknown, who[s.cadre_id]["name"]) for s in results]

    async def not_on_read(*args, **kwargs):
        raise AssertionError("screened on read: the page was not read from the sheet")

    try:
        await consumer.apply_batch(cadre_history(feed, rng, 30))
        await service.daily_refresh(DAY)
        moment = dt.datetime.now(dt.UTC)
        whole = rows(await service.screenings(None, DAY, moment, moment))  # computed, as known at the moment
        first = await service.screenings(None, DAY, moment, None, None, 7)
        mark = first[3]
        assert mark is not None and first[1]
        paged, page = rows(first), first
        service.evaluator.screening = not_on_read  # type: ignore[method-assign]
        while page[1]:  # as the API asks a later page: as known at the cursor's moment, with its mark
            page = await service.screenings(None, DAY, moment, moment, page[0][-1].cadre_id, 7, mark)
            assert page[3] == (mark if page[1] else None)
            paged += rows(page)
        assert paged == whole and len(paged) == 30
        for unit in ("u-a", "unit-nobody-knows"):  # a unit's pages, read from its cadres' rows
            assert rows(await service.screenings(unit, DAY, moment, moment, None, 3, mark))[:3] == \
                rows(await service.screenings(unit, DAY, moment, None))[:3]

        del service.evaluator.screening
        await consumer.apply_batch([entry(feed, whole[-1][0], -40)])  # the sheet changes after the first page
        async with sheet.snapshot(engine) as conn:
            assert await sheet.mark(conn) != mark
        last = await service.screenings(None, DAY, moment, moment, whole[-2][0], 7, mark)
        assert rows(last) == whole[-1:] and last[3] is None  # screened as known at the moment: as the list was
        assert rows(await service.screenings(None, DAY, moment, None, whole[-2][0], 7)) != whole[-1:]
    finally:
        await engine.dispose()
