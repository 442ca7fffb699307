"""Sums taken by the database give the answers that entries loaded one by one give.

Random histories (amendments, revocations, sanctions, entries recorded late) are written to the
projection, then every answer built on summed facts (score breakdowns, totals, warnings, screening
with its evidence, a what-if under weighted categories) is compared with the same answer built on
every entry. Both databases.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal

from sqlalchemy import func, select

from services.scoring import warnings
from services.scoring.evaluation import Evaluator
from services.scoring.facts import HELD_NOW, CadreFacts, load_entries, refresh_current_entries
from services.scoring.model import summing_for_breakdowns, summing_for_screening, summing_for_totals, weighted
from services.scoring.rules import RuleBook
from services.scoring.screening import screen
from services.scoring.tables import current_entries, entries, entry_amendments, revocations
from services.scoring.window import by_quarter, summarize
from shared.db import make_engine

RULES = RuleBook.load().for_date(dt.date(2026, 1, 1))
WEIGHTED = RULES.model_copy(update={"id": "weighted", "window_years": 2,
                                    "category_weights": {"honour": Decimal("1.5"), "inaction": Decimal("2"),
                                                         "work_style": Decimal("0.5")}})
EVALUATOR = Evaluator(RuleBook.load())
START = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
CATEGORIES = {"positive": ["honour", "innovation"], "achievement": ["project"],
              "negative": ["work_style", "inaction", "discipline"]}


def history(rng: random.Random, cadres: list[str]) -> tuple[list[dict], list[dict], list[dict]]:
    entry_rows, amendment_rows, revocation_rows = [], [], []
    for cadre in cadres:
        for _ in range(rng.randint(0, 60)):
            kind = rng.choice(["positive", "positive", "achievement", "negative"])
            sign = -1 if kind == "negative" else 1
            effective = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randint(0, 6 * 365))
            recorded = START + dt.timedelta(days=rng.randint(0, 6 * 365), seconds=rng.randint(0, 86399))
            sanction = kind == "negative" and rng.random() < 0.15
            row = {"entry_id": str(uuid.uuid4()), "event_id": str(uuid.uuid4()), "cadre_id": cadre, "kind": kind,
                   "category": rng.choice(CATEGORIES[kind]), "points_cents": sign * rng.randint(0, 500),
                   "effective_date": effective, "recorded_at": recorded,
                   "impact_start": effective if sanction else None,
                   "impact_end": effective + dt.timedelta(days=rng.randint(30, 900)) if sanction else None}
            entry_rows.append(row)
            if rng.random() < 0.15:  # a late correction, sometimes moving the entry across a boundary
                moved = effective + dt.timedelta(days=rng.randint(-400, 400))
                amendment_rows.append({
                    "event_id": str(uuid.uuid4()), "entry_id": row["entry_id"], "cadre_id": cadre,
                    "category": rng.choice(CATEGORIES[kind]), "points_cents": sign * rng.randint(0, 500),
                    "effective_date": moved, "impact_start": moved if sanction else None,
                    "impact_end": moved + dt.timedelta(days=200) if sanction else None,
                    "recorded_at": recorded + dt.timedelta(days=rng.randint(1, 300))})
            if rng.random() < 0.08:
                revocation_rows.append({"entry_id": row["entry_id"], "event_id": str(uuid.uuid4()), "cadre_id": cadre,
                                        "recorded_at": recorded + dt.timedelta(days=rng.randint(1, 300))})
    return entry_rows, amendment_rows, revocation_rows


def totals(facts: CadreFacts, rules, as_of: dt.date):
    points = weighted(facts, rules)
    summary = summarize(points, as_of, rules.window_years)
    quarters = by_quarter(points, as_of)
    return summary.overall, summary.quarters, quarters


async def test_summed_facts_answer_like_every_entry(database_url_factory) -> None:
    url = await database_url_factory("scoring")
    engine = make_engine(url)
    rng = random.Random(20261122)
    cadres = [f"c-{n}" for n in range(40)]
    entry_rows, amendment_rows, revocation_rows = history(rng, cadres)
    async with engine.begin() as conn:
        for table, rows in ((entries, entry_rows), (entry_amendments, amendment_rows), (revocations, revocation_rows)):
            if rows:
                await conn.execute(table.insert(), rows)
    summed_rows = citing = 0
    try:
        async with engine.connect() as conn:
            for _ in range(12):
                as_of = dt.date(2021, 6, 1) + dt.timedelta(days=rng.randint(0, 6 * 365))
                known_at = START + dt.timedelta(days=rng.randint(200, 7 * 365))
                every = await load_entries(conn, cadres, known_at)
                plain = {c: CadreFacts(c, entries=every.get(c, [])) for c in cadres}
                # the evaluator sums negative entries too, then loads them again for the cadres whose rule cites them
                expected = [screen(plain[c], as_of, EVALUATOR.rules.for_date(as_of)) for c in cadres]
                assert await EVALUATOR.screening(conn, cadres, as_of, known_at) == expected
                citing += sum(1 for s in expected for r in s.results if r.status == "fail" and r.evidence)
                # with RULES the score and totals are summed by sign only; WEIGHTED needs the categories
                for summing, rule_sets, use in ((summing_for_breakdowns(as_of, RULES), [RULES], "score"),
                                                (summing_for_breakdowns(as_of, WEIGHTED), [WEIGHTED], "score"),
                                                (summing_for_totals(as_of, RULES), [RULES], "warnings"),
                                                (summing_for_totals(as_of, WEIGHTED), [WEIGHTED], "warnings"),
                                                (summing_for_screening(as_of, RULES, WEIGHTED, evidence=True),
                                                 [RULES, WEIGHTED], "screening"),
                                                (summing_for_screening(as_of, RULES, WEIGHTED), [RULES, WEIGHTED],
                                                 "verdicts")):
                    found = await load_entries(conn, cadres, known_at, summing=summing)
                    summed = {c: CadreFacts(c, entries=found.get(c, [])) for c in cadres}
                    summed_rows += sum(1 for fs in found.values() for f in fs if f.count > 1)
                    for c in cadres:
                        for rules in rule_sets:
                            context = (c, as_of, known_at, summing, rules.id)
                            got, expected = totals(summed[c], rules, as_of), totals(plain[c], rules, as_of)
                            assert got[0] == expected[0], context
                            if use == "score":  # the window's quarters, and every quarter within the breakdowns' reach
                                assert got[1] == expected[1], context
                                reach = summing.cuts[0]
                                assert {q: s for q, s in got[2].items() if q.first_day >= reach} == {
                                    q: s for q, s in expected[2].items() if q.first_day >= reach}, context
                            if use == "warnings":
                                assert warnings.per_cadre(summed[c], as_of, rules) == \
                                    warnings.per_cadre(plain[c], as_of, rules), context
                            if use == "screening":
                                assert screen(summed[c], as_of, rules) == screen(plain[c], as_of, rules), context
                            if use == "verdicts":  # what-if compares verdicts; evidence comes from a second load
                                got_s, expected_s = screen(summed[c], as_of, rules), screen(plain[c], as_of, rules)
                                assert (got_s.verdict, got_s.excluded_by) == (expected_s.verdict, expected_s.excluded_by)
    finally:
        await engine.dispose()
    assert not summing_for_totals(START.date(), RULES).by_category and summing_for_totals(START.date(), WEIGHTED).by_category
    assert summed_rows > 100  # the database did sum: the comparison is not between two one-by-one loads
    assert citing > 10  # and rules failed citing entries, so evidence was compared too


async def test_entries_held_now_answer_like_entries_known_at_the_end_of_time(database_url_factory) -> None:
    """``current_entries``, derived batch by batch as the consumer does (in any order, some twice), gives
    every load what the as-known query gives for a moment after everything was recorded."""
    url = await database_url_factory("scoring")
    engine = make_engine(url)
    rng = random.Random(20261123)
    cadres = [f"c-{n}" for n in range(40)]
    entry_rows, amendment_rows, revocation_rows = history(rng, cadres)
    touched = [r["entry_id"] for r in entry_rows + amendment_rows + revocation_rows]
    assert amendment_rows and revocation_rows
    try:
        async with engine.begin() as conn:
            for table, rows in ((entries, entry_rows), (entry_amendments, amendment_rows),
                                (revocations, revocation_rows)):
                # each table in three batches, every batch's entries derived again, as apply() does
                for part in (rows[0::3], rows[1::3], rows[2::3]):
                    if part:
                        await conn.execute(table.insert(), part)
                        await refresh_current_entries(conn, sorted({r["entry_id"] for r in part}))
            await refresh_current_entries(conn, rng.sample(touched, len(touched) // 2))  # a redelivery: no change
        async with engine.connect() as conn:
            revoked = {r["entry_id"] for r in revocation_rows}
            held = (await conn.execute(select(func.count()).select_from(current_entries))).scalar_one()
            assert held == len(entry_rows) - len(revoked)
            for _ in range(6):
                as_of = dt.date(2021, 6, 1) + dt.timedelta(days=rng.randint(0, 6 * 365))
                for summing in (None, summing_for_breakdowns(as_of, RULES), summing_for_totals(as_of, RULES),
                                summing_for_breakdowns(as_of, WEIGHTED),
                                summing_for_screening(as_of, RULES, WEIGHTED, evidence=True),
                                summing_for_screening(as_of, RULES, WEIGHTED)):
                    now = await load_entries(conn, cadres, None, summing=summing)
                    at_the_end = await load_entries(conn, cadres, HELD_NOW, summing=summing)
                    assert {c: sorted(map(repr, fs)) for c, fs in now.items()} == \
                        {c: sorted(map(repr, fs)) for c, fs in at_the_end.items()}, (as_of, summing)
                assert await EVALUATOR.screening(conn, cadres, as_of, None) == \
                    await EVALUATOR.screening(conn, cadres, as_of, HELD_NOW)
    finally:
        await engine.dispose()
