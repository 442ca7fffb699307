"""The condition search (issue 20) before and after its fourth round, side by side in one run on a city state.

*After*: the gateway's ``/api/v1/cadre-search`` as it is now (the dossier decides the fact conditions in SQL and
answers ids, names and ages; scoring is asked for the standing of those ids; rows and facts for the page only).
*Before*: what the gateway did until then, composed here from the same services' internal answers, which are still
served: the dossier's ``/v1/portrait-facts`` of the unit with the fact conditions (the profile directory narrows,
then every candidate is folded and its full facts sent), scoring's ``/v1/standing`` of those ids (by unit past
1,000 ids, as the gateway did), then a row per match and the filter, order and page in Python
(``search.search``). The *before* timing leaves out the gateway's authorization and access log (a few
milliseconds), so it flatters *before* slightly. The two alternate, request by request, so the machine's load
weighs on both alike; the same answer (ids of the page, ``matched``) is asserted.

Three searches (``SEARCHES``): the issue's five conditions by points, the four of them the facts decide by points
(scoring asked about every match) and by age (scoring asked about the page only).

Run: ``.venv/bin/python -m bench.search_rounds --city NAME`` (a state of ``bench/city_state.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import time
from typing import Any

import httpx

from bench.machine import machine, median, percentile
from bench.portraits import FIVE_CONDITIONS
from services.portraits import search

MAX_IDS = 1000


# The five conditions; the four of them the facts decide, ordered by points (every match's total asked
# of scoring) and by age (scoring asked about the page only).
SEARCHES = {"five conditions, by points": FIVE_CONDITIONS,
            "four fact conditions, by points": {k: v for k, v in FIVE_CONDITIONS.items() if k != "screening"},
            "four fact conditions, by age": {**{k: v for k, v in FIVE_CONDITIONS.items() if k != "screening"},
                                             "sort": "-age"}}


async def _before(system: Any, unit: str, asked: dict[str, Any]) -> dict[str, Any]:
    """The search as the gateway composed it before the fourth round (see the docstring)."""
    conditions = search.Conditions(**{k: v for k, v in asked.items() if k != "sort"})
    async with httpx.AsyncClient(base_url=system.dossier_url, timeout=600, verify=system.tls) as dossier, \
            httpx.AsyncClient(base_url=system.scoring_url, timeout=600, verify=system.tls) as scoring:
        r = await dossier.get("/v1/portrait-facts", headers=system.proof("dossier"), params={
            "unit": unit, "records": "false", "where": json.dumps(dataclasses.asdict(conditions.of_facts()))})
        assert r.status_code == 200, r.text
        found = r.json()["cadres"]
        ids = [f["cadre_id"] for f in found]
        by = {"cadre_id": ids} if len(ids) <= MAX_IDS else {"unit": unit}
        r = await scoring.get("/v1/standing", headers=system.proof("scoring"), params=by)
        assert r.status_code == 200, r.text
    standing = {c["cadre_id"]: c for c in r.json()["cadres"]}
    rows = [search.row(f, standing.get(f["cadre_id"])) for f in found]
    page, matched, _ = search.search(rows, conditions, asked["sort"], 0, 100)
    return {"matched": matched, "ids": [p["cadre_id"] for p in page]}


async def _after(client: httpx.AsyncClient, clerk: dict[str, str], unit: str, asked: dict[str, Any]) -> dict[str, Any]:
    r = await client.get("/api/v1/cadre-search", params={**asked, "unit": unit}, headers=clerk)
    assert r.status_code == 200, r.text
    body = r.json()
    return {"matched": body["matched"], "ids": [c["cadre_id"] for c in body["cadres"]]}


async def compare(system: Any, unit: str, runs: int) -> dict[str, dict[str, list[float]]]:
    clerk = {"Authorization": f"Bearer {system.token(role='clerk', subject='bench-search', unit=unit)}"}
    spent: dict[str, dict[str, list[float]]] = {}
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=600) as client:
        for title, asked in SEARCHES.items():
            calls = {"after": lambda a=asked: _after(client, clerk, unit, a),
                     "before": lambda a=asked: _before(system, unit, a)}
            # once each, untimed: scoring computes and keeps the city's standing, the dossier's kept folds fill
            first = {name: await call() for name, call in calls.items()}
            assert first["after"] == first["before"], f"{title}: the two answer differently"
            print(f"{title}: matched {first['after']['matched']}", flush=True)
            spent[title] = {"before": [], "after": []}
            for _ in range(runs):
                for name, call in calls.items():
                    started = time.perf_counter()
                    answer = await call()
                    spent[title][name].append((time.perf_counter() - started) * 1000)
                    assert answer == first[name]
    return spent


async def parts(system: Any, unit: str, runs: int) -> dict[str, dict[str, list[float]]]:
    """The after's internal calls for the four fact conditions, timed alone: the dossier's matches, and scoring's
    standing of every match without and with screening."""
    asked = SEARCHES["four fact conditions, by points"]
    where = json.dumps(dataclasses.asdict(search.Conditions(**{k: v for k, v in asked.items() if k != "sort"})))
    spent: dict[str, list[float]] = {"dossier: the matches (SQL)": [], "scoring: standing of every match": [],
                                     "scoring: standing of every match, screened": [],
                                     "scoring: standing of a page (100), screened": []}
    async with httpx.AsyncClient(base_url=system.dossier_url, timeout=600, verify=system.tls) as dossier, \
            httpx.AsyncClient(base_url=system.scoring_url, timeout=600, verify=system.tls) as scoring:
        for _ in range(runs):
            started = time.perf_counter()
            r = await dossier.get("/v1/search-matches", headers=system.proof("dossier"),
                                  params={"unit": unit, "where": where, "sort": asked["sort"]})
            spent["dossier: the matches (SQL)"].append((time.perf_counter() - started) * 1000)
            assert r.status_code == 200 and r.json()["decided"] == "sql", r.text
            ids = [m["cadre_id"] for m in r.json()["cadres"]]
            for screened, name, some in ((False, "scoring: standing of every match", ids),
                                         (True, "scoring: standing of every match, screened", ids),
                                         (True, "scoring: standing of a page (100), screened", ids[:100])):
                started = time.perf_counter()
                r = await scoring.post("/v1/standing", headers=system.proof("scoring"),
                                       json={"cadre_ids": some, "screening": screened})
                spent[name].append((time.perf_counter() - started) * 1000)
                assert r.status_code == 200, r.text
    return {f"parts ({len(ids)} matches)": spent}


async def on_city(name: str, runs: int, only_parts: bool) -> dict[str, dict[str, list[float]]]:
    from bench import city_state

    async with city_state.city_system(name, {"SHIJI_SCORING_DAILY_JOB": "false"}) as system:
        return await parts(system, "city", runs) if only_parts else await compare(system, "city", runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--city", metavar="NAME", required=True, help="a state built by bench/city_state.py")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--parts", action="store_true", help="time the after's internal calls alone instead")
    args = parser.parse_args()
    spent = asyncio.run(on_city(args.city, args.runs, args.parts))
    print(machine())
    for title, by in spent.items():
        for name, ms in by.items():
            print(f"{title}, {name}: p50 {median(ms):.1f} ms, p99 {percentile(ms, 99):.1f} ms, runs {len(ms)}")
        if "before" in by:
            print(f"{title}: before / after (p50) {median(by['before']) / median(by['after']):.1f}x")


if __name__ == "__main__":
    main()
