"""Scoring's reads with and without the kept day sheet (issue 20, fourth round), side by side in one run.

On a state of ``bench/city_state.py`` (``build --small``, ``--cadres N`` or the whole city), the three services are
started (scoring's daily job off) and scoring is asked straight (its internal API, with the gateway's proof), in
alternating phases:

- **sheet**: the day sheet complete for today (``city_system`` fills it when the state has none for today);
- **computed**: the same sheet marked not complete (``day_sheet_state.complete = false``, by SQL), so every read
  takes the path it took before the sheet: the city's totals and bands computed from every cadre's facts (kept
  between reads while the projection stands, ``standing_cache.py``: the first read after a phase starts pays it,
  as the first read after every consumer batch did) and the wanted cadres screened on read.

Each read ``--runs`` times per phase (``--big-runs`` for the whole city's two; the first of a phase reported
apart): ``/v1/standing`` for 1 cadre, for 100 (``POST /v1/standing``, the ids in the body) and for every cadre; a
portrait's scoring part (``/v1/cadres/{id}/portrait-standing``); the largest class's chiefs' ranking; the whole
city's screening (``/v1/screenings``, one answer). Nothing is written while it runs, so setting ``complete`` back
at the end leaves the sheet as exact as it was.

Run: ``.venv/bin/python -m bench.day_sheet --name NAME`` (after ``python -m bench.city_state build --name NAME``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import time
from typing import Any

import httpx

from bench import city_state
from bench.machine import machine, median

READS = ("standing, 1 cadre", "standing, 100 cadres", "standing, every cadre", "portrait's scoring part",
         "class ranking (largest class's chiefs)", "whole city's screening")
BIG = {READS[2], READS[5]}  # the whole city's: ``--big-runs`` of them (computed, each is seconds to minutes)


async def set_complete(name: str, complete: bool) -> None:
    conn = await city_state.connect(city_state.names(name)["scoring"])
    try:
        await conn.execute("UPDATE day_sheet_state SET complete = $1", complete)
    finally:
        await conn.close()


async def sample(name: str) -> tuple[list[str], str, int]:
    conn = await city_state.connect(city_state.names(name)["scoring"])
    try:
        ids = [r["cadre_id"] for r in await conn.fetch("SELECT cadre_id FROM cadres ORDER BY md5(cadre_id)")]
        group, size = await conn.fetchrow("SELECT group_id, count(*) FROM day_sheet_groups WHERE group_id LIKE "
                                          "'class:%:chief' GROUP BY 1 ORDER BY 2 DESC LIMIT 1")
    finally:
        await conn.close()
    return ids, group, size


async def phase(client: httpx.AsyncClient, ids: list[str], group: str, runs: int, big_runs: int,
                rng: random.Random) -> dict[str, list[float]]:
    unit_class = group.split(":")[1]
    calls = {
        READS[0]: lambda: client.get("/v1/standing", params={"cadre_id": rng.choice(ids)}),
        READS[1]: lambda: client.post("/v1/standing", json={"cadre_ids": rng.sample(ids, min(100, len(ids)))}),
        READS[2]: lambda: client.get("/v1/standing"),
        READS[3]: lambda: client.get(f"/v1/cadres/{rng.choice(ids)}/portrait-standing"),
        READS[4]: lambda: client.get("/v1/rankings", params={"class": unit_class, "leadership": "chief"}),
        READS[5]: lambda: client.get("/v1/screenings"),
    }
    found: dict[str, list[float]] = {}
    for read, call in calls.items():
        for _ in range(big_runs if read in BIG else runs):
            started = time.perf_counter()
            r = await call()
            assert r.status_code == 200, (read, r.status_code, r.text[:300])
            found.setdefault(read, []).append((time.perf_counter() - started) * 1000)
    return found


async def measure(name: str, runs: int, big_runs: int, rounds: int) -> dict[str, Any]:
    ids, group, size = await sample(name)
    rng = random.Random(20)
    kept: dict[str, dict[str, list[float]]] = {"sheet": {}, "computed": {}}
    async with city_state.city_system(name, {"SHIJI_SCORING_DAILY_JOB": "false"}) as system:
        headers = system.proof("scoring", lifetime=dt.timedelta(hours=2))
        async with httpx.AsyncClient(base_url=system.scoring_url, headers=headers, timeout=1800,
                                     verify=system.tls) as client:
            try:
                for _ in range(rounds):
                    for mode in ("sheet", "computed"):
                        await set_complete(name, mode == "sheet")
                        for read, times in (await phase(client, ids, group, runs, big_runs, rng)).items():
                            kept[mode].setdefault(read, []).extend(times)
            finally:
                await set_complete(name, True)
    return {"cadres": len(ids), "group": group, "group_size": size, "runs": runs, "big_runs": big_runs,
            "rounds": rounds, **kept}


def report(found: dict[str, Any]) -> str:
    def cell(read: str, times: list[float]) -> str:
        runs = found["big_runs"] if read in BIG else found["runs"]
        firsts = times[::runs]
        rest = [t for i, t in enumerate(times) if i % runs]
        return f"{median(rest or firsts):,.1f} ms (first {median(firsts):,.0f} ms)"

    lines = [f"machine: {machine()}",
             f"{found['cadres']:,} cadres; ranking group {found['group']} ({found['group_size']:,} chiefs); "
             f"{found['rounds']} rounds of each phase, {found['runs']} runs of each read per phase "
             f"({found['big_runs']} of the whole city's); medians of the runs after a phase's first",
             "", "| read (straight at scoring) | computed (before) | day sheet (after) | ratio |", "|---|---|---|---|"]
    for read in READS:
        before, after = found["computed"][read], found["sheet"][read]
        ratio = median(before) / median(after)
        lines.append(f"| {read} | {cell(read, before)} | {cell(read, after)} | {ratio:,.0f}x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", default="city22")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--big-runs", type=int, default=2, help="runs of the whole city's reads per phase")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(report(asyncio.run(measure(args.name, args.runs, args.big_runs, args.rounds))))


if __name__ == "__main__":
    main()
