"""What a clerk waits for, at city size (issue 22), through the gateway of the production wiring.

On the city state of ``bench/city_state.py`` (68,553 cadres, 13.3 M events; built once, kept between runs), the
three services are started (``shiji serve``) and each figure of the target is measured ``--runs`` times:

- **one cadre's score** under ``--score-rate`` requests/s, open loop (``bench.loads.open_loop``: latency counted
  from when each request was due), a city clerk (jurisdiction: the city) asking random cadres of the whole city,
  each for another ``as_of``; target p99 < 20 ms at 1,000/s;
- **the whole city's screening**: ``GET /api/v1/screenings`` of the city, in one answer, and paged
  (``limit`` = ``--page``, following ``next`` to the end: the time to the first page and to the last);
  target < 2 s;
- **a class ranking**: ``GET /api/v1/rankings?class=...&leadership=chief`` for each unit class; target < 300 ms;
- **a cadre's dossier page**: the four calls the console's cadre page makes at once (console/src/pages/CadrePage.vue:
  the cadre, the dossier, the screening, the score), page after page for random cadres; target p99 < 100 ms;
- **a unit's warnings list**: a clerk of one unit (its jurisdiction: that unit) asking ``GET /api/v1/warnings``
  (active, the default page of 200), first page and every page to the end; target < 100 ms.

Scoring's daily job is off (``SHIJI_SCORING_DAILY_JOB=false``): it would refresh every cadre at start, under the
measurements; the warnings the list reads are raised once, by the same refresh run on demand before the figures
(``POST /v1/jobs/daily-refresh`` on scoring, timed: the nightly job at city size). Between figures, ``settle``.

Run: ``.venv/bin/python -m bench.city_state build`` once (minutes; ``drop`` when done), then
``.venv/bin/python -m bench.city_waits`` (``bench/run city_waits``; it builds the state when it is missing, and
``--drop`` drops it at the end). ``measure`` takes the parsed arguments, for a caller such as ``bench/city.py``.
Writes bench/RESULTS.md between the ``city_waits`` markers (``--no-write`` to leave it).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench import city_state
from bench.http import RawClient
from bench.loads import port_of, score_under_load, settle
from bench.machine import machine, median, percentile, replace_section
from tests.support.production import ProductionSystem

RESULTS = Path(__file__).with_name("RESULTS.md")
PAGING_LIMIT_S = 120.0  # a list paged for longer than this is given up (and said so): the clerk would have too
CUT = 0  # the "status" of a list given up
BEGIN, END = "<!-- bench/run city_waits: begin -->", "<!-- bench/run city_waits: end -->"


async def sample(name: str, cadres: int) -> dict:
    """Random cadres of the whole city, the unit classes, and the unit with the median count of active warnings."""
    dbs = city_state.names(name)
    conn = await city_state.connect(dbs["dossier"])
    try:
        ids = [r["cadre_id"] for r in await conn.fetch(
            "SELECT cadre_id FROM cadre_directory ORDER BY md5(cadre_id) LIMIT $1", cadres)]
        classes = [r["unit_class"] for r in await conn.fetch(
            "SELECT DISTINCT unit_class FROM unit_directory WHERE level = 'unit' ORDER BY 1")]
        held = await conn.fetchval("SELECT count(*) FROM events")
        counted = await conn.fetchval("SELECT count(*) FROM cadre_directory")
    finally:
        await conn.close()
    random.Random(22).shuffle(ids)
    return {"cadres": ids, "classes": classes, "events": held, "city_cadres": counted}


async def warned_unit(name: str) -> tuple[str, int, int]:
    """The unit whose cadres hold the median number of active warnings (among units with any), that number, and
    the city's active warnings."""
    dbs = city_state.names(name)
    conn = await city_state.connect(dbs["scoring"])
    try:
        rows = await conn.fetch("SELECT cadre_id FROM warnings WHERE cleared_at IS NULL")
    finally:
        await conn.close()
    per_cadre: dict[str, int] = {}
    for r in rows:
        per_cadre[r["cadre_id"]] = per_cadre.get(r["cadre_id"], 0) + 1
    conn = await city_state.connect(dbs["dossier"])
    try:
        homes = {r["cadre_id"]: r["unit_id"] for r in await conn.fetch(
            "SELECT cadre_id, unit_id FROM cadre_directory WHERE cadre_id = any($1::text[])", list(per_cadre))}
    finally:
        await conn.close()
    per_unit: dict[str, int] = {}
    for cadre, n in per_cadre.items():
        per_unit[homes[cadre]] = per_unit.get(homes[cadre], 0) + n
    ranked = sorted(per_unit.items(), key=lambda kv: kv[1])
    unit, count = ranked[len(ranked) // 2]
    return unit, count, len(rows)


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def all_pages(raw: RawClient, path: str, key: str) -> dict[str, float]:
    """Follow ``next`` from ``path`` to the end: ms to the first page and to the last, rows in all, and the status
    of the first answer that was not 200 (the gateway answers 504 when scoring takes over its upstream timeout)."""
    started = time.perf_counter()
    found = {"first_page_ms": 0.0, "all_pages_ms": 0.0, "rows": 0, "status": 200, "pages": 0}
    cursor = None
    while True:
        if time.perf_counter() - started > PAGING_LIMIT_S:
            return {**found, "status": CUT}
        status, answer = await raw.get(path + (f"&cursor={cursor}" if cursor else ""))
        found["all_pages_ms"] = (time.perf_counter() - started) * 1000
        found["first_page_ms"] = found["first_page_ms"] or found["all_pages_ms"]
        found["pages"] += 1
        if status != 200:
            return {**found, "status": status}
        body = json.loads(answer)
        found["rows"] += body[key] if isinstance(body[key], int) else len(body[key])  # a screening page counts
        cursor = body.get("next")
        if not cursor:
            return found


async def screening(system: ProductionSystem, token: str, page: int) -> dict[str, float]:
    """The city's screening in one answer and paged, through the gateway; when the gateway gives up (its upstream
    timeout), the same call straight at scoring says how long it takes."""
    raw = await RawClient.connect(port_of(system.gateway_url), {"Authorization": f"Bearer {token}"})
    direct = await RawClient.connect(port_of(system.scoring_url), system.proof("scoring", lifetime=dt.timedelta(hours=1)),
                                     system.tls)
    try:
        started = time.perf_counter()
        status, body = await raw.get("/api/v1/screenings")
        whole = {"whole_ms": (time.perf_counter() - started) * 1000, "whole_status": status,
                 "mib": len(body) / 2**20, "cadres": json.loads(body)["cadres"] if status == 200 else 0}
        if status != 200:
            started = time.perf_counter()
            status, body = await direct.get("/v1/screenings?unit=city")
            whole |= {"scoring_ms": (time.perf_counter() - started) * 1000, "mib": len(body) / 2**20,
                      "cadres": json.loads(body)["cadres"] if status == 200 else 0}
        await raw.close()  # a gateway that gave up (504) closes the connection: the pages on a new one
        raw = await RawClient.connect(port_of(system.gateway_url), {"Authorization": f"Bearer {token}"})
        paged = await all_pages(raw, f"/api/v1/screenings?limit={page}", "cadres")
    finally:
        await raw.close()
        await direct.close()
    return {**whole, "first_page_ms": paged["first_page_ms"], "all_pages_ms": paged["all_pages_ms"],
            "paged_rows": paged["rows"], "paged_status": paged["status"], "pages": paged["pages"]}


async def rankings(system: ProductionSystem, token: str, classes: list[str]) -> dict[str, float]:
    raw = await RawClient.connect(port_of(system.gateway_url), {"Authorization": f"Bearer {token}"})
    times, failed = [], 0
    try:
        for unit_class in classes:
            started = time.perf_counter()
            status, _ = await raw.get(f"/api/v1/rankings?class={unit_class}&leadership=chief")
            times.append((time.perf_counter() - started) * 1000)
            failed += status != 200
    finally:
        await raw.close()
    return {"median_ms": median(times), "max_ms": max(times), "failed": failed}


async def dossier_pages(system: ProductionSystem, token: str, cadres: list[str], pages: int) -> dict[str, float]:
    """Page after page, each the console's four calls at once on four connections (a browser opens up to six)."""
    clients = [await RawClient.connect(port_of(system.gateway_url), {"Authorization": f"Bearer {token}"})
               for _ in range(4)]
    times, failed = [], 0
    try:
        for i in range(pages + 10):
            cadre = cadres[i % len(cadres)]
            calls = [f"/api/v1/cadres/{cadre}{suffix}" for suffix in ("", "/dossier", "/screening", "/score")]
            started = time.perf_counter()
            answers = await asyncio.gather(*(c.get(p) for c, p in zip(clients, calls, strict=True)))
            if i >= 10:  # after a warm-up
                times.append((time.perf_counter() - started) * 1000)
                failed += any(status != 200 for status, _ in answers)
    finally:
        for c in clients:
            await c.close()
    return {"p50_ms": median(times), "p99_ms": percentile(times, 99), "failed": failed}


async def unit_warnings(system: ProductionSystem, unit: str) -> dict[str, float]:
    token = system.token(unit=unit, subject="unit-clerk")
    raw = await RawClient.connect(port_of(system.gateway_url), {"Authorization": f"Bearer {token}"})
    try:
        return await all_pages(raw, "/api/v1/warnings?status=active", "warnings")
    finally:
        await raw.close()


async def daily_refresh(system: ProductionSystem) -> float:
    """Scoring's daily refresh, on demand, straight at scoring (the gateway's upstream timeout is 10 s)."""
    raw = await RawClient.connect(port_of(system.scoring_url),
                                  system.proof("scoring", subject="admin", role="system_admin",
                                               lifetime=dt.timedelta(hours=1)), system.tls)
    try:
        return await timed(lambda: get_ok_post(raw, "/v1/jobs/daily-refresh"))
    finally:
        await raw.close()


async def get_ok_post(raw: RawClient, path: str) -> None:
    status, body = await raw.request("POST", path)
    assert status == 200, (status, body[:300])


def met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def med(runs: list[dict[str, float]], key: str) -> float:
    return median([r[key] for r in runs])


def ok(runs: list[dict[str, float]], status: str) -> bool:
    return all(r[status] == 200 for r in runs)


def answered(runs: list[dict[str, float]], key: str, status: str) -> str:
    """The median time, as seconds, and the statuses other than 200 when there were any."""
    failed = [str(r[status]) for r in runs if r[status] not in (200, CUT)]
    cut = [f"{r.get('pages', 0)} pages" for r in runs if r[status] == CUT]
    return (f"{med(runs, key) / 1000:.2f} s" + (f" (answered {', '.join(failed)})" if failed else "")
            + (f" (given up after {PAGING_LIMIT_S:.0f} s: {', '.join(cut)})" if cut else ""))


def direct(runs: list[dict[str, float]]) -> str:
    at_scoring = [r["scoring_ms"] for r in runs if "scoring_ms" in r]
    return f"; straight at scoring {median(at_scoring) / 1000:.1f} s" if at_scoring else ""


def failures(runs: list[dict[str, float]]) -> str:
    failed = sum(r["failed"] for r in runs)
    return f" ({failed} answered other than 200)" if failed else ""


def runs_of(runs: list[dict[str, float]], key: str, fmt: str = "{:.0f}") -> str:
    return " / ".join(fmt.format(r[key]) for r in runs)


async def exists(name: str) -> bool:
    conn = await city_state.connect("postgres")
    try:
        return await conn.fetchval("SELECT count(*) FROM pg_database WHERE datname = any($1::text[])",
                                   list(city_state.names(name).values())) == 2
    finally:
        await conn.close()


FIGURES = ("score", "screening", "ranking", "page", "warnings")


async def warnings_held(name: str) -> int:
    conn = await city_state.connect(city_state.names(name)["scoring"])
    try:
        return await conn.fetchval("SELECT count(*) FROM warnings")
    finally:
        await conn.close()


async def measure(args: argparse.Namespace) -> str:
    """The figures as a Markdown block, on the city state ``args.name`` (built first when missing)."""
    if not await exists(args.name):
        await city_state.build(args.name, city_state.Shape())
    started = time.perf_counter()
    s = await sample(args.name, 2000)
    only = set(args.only.split(",")) if args.only else set(FIGURES)
    runs: dict[str, list[dict[str, float]]] = {figure: [] for figure in FIGURES}
    async with city_state.city_system(args.name, {"SHIJI_SCORING_DAILY_JOB": "false"}) as system:
        refreshed = ""
        if not await warnings_held(args.name):  # once per city state: the warnings stay in its scoring database
            refresh_ms = await daily_refresh(system)
            refreshed = f" (raised by the daily refresh, run once on demand: {refresh_ms / 1000:,.0f} s at city size)"
            print(f"daily refresh: {refresh_ms / 1000:.0f} s", flush=True)
        unit, unit_warnings_held, city_warnings = await warned_unit(args.name)
        token = system.token(unit="city")
        for run in range(1, args.runs + 1):
            await settle(system)
            if "score" in only:
                runs["score"].append(await score_under_load(system, token, s["cadres"], args.score_rate, args.seconds,
                                                            True))
                await settle(system)
            if "screening" in only:
                runs["screening"].append(await screening(system, token, args.page))
            if "ranking" in only:
                runs["ranking"].append(await rankings(system, token, s["classes"]))
            if "page" in only:
                runs["page"].append(await dossier_pages(system, token, s["cadres"][run * 100:], args.pages))
            if "warnings" in only:
                runs["warnings"].append(await unit_warnings(system, unit))
            print(f"run {run}: " + "\n  ".join(f"{k}: {v[-1]}" for k, v in runs.items() if v), flush=True)
    lines = [f"Machine: {machine()} (2 cores shared with other sessions' tests and benches: a noisy machine)", "",
             f"City state: {s['city_cadres']:,} cadres, {s['events']:,} events (`bench/city_state.py`); "
             f"{city_warnings:,} active warnings{refreshed}. Each figure the median of {args.runs} runs; whole run "
             f"{(time.perf_counter() - started) / 60:.1f} min.", "",
             "| what the clerk waits for | measured (median of runs) | target | |", "|---|---|---|---|"]
    if score := runs["score"]:
        sc = {k: med(score, k) for k in ("achieved_per_s", "p50_ms", "p99_ms")}
        lines.append(
            f"| one cadre's score, {args.score_rate:,.0f}/s asked (open loop, random cadres of the city) | "
            f"{sc['achieved_per_s']:,.0f}/s answered, p50 {sc['p50_ms']:,.1f} ms, p99 {sc['p99_ms']:,.1f} ms | "
            f"p99 < 20 ms at 1,000/s | {met(sc['p99_ms'] < 20 and sc['achieved_per_s'] >= 0.95 * args.score_rate)} |")
    if screen := runs["screening"]:
        sr = {k: med(screen, k) for k in ("whole_ms", "mib", "cadres", "first_page_ms", "all_pages_ms")}
        lines += [
            f"| the whole city's screening, one answer ({sr['cadres']:,.0f} cadres, {sr['mib']:.0f} MiB) | "
            f"{answered(screen, 'whole_ms', 'whole_status')}{direct(screen)} | < 2 s | "
            f"{met(sr['whole_ms'] < 2000 and ok(screen, 'whole_status'))} |",
            f"| same, paged by {args.page:,} (`limit`): first page / every page | {sr['first_page_ms']:,.0f} ms / "
            f"{answered(screen, 'all_pages_ms', 'paged_status')} | < 2 s | "
            f"{met(sr['all_pages_ms'] < 2000 and ok(screen, 'paged_status'))} |"]
    if rank := runs["ranking"]:
        rk = {k: med(rank, k) for k in ("median_ms", "max_ms")}
        lines.append(
            f"| a class ranking (chiefs; each of the {len(s['classes'])} unit classes): median / slowest | "
            f"{rk['median_ms']:,.0f} / {rk['max_ms']:,.0f} ms{failures(rank)} | < 300 ms | "
            f"{met(rk['max_ms'] < 300 and not failures(rank))} |")
    if pages := runs["page"]:
        pg = {k: med(pages, k) for k in ("p50_ms", "p99_ms")}
        lines.append(
            f"| a cadre's dossier page (cadre + dossier + screening + score at once), {args.pages} pages | "
            f"p50 {pg['p50_ms']:,.0f} ms, p99 {pg['p99_ms']:,.0f} ms{failures(pages)} | p99 < 100 ms | "
            f"{met(pg['p99_ms'] < 100 and not failures(pages))} |")
    if warn := runs["warnings"]:
        wn = {k: med(warn, k) for k in ("first_page_ms", "all_pages_ms", "rows")}
        lines.append(
            f"| a unit's warnings list (a clerk of unit {unit}, {unit_warnings_held} active): first page / every "
            f"page ({wn['rows']:.0f} rows listed) | {wn['first_page_ms']:,.0f} ms / "
            f"{answered(warn, 'all_pages_ms', 'status')} | < 100 ms | "
            f"{met(wn['all_pages_ms'] < 100 and ok(warn, 'status'))} |")
    lines += ["", "Runs: " + "; ".join(part for part in (
        score and f"score p99 {runs_of(score, 'p99_ms', '{:.1f}')} ms",
        screen and f"screening whole {runs_of(screen, 'whole_ms')} ms, paged {runs_of(screen, 'all_pages_ms')} ms",
        rank and f"ranking slowest {runs_of(rank, 'max_ms')} ms",
        pages and f"dossier page p99 {runs_of(pages, 'p99_ms')} ms",
        warn and f"unit warnings every page {runs_of(warn, 'all_pages_ms')} ms") if part) + "."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", default="city22", help="the city state's name (bench/city_state.py)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the open-loop score load")
    parser.add_argument("--score-rate", type=float, default=1000.0)
    parser.add_argument("--page", type=int, default=500, help="cadres a screening page (the gateway answers at most 500)")
    parser.add_argument("--pages", type=int, default=200, help="dossier pages a run")
    parser.add_argument("--only", default=None, help=f"a comma-separated choice of {', '.join(FIGURES)}")
    parser.add_argument("--drop", action="store_true", help="drop the city state at the end (~17 GB)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args()
    section = asyncio.run(measure(args))
    print(section)
    if args.drop:
        asyncio.run(city_state.drop(args.name))
    if not args.no_write:
        replace_section(RESULTS, BEGIN, END, f"#### One run of `bench/run city_waits {' '.join(sys.argv[1:])}` "
                        f"({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)\n\n{section}")


if __name__ == "__main__":
    main()
