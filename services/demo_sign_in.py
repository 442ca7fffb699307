"""The demo sign-in of the embedded wiring: the demo county's people by role, each with a fresh token.

Only ``services/embedded.py`` installs it, and only when the demo county is loaded: it hands anyone who can
reach the port a token of any of these people, which is what a demo on one's own machine is for and what a
deployment must never do. The production wiring (``services.gateway.bootstrap.build_app``) has no such
route (``tests/e2e/test_console_serving.py``).

The people are found through the public API itself (the way a clerk would), in one unit of the demo: its
chief (a leader, the superior of the unit's section heads), its deputies and section heads (cadres), and a
clerk and an auditor of the whole county.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI

DEMO_SIGN_IN_PATH = "/demo/people"
DEMO_UNIT_SUFFIX = "-haigang-fgw"  # 海港区发展和改革局


def install_demo_sign_in(gateway: FastAPI, mint: Any, root: str) -> None:
    """``GET /demo/people`` on ``gateway``; ``mint(role=, subject=, unit=)`` signs a token."""
    found: list[dict[str, str]] = []
    lock = asyncio.Lock()

    async def people() -> list[dict[str, str]]:
        async with lock:
            if not found:
                found.extend(await _find_people(gateway, mint, root))
        return found

    @gateway.get(DEMO_SIGN_IN_PATH, include_in_schema=False)
    async def demo_people() -> dict[str, Any]:
        listed = await people()
        return {"unit": root, "people": [{**p, "token": mint(role=p["role"], subject=p["subject"], unit=p["unit"])}
                                         for p in listed]}

    gateway.state.demo_sign_in = DEMO_SIGN_IN_PATH


async def _find_people(gateway: FastAPI, mint: Any, root: str) -> list[dict[str, str]]:
    clerk = {"Authorization": f"Bearer {mint(role='clerk', subject='demo-clerk', unit=root)}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gateway",
                                 headers=clerk) as client:
        return await find_demo_people(client, root)


async def find_demo_people(client: httpx.AsyncClient, root: str) -> list[dict[str, str]]:
    """The demo's people (without tokens), found through the public API by ``client`` (a clerk of ``root``):
    also how the console's browser tests find them on the production wiring, which has no demo sign-in."""
    unit_id = root + DEMO_UNIT_SUFFIX

    async def get(path: str, **params: str) -> Any:
        r = await client.get(f"/api/v1{path}", params=params)
        r.raise_for_status()
        return r.json()

    unit = await get(f"/units/{unit_id}")
    screened = await get("/screenings", unit=unit_id)
    ids = [*screened["eligible"], *(c["cadre_id"] for c in screened["ineligible"]),
           *(c["cadre_id"] for c in screened["undetermined"])]
    dossiers = [await get(f"/cadres/{cadre_id}/dossier") for cadre_id in ids]
    cadres = [await get(f"/cadres/{cadre_id}") for cadre_id in ids]
    order = {"chief": 0, "deputy": 1, "member": 2}
    people = []
    for cadre, dossier in zip(cadres, dossiers, strict=True):
        post = next((p for p in dossier["posts"] if p["end_date"] is None), None)
        if post is None:
            continue
        people.append({"role": "leader" if post["leadership"] == "chief" else "cadre", "subject": cadre["id"],
                       "unit": cadre["unit_id"], "name": cadre["name"],
                       "post": f"{unit['name']} {post['position']}", "leadership": post["leadership"]})
    people.sort(key=lambda p: (order.get(p["leadership"], 3), p["name"]))
    return [*people,
            {"role": "clerk", "subject": "demo-clerk", "unit": root, "name": "组织部干部科", "post": "",
             "leadership": ""},
            {"role": "auditor", "subject": "demo-auditor", "unit": root, "name": "审计员", "post": "",
             "leadership": ""}]
