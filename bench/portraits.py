"""Knowing people and teams (issue 20): portraits, condition search, team reports and what-if through the gateway.

The demo county (``services.demo_city``: 4 districts x 10 units, 320 cadres, about 8,700 events, loaded as
``shiji up`` loads it) on the embedded wiring (SQLite, in-process ASGI), with education and fields recorded for
every cadre by one bulk import and a birth date by each cadre; the reads are timed once scoring has applied all
of it. Sequential requests as the county's clerk; p50 and p99 of each:

- a portrait of each of ``--portraits`` cadres (issue target at city size: p99 < 50 ms);
- a five-condition search over the whole county (target over a city: < 300 ms);
- a team report of each of the 40 units (target < 100 ms);
- a what-if of three moves (out, in, swap; target < 200 ms).

Run: ``.venv/bin/python -m bench.portraits`` (no servers needed). The city-size run (68,553 cadres) is not done:
see bench/RESULTS.md, issue 20.
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

from bench.machine import machine, median, percentile
from services.embedded import embedded_system, settled

FIELDS = ("economy", "finance", "law", "planning", "social_affairs")
DISCIPLINES = ("economics", "law", "engineering", "management")


async def timed(n: int, call: Any) -> list[float]:
    spent = []
    for i in range(n):
        start = time.perf_counter()
        r = await call(i)
        spent.append((time.perf_counter() - start) * 1000)
        assert r.status_code == 200, r.text
    return spent


def line(what: str, spent: list[float]) -> str:
    return f"| {what} | {len(spent)} | {median(spent):.1f} | {percentile(spent, 99):.1f} |"


async def main(portraits: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with embedded_system(Path(folder), demo=True) as s:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=s.gateway), base_url="http://gw",
                                         timeout=120) as client:
                clerk = {"Authorization": f"Bearer {s.token(role='clerk', subject='bench', unit='qhd')}"}
                cadres = (await client.get("/api/v1/cadres", params={"unit": "qhd", "limit": 500},
                                           headers=clerk)).json()["cadres"]
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
                    me = {"Authorization": f"Bearer {s.token(role='cadre', subject=c['cadre_id'], unit=c['unit_id'])}",
                          "Idempotency-Key": uuid.uuid4().hex}
                    r = await client.post(f"/api/v1/cadres/{c['cadre_id']}/basics", json={"birth_date": born},
                                          headers=me)
                    assert r.status_code == 201, r.text
                await settled(s)  # time the reads, not the reads racing scoring's catch-up on the import
                units = [u["unit_id"] for u in (await client.get("/api/v1/units", headers=clerk)).json()["units"]
                         if u["level"] == "unit"]
                ids = [c["cadre_id"] for c in cadres][:portraits]
                portrait = await timed(len(ids), lambda i: client.get(f"/api/v1/cadres/{ids[i]}/portrait",
                                                                       headers=clerk))
                five = {"age_min": 35, "age_max": 55, "education_min": "bachelor", "familiar_field": "finance",
                        "screening": "eligible", "sort": "-total"}
                matched = (await client.get("/api/v1/cadre-search", params=five, headers=clerk)).json()["matched"]
                searched = await timed(10, lambda i: client.get("/api/v1/cadre-search", params=five, headers=clerk))
                teams = await timed(len(units), lambda i: client.get(f"/api/v1/units/{units[i]}/team", headers=clerk))
                report = (await client.get(f"/api/v1/units/{units[0]}/team", headers=clerk)).json()
                other = (await client.get(f"/api/v1/units/{units[1]}/team", headers=clerk)).json()
                a, b = report["structure"]["members"], other["structure"]["members"]
                outsider = next(c["cadre_id"] for c in cadres if c["cadre_id"] not in {m["cadre_id"] for m in a + b})
                moves = {"moves": [{"kind": "out", "cadre_id": a[-1]["cadre_id"], "unit_id": units[0]},
                                   {"kind": "in", "cadre_id": outsider, "unit_id": units[0]},
                                   {"kind": "swap", "cadre_id": a[0]["cadre_id"], "unit_id": units[0],
                                    "other_cadre_id": b[0]["cadre_id"], "other_unit_id": units[1]}]}
                what_if = await timed(10, lambda i: client.post("/api/v1/teams/what-if", json=moves, headers=clerk))
    print(f"machine: {machine()}; demo county {len(cadres)} cadres, {len(units)} units; the five-condition search "
          f"matches {matched}; run {uuid.uuid4().hex[:6]}")
    print("| read | requests | p50 ms | p99 ms |\n|---|---|---|---|")
    for what, spent in (("portrait", portrait), ("five-condition search, whole county", searched),
                        ("team report", teams), ("what-if, three moves", what_if)):
        print(line(what, spent))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portraits", type=int, default=200)
    asyncio.run(main(parser.parse_args().portraits))
