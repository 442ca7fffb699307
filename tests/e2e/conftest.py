"""The whole system behind its gateway, in both wirings, for the end-to-end tests.

``embedded``: one process, SQLite, the file-backed bus, exactly as ``shiji up`` runs it.
``production``: three real ``shiji serve`` processes on fresh PostgreSQL databases and a fresh
topic of the real Kafka broker (``tests/support/production.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.embedded import embedded_system
from tests.conftest import KAFKA, PG, require_server
from tests.support.production import ProductionSystem, production_system


@dataclass
class System:
    wiring: str
    client: httpx.AsyncClient  # talks to the gateway
    token: Callable[..., str]
    unit_id: str = "e2e-unit"  # registered (with its city and county) when the system starts

    root_unit: str = "e2e-city"  # the default token's jurisdiction: everything the tests register
    # A service's own answer (dossier or scoring), called as the gateway calls it (its proof for the clerk):
    # for the tests that compare what the gateway composes with the services' separate answers.
    internal: Callable[[str, str, dict[str, Any]], Awaitable[httpx.Response]] | None = None

    def auth(self, role: str = "clerk", subject: str = "clerk-1", unit: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role=role, subject=subject, unit=unit or self.root_unit)}"}


@pytest.fixture(scope="module", params=["embedded", "production"])
async def system(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[System]:
    if request.param == "embedded":
        data_dir: Path = tmp_path_factory.mktemp("embedded")
        async with embedded_system(data_dir, demo=False) as s:
            transport = httpx.ASGITransport(app=s.gateway)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
                def embedded_call(service: str, path: str, params: dict[str, Any]) -> Awaitable[httpx.Response]:
                    app = s.dossier if service == "dossier" else s.scoring
                    inner = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{service}")
                    return _get(inner, path, params, s.signer.header(service, "clerk-1", "clerk"))
                system = System("embedded", client, s.token, internal=embedded_call)
                await register_units(system)
                yield system
    else:
        require_server("PostgreSQL", PG.hostport)
        require_server("Kafka", KAFKA.bootstrap)
        async with production_system(PG, KAFKA, log_dir=tmp_path_factory.mktemp("logs")) as s:
            async with httpx.AsyncClient(base_url=s.gateway_url, timeout=30) as client:
                def production_call(service: str, path: str, params: dict[str, Any]) -> Awaitable[httpx.Response]:
                    url = s.dossier_url if service == "dossier" else s.scoring_url
                    return _get(httpx.AsyncClient(base_url=url, timeout=30, verify=s.tls), path, params, s.proof(service))
                system = System("production", client, s.token, internal=production_call)
                await register_units(system)
                yield system


@pytest.fixture(scope="module")
async def production(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ProductionSystem]:
    """The production wiring alone, for tests that reach past the gateway (its services, its topics)."""
    require_server("PostgreSQL", PG.hostport)
    require_server("Kafka", KAFKA.bootstrap)
    async with production_system(PG, KAFKA, log_dir=tmp_path_factory.mktemp("logs")) as s:
        yield s


async def _get(client: httpx.AsyncClient, path: str, params: dict[str, Any], proof: dict[str, str]) -> httpx.Response:
    """A GET with ``params``; with the key ``json`` among them, a POST of that body (``POST /v1/standing``)."""
    async with client:
        if "json" in params:
            return await client.post(path, json=params["json"], headers=proof)
        return await client.get(path, params=params, headers=proof)


async def register_units(system: System) -> None:
    for n, unit in enumerate([
        {"unit_id": "e2e-city", "name": "测试市", "level": "city", "unit_class": "city"},
        {"unit_id": "e2e-county", "name": "测试区", "parent_id": "e2e-city", "level": "county", "unit_class": "district"},
        {"unit_id": system.unit_id, "name": "测试局", "parent_id": "e2e-county", "level": "unit",
         "unit_class": "economic_development"},
    ]):
        r = await system.client.post("/api/v1/units", json=unit, headers={**system.auth(), "Idempotency-Key": f"u{n}"})
        assert r.status_code == 201, r.text
