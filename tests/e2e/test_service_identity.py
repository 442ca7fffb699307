"""Service identity (shared/service_identity.py), on both wirings: dossier and scoring answer only the
gateway's proof, for themselves; whom a call is for comes from that proof, never from headers."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from services.embedded import embedded_system
from shared.service_identity import GATEWAY, CallSigner, audience, key_id
from tests.conftest import KAFKA, PG, require_server
from tests.support.production import production_system

UNIT = {"unit_id": "id-city", "name": "身份市", "level": "city", "unit_class": "city"}


@dataclass
class Services:
    wiring: str
    clients: dict[str, httpx.AsyncClient]  # straight to dossier and scoring, past the gateway
    gateway: httpx.AsyncClient
    signer: CallSigner  # the gateway's own
    token: Callable[..., str]  # an end user's bearer token for the gateway


@pytest.fixture(scope="module", params=["embedded", "production"])
async def services(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                   ) -> AsyncIterator[Services]:
    if request.param == "embedded":
        async with embedded_system(tmp_path_factory.mktemp("embedded"), demo=False) as s:
            clients = {name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")
                       for name, app in (("dossier", s.dossier), ("scoring", s.scoring), ("gateway", s.gateway))}
            try:
                yield Services("embedded", clients, clients["gateway"], s.signer, s.token)
            finally:
                for client in clients.values():
                    await client.aclose()
    else:
        require_server("PostgreSQL", PG.hostport)
        require_server("Kafka", KAFKA.bootstrap)
        async with production_system(PG, KAFKA, log_dir=tmp_path_factory.mktemp("logs")) as s:
            urls = {"dossier": s.dossier_url, "scoring": s.scoring_url, "gateway": s.gateway_url}
            clients = {name: httpx.AsyncClient(base_url=url, timeout=30, verify=s.tls) for name, url in urls.items()}
            try:
                yield Services("production", clients, clients["gateway"], CallSigner(s.service_key), s.token)
            finally:
                for client in clients.values():
                    await client.aclose()


CALLS = {"dossier": ("GET", "/v1/categories"), "scoring": ("GET", f"/v1/cadres/{uuid.uuid4()}/score")}


def forged(key: ed25519.Ed25519PrivateKey, service: str, *, kid: str | None = None, **claims: object) -> dict[str, str]:
    now = dt.datetime.now(dt.UTC)
    body = {"iss": GATEWAY, "aud": audience(service), "iat": now, "exp": now + dt.timedelta(minutes=1),
            "sub": "clerk-1", "role": "clerk", **claims}
    token = jwt.encode(body, key, algorithm="EdDSA", headers={"kid": kid or key_id(key.public_key())})
    return {"Authorization": f"Bearer {token}"}


def refused(r: httpx.Response) -> None:
    assert r.status_code == 401, r.text
    assert r.json()["type"] == "urn:shiji:problem:gateway-proof-required", r.text


@pytest.mark.parametrize("service", ["dossier", "scoring"])
async def test_a_call_without_the_gateways_proof_is_refused(services: Services, service: str) -> None:
    method, path = CALLS[service]
    client = services.clients[service]
    refused(await client.request(method, path))
    refused(await client.request(method, path, headers={"Authorization": "Bearer not-a-token"}))
    refused(await client.request(method, path, headers={"Authorization": f"Basic {uuid.uuid4().hex}"}))
    # With the gateway's proof the same call is answered; health and metrics stay open to probes.
    assert (await client.request(method, path, headers=services.signer.header(service, "clerk-1", "clerk"))
            ).status_code in (200, 404)
    for open_path in ("/healthz", "/readyz", "/metrics"):
        assert (await client.get(open_path)).status_code == 200, open_path


@pytest.mark.parametrize("service", ["dossier", "scoring"])
async def test_a_proof_from_another_identity_is_refused(services: Services, service: str) -> None:
    method, path = CALLS[service]
    client = services.clients[service]
    other = ed25519.Ed25519PrivateKey.generate()
    real_kid = key_id(services.signer.public_key)
    other_service = "scoring" if service == "dossier" else "dossier"
    attempts = {
        "another key": forged(other, service),
        "another key, claiming the gateway's key id": forged(other, service, kid=real_kid),
        "another issuer": {"Authorization": CallSigner(services.signer._key, issuer="shiji-scoring")
                           .header(service, "clerk-1", "clerk")["Authorization"]},
        "for another service": services.signer.header(other_service, "clerk-1", "clerk"),
        "expired": forged(services.signer._key, service, iat=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
                          exp=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)),
        "a user's own bearer token": {"Authorization": f"Bearer {services.token(role='system_admin')}"},
        "HMAC with the public key": {"Authorization": "Bearer " + jwt.encode(
            {"iss": GATEWAY, "aud": audience(service), "exp": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)},
            real_kid * 2, algorithm="HS256", headers={"kid": real_kid})},
    }
    for name, headers in attempts.items():
        r = await client.request(method, path, headers=headers)
        assert r.status_code == 401, f"{name}: {r.status_code} {r.text}"


async def test_actor_headers_are_believed_from_nobody(services: Services) -> None:
    dossier = services.clients["dossier"]
    mallory = {"X-Shiji-Actor": "mallory", "X-Shiji-Actor-Role": "system_admin"}
    unit = {**UNIT, "unit_id": f"id-{uuid.uuid4().hex[:8]}"}
    # The headers alone, as before the gateway proved its calls: refused.
    refused(await dossier.post("/v1/units", json=unit, headers={**mallory, "Idempotency-Key": "u1"}))
    # A proof that names no user cannot record anything, whatever the headers say.
    refused(await dossier.post("/v1/units", json=unit,
                               headers={**mallory, **services.signer.header("dossier"), "Idempotency-Key": "u2"}))
    # With the gateway's proof for clerk-1, the headers are ignored: the event names clerk-1.
    r = await dossier.post("/v1/units", json=unit, headers={
        **mallory, **services.signer.header("dossier", "clerk-1", "clerk"), "Idempotency-Key": "u3"})
    assert r.status_code == 201, r.text
    cadre = await dossier.post("/v1/cadres", json={"name": "李明", "unit_id": unit["unit_id"]}, headers={
        **mallory, **services.signer.header("dossier", "clerk-7", "clerk"), "Idempotency-Key": "c1"})
    assert cadre.status_code == 201, cadre.text
    events = await dossier.get(f"/v1/cadres/{cadre.json()['id']}/events",
                               headers=services.signer.header("dossier", "auditor-1", "auditor"))
    assert events.status_code == 200, events.text
    [registered] = events.json()["events"]
    assert (registered["actor"], registered["actor_role"]) == ("clerk-7", "clerk")


async def test_through_the_gateway_the_tokens_subject_is_the_actor(services: Services) -> None:
    """The gateway's calls carry its caller into the record, whatever headers that caller added."""
    unit = {**UNIT, "unit_id": f"id-{uuid.uuid4().hex[:8]}"}
    auth = {"Authorization": f"Bearer {services.token(subject='clerk-9', unit=unit['unit_id'])}",
            "X-Shiji-Actor": "mallory", "X-Shiji-Actor-Role": "system_admin"}
    r = await services.gateway.post("/api/v1/units", json=unit, headers={**auth, "Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    r = await services.gateway.post("/api/v1/cadres", json={"name": "王芳", "unit_id": unit["unit_id"]},
                                    headers={**auth, "Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    events = await services.clients["dossier"].get(f"/v1/cadres/{r.json()['id']}/events",
                                                   headers=services.signer.header("dossier", "auditor-1", "auditor"))
    assert [(e["actor"], e["actor_role"]) for e in events.json()["events"]] == [("clerk-9", "clerk")]
