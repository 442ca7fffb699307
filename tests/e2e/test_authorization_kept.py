"""The gateway keeps the dossier's relations between requests (services/gateway/reach_cache.py): a change of
units, cadres or posts is still seen by the next request's authorization.

Each test first asks twice as the caller whose reach will change (so the answer is kept), then makes the
change through the gateway, then asks again at once: read-your-writes, on both wirings. The last test
makes the change through a second gateway instance (production wiring) and sees it through the first
within its check interval."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import KAFKA, PG, require_server
from tests.e2e.conftest import System
from tests.support.production import production_system

YESTERDAY = (dt.date.today() - dt.timedelta(days=1)).isoformat()


async def write(system: System, path: str, body: dict[str, Any], **auth: str) -> dict[str, Any]:
    r = await system.client.post(f"/api/v1{path}", json=body,
                                 headers={**system.auth(**auth), "Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 201, r.text
    return r.json()


async def status_twice(system: System, path: str, **auth: str) -> int:
    """The status of ``path`` asked twice (the second answer authorized from what the gateway kept)."""
    first = (await system.client.get(f"/api/v1{path}", headers=system.auth(**auth))).status_code
    second = (await system.client.get(f"/api/v1{path}", headers=system.auth(**auth))).status_code
    assert first == second
    return second


async def unit(system: System, unit_id: str, parent: str, level: str = "unit") -> str:
    await write(system, "/units", {"unit_id": unit_id, "name": unit_id, "parent_id": parent, "level": level,
                                   "unit_class": "economic_development"})
    return unit_id


async def cadre(system: System, name: str, unit_id: str, leadership: str | None = None) -> tuple[str, str | None]:
    cadre_id = (await write(system, "/cadres", {"name": name, "unit_id": unit_id}))["id"]
    post_id = None
    if leadership is not None:
        post_id = (await write(system, f"/cadres/{cadre_id}/posts", {
            "unit_id": unit_id, "position": name, "rank": "科级", "leadership": leadership,
            "start_date": "2020-01-01"}))["post_id"]
    return cadre_id, post_id


async def test_a_post_assigned_and_ended_is_seen_by_the_leaders_next_request(system: System) -> None:
    member, _ = await cadre(system, "成员", system.unit_id, "member")
    leader, _ = await cadre(system, "领导", system.unit_id)
    as_leader = {"role": "leader", "subject": leader, "unit": system.unit_id}
    assert await status_twice(system, f"/cadres/{member}/dossier", **as_leader) == 404  # not their superior yet

    post_id = (await write(system, f"/cadres/{leader}/posts", {
        "unit_id": system.unit_id, "position": "局长", "rank": "正处级", "leadership": "chief",
        "start_date": "2020-01-01"}))["post_id"]
    assert await status_twice(system, f"/cadres/{member}/dossier", **as_leader) == 200

    await write(system, f"/cadres/{leader}/posts/{post_id}/end", {"end_date": YESTERDAY, "reason": "离任"})
    assert await status_twice(system, f"/cadres/{member}/dossier", **as_leader) == 404


async def test_a_transfer_is_seen_by_both_clerks_next_requests(system: System) -> None:
    tag = uuid.uuid4().hex[:6]
    county_a = await unit(system, f"ka-{tag}", system.root_unit, "county")
    county_b = await unit(system, f"kb-{tag}", system.root_unit, "county")
    unit_a, unit_b = await unit(system, f"ka-u-{tag}", county_a), await unit(system, f"kb-u-{tag}", county_b)
    moved, _ = await cadre(system, "调任者", unit_a, "member")
    clerk_a = {"subject": "clerk-a", "unit": county_a}
    clerk_b = {"subject": "clerk-b", "unit": county_b}
    assert await status_twice(system, f"/cadres/{moved}", **clerk_a) == 200
    assert await status_twice(system, f"/cadres/{moved}", **clerk_b) == 404

    await write(system, f"/cadres/{moved}/transfer", {"unit_id": unit_b, "position": "科员", "rank": "科级",
                                                      "leadership": "member", "start_date": dt.date.today().isoformat(),
                                                      "reason": "工作需要"})
    assert await status_twice(system, f"/cadres/{moved}", **clerk_a) == 404
    assert await status_twice(system, f"/cadres/{moved}", **clerk_b) == 200


async def test_a_unit_and_a_cadre_registered_are_seen_by_the_next_request(system: System) -> None:
    tag = uuid.uuid4().hex[:6]
    county = await unit(system, f"kc-{tag}", system.root_unit, "county")
    clerk = {"subject": "clerk-c", "unit": county}
    new_unit = f"kc-u-{tag}"
    assert await status_twice(system, f"/units/{new_unit}", **clerk) == 404  # not registered yet
    await unit(system, new_unit, county)
    assert await status_twice(system, f"/units/{new_unit}", **clerk) == 200

    new_cadre = str(uuid.uuid4())
    assert await status_twice(system, f"/cadres/{new_cadre}", **clerk) == 404
    registered = (await write(system, "/cadres", {"name": "新人", "unit_id": new_unit}, **clerk))["id"]
    assert await status_twice(system, f"/cadres/{registered}", **clerk) == 200


@pytest.fixture(scope="module")
async def two_gateways(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[httpx.AsyncClient, ...]]:
    require_server("PostgreSQL", PG.hostport)
    require_server("Kafka", KAFKA.bootstrap)
    async with production_system(PG, KAFKA, log_dir=tmp_path_factory.mktemp("logs")) as s:
        await s.start("gateway-2")
        async with (httpx.AsyncClient(base_url=s.gateway_url, timeout=30) as first,
                    httpx.AsyncClient(base_url=s.urls["gateway-2"], timeout=30) as second):
            city = {"Authorization": f"Bearer {s.token(unit='two-city')}"}
            r = await first.post("/api/v1/units", headers={**city, "Idempotency-Key": str(uuid.uuid4())},
                                 json={"unit_id": "two-city", "name": "市", "level": "city", "unit_class": "city"})
            assert r.status_code == 201, r.text
            yield first, second, s.token


async def test_a_change_made_through_another_gateway_is_seen_within_the_check_interval(
        two_gateways: tuple[Any, ...]) -> None:
    first, second, token = two_gateways
    city = {"Authorization": f"Bearer {token(unit='two-city')}"}
    r = await second.post("/api/v1/cadres", json={"name": "某人", "unit_id": "two-city"},
                          headers={**city, "Idempotency-Key": str(uuid.uuid4())})
    cadre_id = r.json()["id"]
    leader = {"Authorization": f"Bearer {token(role='leader', subject=cadre_id, unit='two-city')}"}
    member = (await second.post("/api/v1/cadres", json={"name": "成员", "unit_id": "two-city"},
                                headers={**city, "Idempotency-Key": str(uuid.uuid4())})).json()["id"]
    r = await second.post(f"/api/v1/cadres/{member}/posts", headers={**city, "Idempotency-Key": str(uuid.uuid4())},
                          json={"unit_id": "two-city", "position": "科员", "rank": "科级", "leadership": "member",
                                "start_date": "2020-01-01"})
    assert r.status_code == 201, r.text
    for _ in range(2):  # kept by the first gateway
        assert (await first.get(f"/api/v1/cadres/{member}", headers=leader)).status_code == 404

    r = await second.post(f"/api/v1/cadres/{cadre_id}/posts", headers={**city, "Idempotency-Key": str(uuid.uuid4())},
                          json={"unit_id": "two-city", "position": "市长", "rank": "正厅级", "leadership": "chief",
                                "start_date": "2020-01-01"})
    assert r.status_code == 201, r.text
    loop = asyncio.get_running_loop()
    changed_at = loop.time()
    while (await first.get(f"/api/v1/cadres/{member}", headers=leader)).status_code != 200:
        assert loop.time() - changed_at < 3, "the first gateway did not see the post within its check interval"
        await asyncio.sleep(0.05)
