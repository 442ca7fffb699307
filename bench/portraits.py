"""Knowing people and teams (issue 20): portraits, condition search, team reports and what-if through the gateway.

By default, the demo county (``services.demo_city``: 4 districts x 10 units, 320 cadres, about 8,700 events,
loaded as ``shiji up`` loads it) on the embedded wiring (SQLite, in-process ASGI), with education and fields
recorded for every cadre by one bulk import and a birth date by each cadre; the reads are timed once scoring has
applied all of it. Sequential requests as the county's clerk; p50 and p99 of each:

- a portrait of each of ``--portraits`` cadres (issue target at city size: p99 < 50 ms);
- a five-condition search over the whole jurisdiction (target over a city: < 300 ms);
- a team report of each of ``--teams`` units (target < 100 ms);
- a what-if of three moves (out, in, swap; target < 200 ms).

Against a system already running and loaded (a city from ``shiji demo generate``, whose rows carry birth dates,
education, fields and external results): ``--gateway-url URL --unit city`` and a clerk's token, either
``--token-file FILE`` (the bearer token) or ``--key-file FILE`` (the PEM private key the gateway's tokens are
signed with; the bench issues itself a clerk token of ``--unit``). Nothing is written to such a system. From Python
(the city bench, with a ``tests.support.production.ProductionSystem``): ``await measure_system(system, "city")``.

Run: ``.venv/bin/python -m bench.portraits`` (the county; no servers needed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization

from bench.machine import machine, median, percentile
from services.embedded import embedded_system, settled
from services.gateway.auth import issue_token

FIELDS = ("economy", "finance", "law", "planning", "social_affairs")
DISCIPLINES = ("economics", "law", "engineering", "management")
FIVE_CONDITIONS = {"age_min": 35, "age_max": 55, "education_min": "bachelor", "familiar_field": "finance",
                   "screening": "eligible", "sort": "-total"}
PAGE = 500


class Spent(list):
    """Each request's milliseconds, and ``cpu``: this process's CPU milliseconds for it (on the embedded wiring the
    whole system's work, nearly unmoved by other processes' load; against a running system, the client's only)."""

    def __init__(self) -> None:
        super().__init__()
        self.cpu: list[float] = []
        self.refused: list[int] = []  # the statuses other than 200 (allowed only with ``tolerate``)


async def timed(n: int, call: Any, tolerate: bool = False) -> Spent:
    """``n`` requests one after another; any answer but 200 fails the bench, or, with ``tolerate`` (a city run,
    where a read may pass the gateway's upstream timeout), is counted in ``refused`` and its time kept."""
    spent = Spent()
    for i in range(n):
        start, cpu = time.perf_counter(), time.process_time()
        r = await call(i)
        spent.append((time.perf_counter() - start) * 1000)
        spent.cpu.append((time.process_time() - cpu) * 1000)
        if r.status_code != 200:
            assert tolerate, r.text
            spent.refused.append(r.status_code)
    return spent


def line(what: str, spent: Spent, cpu: bool) -> str:
    cpu_ms = f" {median(spent.cpu):.1f} |" if cpu else ""
    return f"| {what} | {len(spent)} | {median(spent):.1f} | {percentile(spent, 99):.1f} |{cpu_ms}"


async def county_profiles(client: httpx.AsyncClient, system: Any, cadres: list[dict[str, Any]]) -> None:
    """Education and fields for every cadre of the demo county (one import), and a birth date by each cadre."""
    clerk = {"Authorization": f"Bearer {system.token(role='clerk', subject='bench', unit='qhd')}"}
    rng = random.Random(7)
    rows = []
    for c in cadres:
        d = rng.choice(DISCIPLINES)
        rows.append({"operation": "record_education", "params": {"cadre_id": c["cadre_id"]}, "body": {
            "kind": "full_time", "level": rng.choice(("master", "bachelor", "associate")), "degree": "none",
            "major": d, "discipline": d, "institution": "大学", "completed_on": "2000-07-01",
            "basis": {"reason": "b", "document": "d"}}})
        rows.append({"operation": "record_expertise", "params": {"cadre_id": c["cadre_id"]}, "body": {
            "professional_field": rng.choice(FIELDS), "familiar_fields": rng.sample(FIELDS, 2),
            "effective_date": "2020-01-01", "basis": {"reason": "b", "document": "d"}}})
    r = await client.post("/api/v1/imports", content="\n".join(json.dumps(x) for x in rows),
                          headers={**clerk, "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200 and not r.json()["refused"], r.text
    for c in cadres:  # birth dates (the demo county has none); basics are filled by the cadre
        born = f"{rng.randint(1962, 1996)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        me = {"Authorization": f"Bearer {system.token(role='cadre', subject=c['cadre_id'], unit=c['unit_id'])}",
              "Idempotency-Key": uuid.uuid4().hex}
        r = await client.post(f"/api/v1/cadres/{c['cadre_id']}/basics", json={"birth_date": born}, headers=me)
        assert r.status_code == 201, r.text


async def cadres_of(client: httpx.AsyncClient, clerk: dict[str, str], unit: str, most: int) -> list[dict[str, Any]]:
    """Up to ``most`` cadres of ``unit``'s subtree, page by page."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"unit": unit, "limit": PAGE}
    while len(found) < most:
        body = (await client.get("/api/v1/cadres", params=params, headers=clerk)).json()
        found += body["cadres"]
        following = body.get("next") or body.get("next_cursor")
        if not following or not body["cadres"]:
            break
        params["cursor"] = following
    return found[:most]


async def measure(client: httpx.AsyncClient, clerk: dict[str, str], unit: str, portraits: int, teams: int,
                  cadres: list[dict[str, Any]] | None = None, tolerate: bool = False) -> dict[str, Any]:
    """Time the four reads as the clerk of ``unit`` (``client``'s base URL: the gateway); read-only."""
    cadres = cadres if cadres is not None else await cadres_of(client, clerk, unit, max(portraits, PAGE))
    units = [u["unit_id"] for u in (await client.get("/api/v1/units", headers=clerk)).json()["units"]
             if u["level"] == "unit"][:teams]
    ids = [c["cadre_id"] for c in cadres][:portraits]
    portrait = await timed(len(ids), lambda i: client.get(f"/api/v1/cadres/{ids[i]}/portrait", headers=clerk),
                           tolerate)
    five = {**FIVE_CONDITIONS, "unit": unit}
    matched = (await client.get("/api/v1/cadre-search", params=five, headers=clerk)).json().get("matched")
    searched = await timed(10, lambda i: client.get("/api/v1/cadre-search", params=five, headers=clerk), tolerate)
    teamed = await timed(len(units), lambda i: client.get(f"/api/v1/units/{units[i]}/team", headers=clerk),
                         tolerate)
    with_teams = []
    for u in units:  # two units with a team each
        members = (await client.get(f"/api/v1/units/{u}/team", headers=clerk)).json().get("structure", {}).get("members")
        if members:
            with_teams.append((u, members))
        if len(with_teams) == 2:
            break
    (first, a), (second, b) = with_teams
    outsider = next(c["cadre_id"] for c in cadres if c["cadre_id"] not in {m["cadre_id"] for m in a + b})
    moves = {"moves": [{"kind": "out", "cadre_id": a[-1]["cadre_id"], "unit_id": first},
                       {"kind": "in", "cadre_id": outsider, "unit_id": first},
                       {"kind": "swap", "cadre_id": a[0]["cadre_id"], "unit_id": first,
                        "other_cadre_id": b[0]["cadre_id"], "other_unit_id": second}]}
    what_if = await timed(10, lambda i: client.post("/api/v1/teams/what-if", json=moves, headers=clerk), tolerate)
    return {"cadres": len(cadres), "units": len(units), "matched": matched, "portrait": portrait,
            "five-condition search, whole jurisdiction": searched, "team report": teamed,
            "what-if, three moves": what_if}


async def measure_system(system: Any, unit: str = "city", portraits: int = 200, teams: int = 40,
                         tolerate: bool = False) -> dict[str, Any]:
    """``measure`` on a running production system (``tests.support.production.ProductionSystem``), already loaded."""
    clerk = {"Authorization": f"Bearer {system.token(role='clerk', subject='bench-portraits', unit=unit)}"}
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as client:
        return await measure(client, clerk, unit, portraits, teams, tolerate=tolerate)


async def county(portraits: int, teams: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        async with embedded_system(Path(folder), demo=True) as s:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=s.gateway), base_url="http://gw",
                                         timeout=120) as client:
                clerk = {"Authorization": f"Bearer {s.token(role='clerk', subject='bench', unit='qhd')}"}
                cadres = (await client.get("/api/v1/cadres", params={"unit": "qhd", "limit": PAGE},
                                           headers=clerk)).json()["cadres"]
                await county_profiles(client, s, cadres)
                await settled(s)  # time the reads, not the reads racing scoring's catch-up on the import
                return await measure(client, clerk, "qhd", portraits, teams, cadres)


async def city(name: str, portraits: int, teams: int) -> dict[str, Any]:
    """``measure`` on the city state ``name`` (68,553 cadres, 13.3 M events: ``bench/city_state.py``), as the
    city's clerk; scoring's daily job off, as ``bench/city_waits.py`` runs it (at city size it takes minutes at
    start): the warnings are those the state holds (none until ``bench/city_waits.py`` has run the refresh)."""
    from bench import city_state

    async with city_state.city_system(name, {"SHIJI_SCORING_DAILY_JOB": "false"}) as system:
        first = await first_portrait(system)
        found = await measure_system(system, "city", portraits, teams, tolerate=True)
        print(f"the first portrait after the services started (the city's standing computed and kept): {first:.1f} s")
        return found


async def first_portrait(system: Any, unit: str = "city") -> float:
    """Seconds the first portrait's scoring part takes after the services start: it computes the city-wide
    standing (ranking bands) that later portraits read kept. Asked straight at scoring, once: through the
    gateway it passes the upstream timeout (10 s), and each retry would start another computation on
    scoring's event loop."""
    clerk = {"Authorization": f"Bearer {system.token(role='clerk', subject='bench-portraits', unit=unit)}"}
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as client:
        cadre = (await client.get("/api/v1/cadres", params={"unit": unit, "limit": 1},
                                  headers=clerk)).json()["cadres"][0]["cadre_id"]
    async with httpx.AsyncClient(base_url=system.scoring_url, timeout=900, verify=system.tls) as scoring:
        started = time.perf_counter()
        r = await scoring.get(f"/v1/cadres/{cadre}/portrait-standing", headers=system.proof("scoring"))
        assert r.status_code == 200, r.text
    return time.perf_counter() - started


def token_of(args: argparse.Namespace) -> str:
    if args.token_file:
        return args.token_file.read_text(encoding="utf-8").strip()
    key = serialization.load_pem_private_key(args.key_file.read_bytes(), password=None)
    return issue_token(key, subject="bench-portraits", role="clerk", unit=args.unit)  # type: ignore[arg-type]


async def running(args: argparse.Namespace) -> dict[str, Any]:
    clerk = {"Authorization": f"Bearer {token_of(args)}"}
    async with httpx.AsyncClient(base_url=args.gateway_url, timeout=120) as client:
        return await measure(client, clerk, args.unit, args.portraits, args.teams)


def report(found: dict[str, Any], where: str, cpu: bool) -> None:
    print(f"machine: {machine()}; {where}: {found['cadres']} cadres read, {found['units']} units; the "
          f"five-condition search matches {found['matched']}; run {uuid.uuid4().hex[:6]}")
    print("| read | requests | p50 ms | p99 ms |" + (" CPU p50 ms |\n|---|---|---|---|---|" if cpu else "\n|---|---|---|---|"))
    for what, spent in found.items():
        if isinstance(spent, Spent):
            print(line(what, spent, cpu))
    for what, spent in found.items():
        if isinstance(spent, Spent) and spent.refused:
            print(f"{what}: {len(spent.refused)} of {len(spent)} answered other than 200 ({sorted(set(spent.refused))})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portraits", type=int, default=200)
    parser.add_argument("--teams", type=int, default=40, help="team reports timed (one per unit)")
    parser.add_argument("--gateway-url", help="a running system's gateway (default: the embedded demo county)")
    parser.add_argument("--city", metavar="NAME", help="the whole city state NAME built by bench/city_state.py, its "
                        "services started here (servers of SHIJI_TEST_PG/SHIJI_TEST_KAFKA)")
    parser.add_argument("--unit", default="city", help="with --gateway-url: the jurisdiction searched")
    tokens = parser.add_mutually_exclusive_group()
    tokens.add_argument("--token-file", type=Path, help="a clerk's bearer token of --unit")
    tokens.add_argument("--key-file", type=Path, help="the PEM private key that signs the gateway's tokens")
    args = parser.parse_args()
    if args.city:
        report(asyncio.run(city(args.city, args.portraits, args.teams)), f"city state {args.city}", cpu=False)
    elif args.gateway_url:
        if not (args.token_file or args.key_file):
            parser.error("--gateway-url needs --token-file or --key-file")
        report(asyncio.run(running(args)), f"{args.gateway_url}, unit {args.unit}", cpu=False)
    else:
        report(asyncio.run(county(args.portraits, args.teams)), "demo county", cpu=True)
