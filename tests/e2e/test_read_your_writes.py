"""Issue 15 item 6, read your own writes, through the gateway on both wirings: a write answers its position; a
read that asks for it (``min_position``) answers the new total at once; a position scoring has not reached
is a 503 with Retry-After after the (caller-shortened) wait; every scoring answer states its position."""

from __future__ import annotations

import time
import uuid

from tests.e2e.conftest import System
from tests.e2e.test_dossier_workflows import office
from tests.e2e.test_gateway import assert_problem, entry, key, register

POSITION = "X-Shiji-Position"


async def record(system: System, cadre: str, points: float) -> dict:
    r = await system.client.post(f"/api/v1/cadres/{cadre}/entries", json=entry(points=points),
                                 headers={**system.auth(), **key()})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["position"] == f"{cadre}:{body['version']}" == r.headers[POSITION]
    return body


async def test_the_score_read_with_the_write_position_counts_the_write_at_once(system: System) -> None:
    cadre = await register(system)
    await record(system, cadre, 3)
    for points, total in ((2, 5), (1.5, 6.5)):  # each read straight after its write, no retrying
        written = await record(system, cadre, points)
        r = await system.client.get(f"/api/v1/cadres/{cadre}/score", params={"min_position": written["position"]},
                                    headers=system.auth())
        assert r.status_code == 200, r.text
        assert r.json()["total"] == total
        stated = r.json()["position"]
        assert stated == r.headers[POSITION]
        assert stated.rsplit(":", 1)[0] == cadre and int(stated.rsplit(":", 1)[1]) >= written["version"]


async def test_a_position_scoring_has_not_reached_is_503_with_retry_after_once_the_wait_runs_out(
        system: System) -> None:
    cadre = await register(system)
    written = await record(system, cadre, 2)
    ahead = f"{cadre}:{written['version'] + 1000}"
    started = time.monotonic()
    r = await system.client.get(f"/api/v1/cadres/{cadre}/score", params={"min_position": ahead},
                                headers={**system.auth(), "Prefer": "wait=0.4"})
    waited = time.monotonic() - started
    problem = assert_problem(r, 503)
    assert problem["type"].endswith("not-caught-up") and problem["rule"] == "min_position_reached"
    assert int(r.headers["Retry-After"]) >= 1
    assert 0.4 <= waited < 5, waited  # the caller's bound, not the gateway's 5 s
    # The same for a jurisdiction's answer.
    r = await system.client.get("/api/v1/screenings", params={"min_position": ahead},
                                headers={**system.auth(), "Prefer": "wait=0"})
    assert_problem(r, 503)


async def test_jurisdiction_answers_state_the_position_they_were_asked_for(system: System) -> None:
    o = await office(system)
    written = await record(system, o.cadre, 4)
    at = {"min_position": written["position"]}
    for path, params in (("/screenings", {"unit": o.unit_id}), ("/rankings", {"class": "law_enforcement"}),
                         ("/warnings", {}), (f"/cadres/{o.cadre}/screening", {})):
        r = await system.client.get(f"/api/v1{path}", params={**params, **at}, headers=system.auth())
        assert r.status_code == 200, (path, r.text)
        stream, version = r.headers[POSITION].rsplit(":", 1)
        assert stream == o.cadre and int(version) >= written["version"], path
    r = await system.client.get("/api/v1/warnings", params={"cadre_id": o.cadre}, headers=system.auth())
    assert r.status_code == 200 and r.headers[POSITION].startswith(f"{o.cadre}:")


async def test_a_unit_write_position_serves_a_ranking_read(system: System) -> None:
    o = await office(system)
    r = await system.client.post(f"/api/v1/units/{o.unit_id}/team-grades/2025", json={"grade": "good"},
                                 headers={**system.auth(), **key()})
    assert r.status_code == 201, r.text
    assert r.json()["position"] == f"unit-{o.unit_id}:{r.json()['version']}"
    r = await system.client.get("/api/v1/rankings", params={"team": o.unit_id, "min_position": r.json()["position"]},
                                headers=system.auth())
    assert r.status_code == 200, r.text
    assert r.headers[POSITION].startswith(f"unit-{o.unit_id}:")


async def test_a_position_that_is_malformed_or_out_of_reach_is_refused(system: System) -> None:
    cadre = await register(system)
    for bad in ("no-version", f"{cadre}:x", ":3"):
        r = await system.client.get(f"/api/v1/cadres/{cadre}/score", params={"min_position": bad}, headers=system.auth())
        assert_problem(r, 422, "min_position")
    # Another cadre's stream: one that does not exist and one outside the caller's jurisdiction answer alike.
    elsewhere = system.auth(unit="e2e-unit")
    o = await office(system)
    for stream in (str(uuid.uuid4()), o.cadre, "unit-nowhere"):
        r = await system.client.get("/api/v1/screenings", params={"min_position": f"{stream}:1"}, headers=elsewhere)
        problem = assert_problem(r, 422, "min_position")
        assert problem["errors"][0]["rule"] == "position_reach", problem
