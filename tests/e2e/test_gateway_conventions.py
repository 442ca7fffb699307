"""The public API's conventions: idempotent POSTs, ETag/If-Match, size and rate limits, CORS, the
access log and its auditor API, and the OpenAPI spec."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest

from services.gateway.auth import TokenVerifier, issue_token
from services.gateway.bootstrap import build_app
from services.gateway.settings import GatewaySettings
from tests.e2e.conftest import System
from tests.e2e.test_gateway import assert_problem, entry, event_count, key, register
from tests.e2e.test_scoring_features import eventually
from tests.support.keys import private_key, public_pem, service_signer
from tests.support.operations import PUBLIC_OPERATIONS


async def test_a_retried_post_is_replayed_and_a_reused_key_with_another_body_is_refused(system: System) -> None:
    cadre_id = await register(system)
    once = {**system.auth(), "Idempotency-Key": f"k-{uuid.uuid4()}"}
    first = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(points=2), headers=once)
    again = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(points=2), headers=once)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(points=3), headers=once)
    assert_problem(other, 422, "Idempotency-Key", "same_request_same_key")
    assert await event_count(system, cadre_id) == 2
    missing = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(), headers=system.auth())
    assert_problem(missing, 422, "Idempotency-Key")


async def test_etag_is_the_version_and_a_stale_if_match_is_refused(system: System) -> None:
    cadre_id = await register(system)
    read = await system.client.get(f"/api/v1/cadres/{cadre_id}/dossier", headers=system.auth())
    assert read.headers["etag"] == '"1"'
    ok = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(),
                                  headers={**system.auth(), **key(), "If-Match": read.headers["etag"]})
    assert ok.status_code == 201 and ok.headers["etag"] == '"2"'
    stale = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(),
                                     headers={**system.auth(), **key(), "If-Match": read.headers["etag"]})
    assert assert_problem(stale, 412)["current_version"] == 2


async def test_an_oversize_body_is_answered_413_through_the_wiring(system: System) -> None:
    cadre_id = await register(system)
    r = await system.client.post(f"/api/v1/cadres/{cadre_id}/self-evaluation", content=b"{" + b" " * 200_000 + b"}",
                                 headers={**system.auth(), **key(), "Content-Type": "application/json"})
    assert_problem(r, 413)


async def send_body(chunks: list[bytes], declared: int | None) -> tuple[int, dict, int, int]:
    """POST ``chunks`` straight into the gateway's ASGI app, counting what the app pulls from ``receive``:
    (status, problem body, chunks read, dossier calls)."""
    app, calls = stub_app()
    headers = [(b"authorization", bearer("big")["Authorization"].encode()), (b"content-type", b"application/json"),
               (b"idempotency-key", b"k-big"), (b"host", b"gateway")]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    path = f"/api/v1/cadres/{uuid.UUID(int=1)}/self-evaluation"
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "headers": headers, "client": ("10.0.0.1", 5000),
             "server": ("gateway", 80)}
    pending, read, sent = list(chunks), [0], []

    async def receive() -> dict:
        read[0] += 1
        body = pending.pop(0) if pending else b""
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body), read[0], calls["n"]


async def test_an_oversize_body_is_refused_before_it_is_read() -> None:
    """The ceiling is 64 KiB: a declared larger body is refused without reading a byte of it; a body that
    does not say its size (chunked) is read only until it passes the ceiling; a body under it is read whole."""
    chunk = b" " * (16 * 1024)
    status, problem, read, calls = await send_body([b"{", *[chunk] * 12, b"}"], declared=12 * len(chunk) + 2)
    assert (status, problem["status"], read, calls) == (413, 413, 0, 0), problem
    assert problem["type"].startswith("urn:shiji:problem:")
    status, problem, read, calls = await send_body([b"{", *[chunk] * 12, b"}"], declared=None)
    # "{" and 4 x 16 KiB are 65,537 bytes, one past the ceiling: the 5th chunk is the last one read
    assert (status, read, calls) == (413, 5, 0), problem
    # under the ceiling: read whole and validated (the text is longer than a self-evaluation's 10,000)
    status, problem, read, calls = await send_body([b'{"text": "', b"a" * 16_384, b'"}'], declared=None)
    assert (status, read, [(e["field"], e["rule"]) for e in problem["errors"]]) == (
        422, 3, [("text", "string_too_long")]), problem


async def test_reads_and_writes_are_in_the_access_log_for_the_auditor(system: System) -> None:
    cadre_id = await register(system)
    await system.client.get(f"/api/v1/cadres/{cadre_id}/dossier",
                            headers={**system.auth(subject="clerk-7"), "X-Request-Id": "req-log-1"})
    snooper = await system.client.get(f"/api/v1/cadres/{cadre_id}/dossier",
                                      headers=system.auth(role="cadre", subject=str(uuid.uuid4())))
    assert_problem(snooper, 404)
    auditor = system.auth(role="auditor", subject="auditor-1")
    r = await system.client.get("/api/v1/access-log", params={"cadre_id": cadre_id, "limit": 1}, headers=auditor)
    assert r.status_code == 200, r.text
    page = r.json()
    [read] = page["entries"]
    assert (read["subject"], read["role"], read["status"], read["outcome"], read["request_id"]) == (
        "clerk-7", "clerk", 200, "allowed", "req-log-1")
    assert read["client"] and read["recorded_at"] and read["hash"] and read["unit"] == system.root_unit
    r = await system.client.get("/api/v1/access-log", params={"cadre_id": cadre_id, "cursor": page["next"]},
                                headers=auditor)
    refused, audited = r.json()["entries"][:2]
    assert refused["action"] == "get_dossier" and refused["seq"] > read["seq"]
    assert (audited["action"], audited["subject"]) == ("access_log", "auditor-1")  # the auditors are logged too
    assert (refused["role"], refused["status"], refused["outcome"]) == ("cadre", 404, "refused")
    assert_problem(await system.client.get("/api/v1/access-log", headers=auditor), 422, "cadre_id")
    assert_problem(await system.client.get("/api/v1/access-log", params={"cadre_id": cadre_id},
                                           headers=system.auth(role="security_admin", subject="sec-1")), 403)
    everything = await system.client.get("/api/v1/access-log", params={"subject": "clerk-7"},
                                         headers=system.auth(role="audit_admin", subject="aa-1"))
    assert everything.status_code == 200 and everything.json()["entries"]


def stub_gateway(**settings: object) -> tuple[httpx.AsyncClient, dict[str, int]]:
    """A gateway over stub services that answer every call, for the limits the gateway alone enforces."""
    app, calls = stub_app(**settings)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway"), calls


def stub_app(**settings: object) -> tuple[Any, dict[str, int]]:
    calls = {"n": 0}

    def answer(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if request.url.path == "/v1/access/relations":
            return httpx.Response(200, json={"jurisdiction": ["city"], "top_level": True, "cadres": {}})
        if request.url.path == "/v1/access-log":
            return httpx.Response(201, json={"entries": [{} for _ in json.loads(request.content)["entries"]]})
        return httpx.Response(200, json={"categories": []})

    app = build_app(GatewaySettings(**settings), verifier=TokenVerifier(public_pem()), signer=service_signer(),
                     dossier_transport=httpx.MockTransport(answer), scoring_transport=httpx.MockTransport(answer))
    return app, calls


def bearer(subject: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(private_key(), subject=subject, role='clerk', unit='city')}"}


async def test_a_subject_over_its_rate_is_answered_429_with_retry_after() -> None:
    client, calls = stub_gateway(rate_limit_per_s=0.01, rate_limit_burst=3)
    async with client:
        statuses = [(await client.get("/api/v1/categories", headers=bearer("busy"))).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        r = await client.get("/api/v1/categories", headers=bearer("busy"))
        assert_problem(r, 429)
        assert int(r.headers["retry-after"]) >= 1
        before = calls["n"]
        await client.get("/api/v1/categories", headers=bearer("busy"))
        assert calls["n"] == before  # refused before anything was forwarded
        assert (await client.get("/api/v1/categories", headers=bearer("calm"))).status_code == 200


async def test_cors_allows_the_configured_origins_only() -> None:
    client, _ = stub_gateway(cors_origins=["https://web.shiji.example"])
    async with client:
        preflight = {"Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "authorization,idempotency-key,if-match"}
        ok = await client.options("/api/v1/cadres", headers={"Origin": "https://web.shiji.example", **preflight})
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == "https://web.shiji.example"
        evil = await client.options("/api/v1/cadres", headers={"Origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in evil.headers
        r = await client.get("/api/v1/categories", headers={"Origin": "https://web.shiji.example", **bearer("w")})
        assert "etag" in r.headers.get("access-control-expose-headers", "").lower()


async def test_the_public_spec_is_valid_and_every_operation_needs_a_token_and_documents_its_errors() -> None:
    from openapi_spec_validator import validate

    client, _ = stub_gateway()
    async with client:
        spec = (await client.get("/openapi.json")).json()
        assert (await client.get("/docs")).status_code == 200
    validate(spec)
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    operations = [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]
    assert len(operations) == PUBLIC_OPERATIONS and all(path.startswith("/api/v1/") for path, _, _ in operations)
    declared_tags = {t["name"] for t in spec["tags"]}
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("security") == [{"HTTPBearer": []}], f"{where} does not require authentication"
        assert op.get("summary") and op.get("tags") and set(op["tags"]) <= declared_tags, where
        errors = {status: r for status, r in op["responses"].items() if status.startswith(("4", "5"))}
        assert {"401", "403", "404", "422", "429"} <= errors.keys(), where
        for status, response in errors.items():
            content = response["content"]["application/problem+json"]
            assert content["example"]["status"] == int(status), f"{where} {status}"
        if path == "/api/v1/imports":  # a file: each row's row_key is its idempotency key (test_bulk_import)
            assert op["requestBody"]["content"]["application/x-ndjson"].get("example"), where
            continue
        # they record nothing new, so they take no key (test_gateway_idempotency_exemptions)
        if method == "post" and path not in ("/api/v1/what-if", "/api/v1/teams/what-if", "/api/v1/jobs/daily-refresh",
                                             "/api/v1/assessments/{scheme_id}/what-if"):
            assert "Idempotency-Key" in [p["name"] for p in op["parameters"]], where
        if "requestBody" in op:
            body = op["requestBody"]["content"]["application/json"]
            assert body.get("example") is not None, f"{where} has no request example"


@pytest.mark.parametrize("role", ["system_admin", "security_admin", "audit_admin"])
async def test_no_administrator_reads_or_changes_a_dossier(system: System, role: str) -> None:
    cadre_id = await register(system)
    admin = system.auth(role=role, subject=f"{role}-1")
    assert_problem(await system.client.get(f"/api/v1/cadres/{cadre_id}/dossier", headers=admin), 403)
    assert_problem(await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(),
                                            headers={**admin, **key()}), 403)
    assert await event_count(system, cadre_id) == 1


async def test_warnings_are_paged_with_a_cursor(system: System) -> None:
    cadres = [await register(system) for _ in range(3)]
    for cadre_id in cadres:  # a negative three-year total raises a red warning
        r = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", headers={**system.auth(), **key()},
                                     json=entry(kind="negative", category="work_style", title="通报", points=-2))
        assert r.status_code == 201, r.text

    async def every_page() -> list[dict]:
        seen, cursor = [], None
        while True:
            params = {"status": "all", "limit": 1, **({"cursor": cursor} if cursor else {})}
            r = await system.client.get("/api/v1/warnings", params=params, headers=system.auth())
            assert r.status_code == 200, r.text
            seen += r.json()["warnings"]
            cursor = r.json()["next"]
            if cursor is None:
                return seen

    async def all_three() -> list[dict]:
        seen = await every_page()
        assert set(cadres) <= {w["cadre_id"] for w in seen}
        return seen

    seen = await eventually(all_three)
    keys = [(w["cadre_id"], w["key"], w["raised_on"]) for w in seen]
    assert len(keys) == len(set(keys))  # no warning twice across pages
    assert_problem(await system.client.get("/api/v1/warnings", params={"cursor": "bm90LWEtY3Vyc29y"},
                                           headers=system.auth()), 422, "cursor", "cursor_format")


async def test_concurrent_requests_each_get_their_own_access_log_entry(system: System) -> None:
    """The gateway sends the entries of concurrent requests together (group commit): each request is still
    logged once, under its own request id, nothing lost and nothing doubled."""
    cadre_id = await register(system)
    ids = [f"req-burst-{n}" for n in range(24)]
    answers = await asyncio.gather(*(system.client.get(f"/api/v1/cadres/{cadre_id}/dossier",
                                                       headers={**system.auth(subject="clerk-9"), "X-Request-Id": rid})
                                     for rid in ids))
    assert [a.status_code for a in answers] == [200] * len(ids)
    r = await system.client.get("/api/v1/access-log", params={"subject": "clerk-9", "limit": 500},
                                headers=system.auth(role="audit_admin", subject="aa-1"))
    assert r.status_code == 200, r.text
    logged = [e["request_id"] for e in r.json()["entries"] if e["action"] == "get_dossier"]
    assert sorted(logged) == sorted(ids)
