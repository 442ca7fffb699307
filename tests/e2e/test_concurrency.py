"""Many writers on one cadre's stream through the gateway: one wins each version, nothing interleaves."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from tests.e2e.conftest import System
from tests.e2e.test_gateway import assert_problem, entry, key, register

WRITERS = 16


async def history(system: System, cadre_id: str) -> list[dict]:
    r = await system.client.get(f"/api/v1/cadres/{cadre_id}/events", headers=system.auth())
    assert r.status_code == 200, r.text
    return r.json()["events"]


def assert_answers_match_the_stream(wins: list[httpx.Response], events: list[dict]) -> None:
    """Versions 1..n without gap or repeat, and each winner's entry at exactly the version it was told."""
    assert [e["version"] for e in events] == list(range(1, len(events) + 1))
    at = {e["data"]["entry_id"]: e["version"] for e in events if e["type"] == "entry_recorded"}
    assert {r.json()["entry_id"]: r.json()["version"] for r in wins} == at


async def test_conditional_writers_race_one_wins_each_version_the_others_get_412(system: System) -> None:
    cadre_id = await register(system)
    wins: list[httpx.Response] = []
    for version in range(1, 5):
        answers = await asyncio.gather(*(
            system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(title=f"v{version} w{n}"),
                               headers={**system.auth(), **key(), "If-Match": f'"{version}"'})
            for n in range(WRITERS)))
        won = [r for r in answers if r.status_code == 201]
        assert len(won) == 1, Counter(r.status_code for r in answers)
        assert won[0].json()["version"] == version + 1 and won[0].headers["etag"] == f'"{version + 1}"'
        for r in answers:
            if r.status_code != 201:
                assert_problem(r, 412)
        wins += won
    assert_answers_match_the_stream(wins, await history(system, cadre_id))


async def test_unconditional_writers_race_each_gets_its_own_version_or_a_409(system: System) -> None:
    cadre_id = await register(system)
    answers = await asyncio.gather(*(
        system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(title=f"w{n}"),
                           headers={**system.auth(), **key()})
        for n in range(WRITERS)))
    wins = [r for r in answers if r.status_code == 201]
    for r in answers:
        if r.status_code != 201:  # the service re-decides on the newest state a few times, then gives up
            assert_problem(r, 409)
    assert wins, Counter(r.status_code for r in answers)
    assert_answers_match_the_stream(wins, await history(system, cadre_id))
