"""Issue 21: what-if (of a rule set and, issue 16, of an assessment scheme) and the daily refresh take no
Idempotency-Key (they record nothing new); every other
POST that writes still refuses a request without one.

What-if is a read computed with POST. The daily refresh is idempotent for a date by its nature: it raises
only the warnings not already active, clears only the active ones that no longer hold, and publishes only
the totals that differ from the last published (services/scoring/evaluation.py ``Evaluator.refresh``), so
running it again records and publishes nothing; the second run below proves it on both wirings."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx

from services.gateway.auth import TokenVerifier, issue_token
from services.gateway.bootstrap import build_app
from services.gateway.docs import REQUEST_EXAMPLES
from services.gateway.settings import GatewaySettings
from shared.commands import OPERATIONS
from tests.e2e.conftest import System
from tests.e2e.test_gateway import assert_problem, entry, key, register, today
from tests.e2e.test_scoring_features import eventually
from tests.support.keys import private_key, public_pem, service_signer

EXEMPT = {("post", "/api/v1/what-if"), ("post", "/api/v1/jobs/daily-refresh"), ("post", "/api/v1/teams/what-if"),
          ("post", "/api/v1/assessments/{scheme_id}/what-if")}  # the scheme's what-if (issue 16) is a read too
# The bulk import never took the header: each row's row_key is its idempotency key (README, bulk import).
ROW_KEYED = {("post", "/api/v1/imports")}
PROPOSAL = {"id": "stricter", "version": 1, "effective_from": "2027-01-01", "window_years": 3,
            "category_weights": {"honour": 1.5},
            "screening": {"mass_satisfaction_min": 95, "years_in_post_min": 3,
                          "execution_negative_categories": ["inaction"], "third_prize_bar_years": 1}}
PATH_VALUES = {"cadre_id": uuid.uuid4(), "entry_id": uuid.uuid4(), "appeal_id": uuid.uuid4(),
               "achievement_id": uuid.uuid4(), "post_id": uuid.uuid4(), "year": 2025, "period": "2025-Q4",
               "unit_id": "city", "declaration": "relatives", "input_id": uuid.uuid4(), "notice_id": uuid.uuid4(),
               "result_id": uuid.uuid4()}


def header_of(operation: dict[str, Any]) -> dict[str, Any] | None:
    return next((p for p in operation.get("parameters", []) if p["in"] == "header" and p["name"] == "Idempotency-Key"),
                None)


def test_the_openapi_asks_the_key_of_every_post_but_what_if_and_the_daily_refresh() -> None:
    spec = build_app(GatewaySettings(), verifier=TokenVerifier(public_pem()), signer=service_signer()).openapi()
    posts = {(method, path): op for path, item in spec["paths"].items() for method, op in item.items()
             if method == "post"}
    assert EXEMPT | ROW_KEYED <= set(posts)
    for (method, path), op in posts.items():
        if (method, path) in EXEMPT:
            assert header_of(op) is None, path
            assert "no Idempotency-Key" in op["description"], path
        elif (method, path) not in ROW_KEYED:
            assert (header_of(op) or {}).get("required") is True, f"{path} must demand an Idempotency-Key"
    assert len(posts) - len(EXEMPT | ROW_KEYED) == len(OPERATIONS)


async def test_every_write_without_the_key_is_refused_before_it_reaches_a_service() -> None:
    forwarded: list[str] = []

    def service(request: httpx.Request) -> httpx.Response:
        forwarded.append(request.url.path)
        return httpx.Response(500)

    app = build_app(GatewaySettings(), verifier=TokenVerifier(public_pem()), signer=service_signer(),
                    dossier_transport=httpx.MockTransport(service), scoring_transport=httpx.MockTransport(service))
    token = issue_token(private_key(), subject="clerk-1", role="clerk", unit="city")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway",
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        for op in OPERATIONS:
            path = "/api/v1" + op.path.format(**PATH_VALUES)
            assert_problem(await client.post(path, json=REQUEST_EXAMPLES[op.name]), 422, "Idempotency-Key", "missing")
    assert forwarded == []


async def test_what_if_and_the_daily_refresh_answer_without_the_key(system: System) -> None:
    cadre_id = await register(system, "赵敏")
    r = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", headers={**system.auth(), **key()},
                                 json=entry(kind="negative", category="work_style", title="通报批评", points=-2,
                                            effective_date=(today() - dt.timedelta(days=30)).isoformat()))
    assert r.status_code == 201, r.text

    async def scored() -> None:
        r = await system.client.get(f"/api/v1/cadres/{cadre_id}/score", headers=system.auth())
        assert r.status_code == 200 and r.json()["total"] == -2, r.text

    await eventually(scored)
    what_if = await system.client.post("/api/v1/what-if", params={"unit": system.unit_id}, json=PROPOSAL,
                                       headers=system.auth())
    assert what_if.status_code == 200, what_if.text
    assert what_if.json()["proposed_rule_set"] == "stricter@1"

    admin = system.auth(role="system_admin", subject="sysadmin-1")
    warnings_before = None
    for run in range(2):
        r = await system.client.post("/api/v1/jobs/daily-refresh", headers=admin)
        assert r.status_code == 200, r.text
        listed = await system.client.get("/api/v1/warnings", params={"cadre_id": cadre_id, "status": "all"},
                                         headers=system.auth())
        assert listed.status_code == 200, listed.text
        if run == 1:  # the same date again: nothing raised, cleared or published, the warnings as they were
            assert {k: r.json()[k] for k in ("raised", "cleared", "totals_published")} == \
                {"raised": 0, "cleared": 0, "totals_published": 0}, r.text
            assert listed.json() == warnings_before
        warnings_before = listed.json()
    assert [w["key"] for w in warnings_before["warnings"]] == ["rolling_total_negative"]

    # Any other POST still refuses a request without the key, and records nothing.
    refused = await system.client.post("/api/v1/cadres", json={"name": "无键", "unit_id": system.unit_id},
                                       headers=system.auth())
    assert_problem(refused, 422, "Idempotency-Key", "missing")
