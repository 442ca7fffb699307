"""Before and after issue 22's two read fixes, side by side, in one process on the city state's scoring database.

- **A class ranking**: before, the facts of every cadre of the city were loaded (their entries summed) to rank one
  group; after, only those of the group's possible members (``ranking_candidates.narrowed``). Both rankings are
  computed here, as ``ScoringService.rankings`` did and does (without HTTP), and checked equal.
- **A unit's warnings list**: before, scoring answered the whole city's warnings newest first and the gateway kept
  the unit's: the clerk paged through all of them; after, scoring answers only the unit's
  (``repository.warnings_page(unit=...)``). Here: every page of each, as the repository reads them.

Run: ``.venv/bin/python -m bench.city_reads_compared --name city22`` (the state of ``bench/city_state.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import time

from bench import city_state
from bench.city_waits import warned_unit
from bench.machine import machine, median
from services.scoring import ranking_candidates, repository
from services.scoring.facts import cadres_under, load_facts
from services.scoring.model import summing_for_totals
from services.scoring.ranking import rank_group, ranking_groups
from services.scoring.rules import RuleBook
from shared.db import make_engine


async def ranking(conn, group: str, narrowed: bool) -> tuple[float, list]:
    day, now = dt.date.today(), dt.datetime.now(dt.UTC)
    rules = RuleBook.load().for_date(day)
    started = time.perf_counter()
    ids = await cadres_under(conn, None, day, now)
    if narrowed:
        ids = await ranking_candidates.narrowed(conn, group, ids, day)
    facts = await load_facts(conn, ids, None, summing=summing_for_totals(day, rules))
    ranked = rank_group(facts, ranking_groups(facts, day).get(group, []), day, rules)
    return (time.perf_counter() - started) * 1000, [(r.candidate.cadre_id, r.rank) for r in ranked]


async def warnings_pages(conn, unit: str | None) -> tuple[float, int]:
    started, after, rows = time.perf_counter(), None, 0
    while True:
        page = await repository.warnings_page(conn, cadre_id=None, status="active", limit=200, after=after, unit=unit)
        rows += len(page)
        if len(page) < 200:
            return (time.perf_counter() - started) * 1000, rows
        last = page[-1]
        after = (last.raised_at, last.cadre_id, last.key, last.raised_on)


async def main(args: argparse.Namespace) -> None:
    print(f"machine: {machine()}", flush=True)
    unit, held, _ = await warned_unit(args.name)
    engine = make_engine(city_state.PG.url(city_state.names(args.name)["scoring"]))
    try:
        async with engine.connect() as conn:
            for group in args.groups.split(","):
                before, after = [], []
                for _ in range(args.runs):  # alternated, after first
                    ms, new = await ranking(conn, group, True)
                    after.append(ms)
                    ms, old = await ranking(conn, group, False)
                    before.append(ms)
                    assert new == old, group
                print(f"ranking {group} ({len(new)} ranked, equal): before {median(before):,.0f} ms, after "
                      f"{median(after):,.0f} ms ({median(before) / median(after):.0f}x); runs "
                      f"{' / '.join(f'{x:,.0f}' for x in before)} against {' / '.join(f'{x:,.0f}' for x in after)}",
                      flush=True)
            after_ms, mine = await warnings_pages(conn, unit)
            before_ms, everyone = await warnings_pages(conn, None)
            print(f"warnings of unit {unit} ({held} active, {mine} listed by scoring): after {after_ms:,.0f} ms, one "
                  f"page; before: every page of the city's {everyone:,} ({-(-everyone // 200):,} pages) "
                  f"{before_ms / 1000:,.1f} s at scoring alone, the gateway's check of each page not counted",
                  flush=True)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", default="city22")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--groups", default="class:economic_department:chief,class:other_institution:deputy")
    asyncio.run(main(parser.parse_args()))
