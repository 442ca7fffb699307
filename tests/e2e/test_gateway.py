"""End to end through the gateway, on both wirings: record -> scored, and every refusal."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import System
from tests.support.operations import PUBLIC_OPERATIONS

BASIS = {"reason": "市委通报表扬", "document": "组字〔2026〕8号"}


def today() -> dt.date:
    from shared.settings import today as local_today

    return local_today()


def entry(**overrides: Any) -> dict[str, Any]:
    return {"kind": "positive", "category": "honour", "title": "先进个人", "points": 3,
            "effective_date": (today() - dt.timedelta(days=10)).isoformat(), "basis": BASIS, **overrides}


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def register(system: System, name: str = "张伟") -> str:
    r = await system.client.post("/api/v1/cadres", json={"name": name, "unit_id": system.unit_id},
                                 headers={**system.auth(), **key()})
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def record(system: System, cadre_id: str, **overrides: Any) -> dict[str, Any]:
    r = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(**overrides),
                                 headers={**system.auth(), **key()})
    assert r.status_code == 201, r.text
    return r.json()


async def score(system: System, cadre_id: str, **params: str) -> dict[str, Any]:
    r = await system.client.get(f"/api/v1/cadres/{cadre_id}/score", params=params, headers=system.auth())
    assert r.status_code == 200, r.text
    return r.json()


async def score_when(system: System, cadre_id: str, total: float, timeout_s: float = 20, **params: str
                     ) -> dict[str, Any]:
    """Scoring is eventually consistent: poll until it shows ``total``."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        body = await score(system, cadre_id, **params)
        if body["total"] == total:
            return body
        assert asyncio.get_running_loop().time() < deadline, f"total stayed {body['total']}, expected {total}"
        await asyncio.sleep(0.05)


async def event_count(system: System, cadre_id: str) -> int:
    r = await system.client.get(f"/api/v1/cadres/{cadre_id}/events", headers=system.auth())
    assert r.status_code == 200, r.text
    return len(r.json()["events"])


def assert_problem(r: httpx.Response, status: int, field: str | None = None, rule: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["type"].startswith("urn:shiji:problem:") and body["title"]
    assert body.get("instance", r.request.url.path) == r.request.url.path  # the public path, never an internal one
    if field is not None:
        assert any(e["field"] == field and (rule is None or e["rule"] == rule) for e in body["errors"]), body
    return body


async def test_an_entry_recorded_through_the_gateway_is_scored(system: System) -> None:
    cadre_id = await register(system)
    await record(system, cadre_id, points=3)
    await record(system, cadre_id, kind="negative", category="work_style", title="通报批评", points=-1.5)
    await record(system, cadre_id, kind="achievement", category="key_project", points=2)
    await record(system, cadre_id, effective_date=(today() - dt.timedelta(days=3 * 366)).isoformat(), points=9)
    # Twenty days ago the three recent entries had not happened; the old one counted.
    await score_when(system, cadre_id, 9, as_of=(today() - dt.timedelta(days=20)).isoformat())
    body = await score_when(system, cadre_id, 3.5)
    assert body["positive"] == 5 and body["negative"] == -1.5 and body["entries"] == 3
    assert body["as_of"] == today().isoformat() and body["window_end"] == today().isoformat()
    assert sum(q["total"] for q in body["quarters"]) == 3.5
    # Before any of them, nothing counted.
    assert (await score(system, cadre_id, as_of=(today() - dt.timedelta(days=1099)).isoformat()))["total"] == 0


async def test_history_is_kept_oldest_first_with_actor_and_revocation(system: System) -> None:
    cadre_id = await register(system)
    entry_id = (await record(system, cadre_id, points=4))["entry_id"]
    await score_when(system, cadre_id, 4)
    before_revocation = dt.datetime.now(dt.UTC).isoformat()
    r = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries/{entry_id}/revocation",
                                 json={"reason": "申诉成立"}, headers={**system.auth(subject="clerk-9"), **key()})
    assert r.status_code == 201, r.text
    await score_when(system, cadre_id, 0)
    # What the system said before the revocation stays reproducible.
    assert (await score(system, cadre_id, known_at=before_revocation))["total"] == 4
    r = await system.client.get(f"/api/v1/cadres/{cadre_id}/events", headers=system.auth())
    events = r.json()["events"]
    assert [e["type"] for e in events] == ["cadre_registered", "entry_recorded", "entry_revoked"]
    assert [e["version"] for e in events] == [1, 2, 3]
    assert events[2]["actor"] == "clerk-9" and events[2]["actor_role"] == "clerk"
    assert events[1]["data"]["basis"] == BASIS
    assert r.headers["etag"] == '"3"'
    # Revoking twice is a conflict, and records nothing.
    r = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries/{entry_id}/revocation",
                                 json={"reason": "again"}, headers={**system.auth(), **key()})
    assert_problem(r, 409)
    assert await event_count(system, cadre_id) == 3


async def test_the_same_idempotency_key_returns_the_first_answer_and_records_nothing(system: System) -> None:
    cadre_id = await register(system)
    headers = {**system.auth(), **key()}
    first = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(), headers=headers)
    again = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers.get("idempotent-replayed") == "true"
    assert await event_count(system, cadre_id) == 2
    other = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(points=5), headers=headers)
    assert_problem(other, 422, "Idempotency-Key", "same_request_same_key")
    assert await event_count(system, cadre_id) == 2


async def test_concurrent_retries_with_one_key_record_once(system: System) -> None:
    cadre_id = await register(system)
    headers = {**system.auth(), **key()}
    answers = await asyncio.gather(*(system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(),
                                                        headers=headers) for _ in range(8)))
    assert {r.status_code for r in answers} == {201}
    assert len({r.json()["entry_id"] for r in answers}) == 1
    assert await event_count(system, cadre_id) == 2


@pytest.mark.parametrize(("body", "field", "rule"), [
    (entry(points=-3), "points", "value_error"),
    (entry(kind="negative", points=2), "points", "value_error"),
    (entry(points="lots"), "points", "decimal_parsing"),
    (entry(points=1e300), "points", None),
    (entry(points=1.234), "points", "decimal_max_places"),
    (entry(basis={"reason": "r"}), "basis.document", "missing"),
    (entry(basis=None), "basis", None),
    (entry(title=""), "title", "string_too_short"),
    (entry(effective_date="2025-02-30"), "effective_date", None),
    (entry(effective_date="1900-01-01"), "effective_date", "value_error"),
    (entry(kind="bonus"), "kind", "enum"),
    (entry(entry_id="forged"), "entry_id", "extra_forbidden"),
    (entry(actor="someone-else"), "actor", "extra_forbidden"),
    (entry(points=10**400), "points", None),
    (entry(points=True), "points", "decimal_type"),
    (entry(title=5), "title", "string_type"),
    (entry(kind=None), "kind", "enum"),
    (entry(basis=["r", "d"]), "basis", None),
    (entry(effective_date=20260101), "effective_date", None),
    (entry(effective_date="0000-01-01"), "effective_date", None),
    (entry(effective_date="10000-01-01"), "effective_date", None),
    (entry(title="先进\u0000个人"), "title", "value_error"),  # PostgreSQL cannot store it: this was a 500
    (entry(category="a\u0007b"), "category", "value_error"),
    (entry(basis={"reason": "r\u001b[31m", "document": "d"}), "basis", "value_error"),
])
async def test_bad_input_is_a_problem_naming_the_field_and_records_nothing(
        system: System, body: dict, field: str, rule: str | None) -> None:
    cadre_id = await register(system)
    r = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=body, headers={**system.auth(), **key()})
    assert_problem(r, 422, field, rule)
    assert await event_count(system, cadre_id) == 1


async def test_an_entry_dated_after_today_is_refused(system: System) -> None:
    cadre_id = await register(system)
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    r = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(effective_date=tomorrow),
                                 headers={**system.auth(), **key()})
    assert_problem(r, 422, "effective_date", "not_in_future")
    assert await event_count(system, cadre_id) == 1


def raw_entry(**raw_values: str) -> bytes:
    """An entry body with some values written as raw JSON text (what json.dumps cannot produce)."""
    values = {k: json.dumps(v) for k, v in entry().items()} | raw_values
    return ("{" + ", ".join(f'"{k}": {v}' for k, v in values.items()) + "}").encode()


@pytest.mark.parametrize(("raw", "status"), [
    (b"{not json", 422),
    (b"", 422),
    (b"[1, 2]", 422),
    (b'{"kind": "positive", "points": 1\x00}', 422),
    (raw_entry(points="1e400"), 422),
    (raw_entry(points="NaN"), 422),
    (raw_entry(title='"\\ud800"'), 422),  # a lone surrogate: no string of any encoding
    (b'{"kind": "\xff\xfe"}', 400),  # not UTF-8
    (b'{"kind": ' + b"[" * 20_000 + b"]" * 20_000 + b"}", 400),  # deeper than the parser goes
])
async def test_malformed_bodies_are_problems(system: System, raw: bytes, status: int) -> None:
    cadre_id = await register(system)
    r = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", content=raw,
                                 headers={**system.auth(), **key(), "Content-Type": "application/json"})
    assert_problem(r, status)
    assert await event_count(system, cadre_id) == 1


@pytest.mark.parametrize(("path", "body", "field", "rule"), [
    ("/api/v1/cadres", {"name": "张伟", "unit_id": "u-1", "id": "chosen"}, "id", "extra_forbidden"),
    ("/api/v1/cadres", {"name": "张\u0000伟", "unit_id": "u-1"}, "name", "value_error"),
    ("/api/v1/cadres", {"name": 7, "unit_id": "u-1"}, "name", "string_type"),
    ("/api/v1/cadres", {"name": "张伟", "unit_id": "u 1"}, "unit_id", "string_pattern_mismatch"),
    ("/api/v1/cadres", {"unit_id": "u-1"}, "name", "missing"),
    ("{revocation}", {"reason": "申诉成立", "undo": True}, "undo", "extra_forbidden"),
    ("{revocation}", {"reason": "申诉\u0000成立"}, "reason", "value_error"),
    ("{revocation}", {"reason": ""}, "reason", "string_too_short"),
    ("{revocation}", {"reason": "理" * 2001}, "reason", "string_too_long"),
    ("{revocation}", {"reason": ["申诉成立"]}, "reason", "string_type"),
])
async def test_bad_input_on_the_other_writes_records_nothing(system: System, path: str, body: dict, field: str,
                                                             rule: str) -> None:
    cadre_id = await register(system)
    entry_id = (await record(system, cadre_id))["entry_id"]
    path = path.replace("{revocation}", f"/api/v1/cadres/{cadre_id}/entries/{entry_id}/revocation")
    assert_problem(await system.client.post(path, json=body, headers={**system.auth(), **key()}), 422, field, rule)
    assert await event_count(system, cadre_id) == 2
    # The service keeps serving: the same write with a good body goes through.
    good = {"name": "张伟", "unit_id": system.unit_id} if path == "/api/v1/cadres" else {"reason": "申诉成立"}
    assert (await system.client.post(path, json=good, headers={**system.auth(), **key()})).status_code == 201


async def test_a_body_over_the_size_limit_is_refused_unread(system: System) -> None:
    cadre_id = await register(system)
    huge = entry(title="长" * 30_000)  # 90 KB of UTF-8, over the 64 KiB ceiling
    r = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=huge, headers={**system.auth(), **key()})
    assert_problem(r, 413)

    async def chunked():  # no Content-Length: counted as it arrives
        for _ in range(100):
            yield b" " * 1024
    r = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", content=chunked(),
                                 headers={**system.auth(), **key(), "Content-Type": "application/json"})
    assert_problem(r, 413)
    assert await event_count(system, cadre_id) == 1
    await record(system, cadre_id)  # and it keeps serving


@pytest.mark.parametrize(("params", "field"), [
    ({"known_at": "9999-12-31T23:59:59-14:00"}, "known_at"),  # overflowed on conversion to UTC: was a 500
    ({"known_at": "0001-01-01T00:00:00+14:00"}, "known_at"),
    ({"known_at": "yesterday"}, "known_at"),
    ({"as_of": "0000-01-01"}, "as_of"),
    ({"as_of": "2026-01-01\u0000"}, "as_of"),
])
async def test_score_parameters_out_of_range_are_problems(system: System, params: dict, field: str) -> None:
    cadre_id = await register(system)
    r = await system.client.get(f"/api/v1/cadres/{cadre_id}/score", params=params, headers=system.auth())
    assert_problem(r, 422, field)


async def test_a_post_without_idempotency_key_is_refused(system: System) -> None:
    cadre_id = await register(system)
    r = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(), headers=system.auth())
    assert_problem(r, 422, "Idempotency-Key", "missing")


async def test_unknown_cadres_are_not_found_and_nothing_is_recorded(system: System) -> None:
    nobody = str(uuid.uuid4())
    r = await system.client.post(f"/api/v1/cadres/{nobody}/entries", json=entry(), headers={**system.auth(), **key()})
    assert_problem(r, 404)
    assert_problem(await system.client.get(f"/api/v1/cadres/{nobody}/score", headers=system.auth()), 404)
    assert_problem(await system.client.get(f"/api/v1/cadres/{nobody}/events", headers=system.auth()), 404)
    assert_problem(await system.client.get("/api/v1/cadres/not-a-uuid/score", headers=system.auth()), 422, "cadre_id")


async def test_a_stale_if_match_is_refused(system: System) -> None:
    cadre_id = await register(system)
    ok = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(),
                                  headers={**system.auth(), **key(), "If-Match": '"1"'})
    assert ok.status_code == 201 and ok.headers["etag"] == '"2"'
    stale = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(),
                                     headers={**system.auth(), **key(), "If-Match": '"1"'})
    assert_problem(stale, 412)
    assert await event_count(system, cadre_id) == 2


@pytest.mark.parametrize("authorization", [None, "Bearer nonsense", "Basic dXNlcjpwYXNz",
                                           "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwicm9sZSI6ImNsZXJrIn0."])
async def test_every_endpoint_wants_a_valid_token(system: System, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    r = await system.client.post("/api/v1/cadres", json={"name": "x", "unit_id": "u"}, headers={**headers, **key()})
    assert_problem(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert_problem(await system.client.get(f"/api/v1/cadres/{uuid.uuid4()}/score", headers=headers), 401)


async def test_score_query_parameters_are_validated(system: System) -> None:
    cadre_id = await register(system)
    bad = await system.client.get(f"/api/v1/cadres/{cadre_id}/score", params={"as_of": "2026-13-01"},
                                  headers=system.auth())
    assert_problem(bad, 422, "as_of")
    far = await system.client.get(f"/api/v1/cadres/{cadre_id}/score", params={"as_of": "1800-01-01"},
                                  headers=system.auth())
    assert_problem(far, 422, "as_of", "date_range")


async def test_openapi_and_health(system: System) -> None:
    spec = (await system.client.get("/openapi.json")).json()
    operations = [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()
                  if path.startswith("/api/v1")]
    assert len(operations) == PUBLIC_OPERATIONS  # what they are: tests/support/operations.py
    for path, method, op in operations:
        assert op.get("security"), f"{method.upper()} {path} does not require authentication"
    assert (await system.client.get("/docs")).status_code == 200
    assert (await system.client.get("/healthz")).json() == {"status": "ok"}
    ready = await system.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"dossier": "ok", "scoring": "ok"}


async def test_concurrent_writers_on_one_cadre_take_turns_and_a_stale_if_match_loses(system: System) -> None:
    cadre_id = await register(system)
    answers = await asyncio.gather(*(system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(points=1),
                                                        headers={**system.auth(), **key()}) for _ in range(12)))
    assert [r.status_code for r in answers] == [201] * 12
    assert sorted(r.json()["version"] for r in answers) == list(range(2, 14))  # one writer per version
    racers = await asyncio.gather(*(system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(points=1),
                                                       headers={**system.auth(), **key(), "If-Match": '"13"'})
                                    for _ in range(6)))
    assert sorted(r.status_code for r in racers) == [201] + [412] * 5
    assert await event_count(system, cadre_id) == 14
