"""The annual comprehensive assessment end to end (issue 16), in both wirings, through the gateway: the
assessment office publishes a scheme, clerks record readings and scores, scoring computes on read."""

from __future__ import annotations

import copy
from typing import Any

from shared.answers.assessments import EXAMPLE_SCHEME
from tests.e2e.conftest import System
from tests.e2e.test_gateway import key

YEAR = 2025
UNITS = {"as-u1": "economic_development", "as-u2": "economic_development", "as-u3": "economic_development"}


def scheme(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(EXAMPLE_SCHEME)
    doc.update({"id": "e2e-district", **changes})
    return doc


async def post(system: System, path: str, body: dict[str, Any], status: int = 201, **auth: str) -> dict[str, Any]:
    r = await system.client.post(f"/api/v1{path}", json=body, headers={**system.auth(**auth), **key()})
    assert r.status_code == status, r.text
    return r.json()


async def test_a_clerk_of_the_top_level_unit_publishes_a_scheme(system: System) -> None:
    first = await post(system, "/assessments", {"scheme": scheme()})
    assert first == {"scheme_id": "e2e-district", "version": 1}
    # a mid-year version: the first ends the day before the second begins
    changed = scheme(version=2, effective_from="2025-07-01", reason="目标追加下达")
    refused = await post(system, "/assessments", {"scheme": changed}, 422)
    assert {(e["field"], e["rule"]) for e in refused["errors"]} == {("versions.1.effective_from", "versions_overlap")}


async def test_a_bad_scheme_is_refused_with_field_and_rule_and_nothing_recorded(system: System) -> None:
    bad = scheme(id="e2e-bad")
    bad["components"][0]["weights"] = {"economic_development": "70"}  # 70 + 40 is not 100
    bad["indicators"][0]["scoring"] = {"function": "magic"}
    body = await post(system, "/assessments", {"scheme": bad}, 422)
    assert body["rule"] == "scheme_invalid"
    assert ("scheme.indicators.0.scoring.function", "unknown_scoring_function") in {
        (e["field"], e["rule"]) for e in body["errors"]}
    fixed = scheme(id="e2e-bad")
    assert (await post(system, "/assessments", {"scheme": fixed}))["version"] == 1  # nothing was recorded before


async def test_only_a_clerk_of_a_top_level_unit_publishes(system: System) -> None:
    r = await system.client.post("/api/v1/assessments", json={"scheme": scheme(id="e2e-county-scheme")},
                                 headers={**system.auth(unit="e2e-county"), **key()})
    assert r.status_code == 403, r.text
    r = await system.client.post("/api/v1/assessments", json={"scheme": scheme(id="e2e-audit")},
                                 headers={**system.auth(role="auditor", subject="aud-1"), **key()})
    assert r.status_code == 403, r.text


async def test_readings_are_recorded_corrected_with_a_reason_and_revoked(system: System) -> None:
    base = f"/units/{system.unit_id}/assessments/{YEAR}"
    reading = {"scheme_id": "e2e-district", "indicator_id": "gdp", "period": "2025-06", "effective_date": "2025-06-30",
               "value": "95", "source": "市统计局月报"}
    first = await post(system, f"{base}/readings", reading)
    assert first["year"] == YEAR and first["input_id"]
    again = await post(system, f"{base}/readings", reading, 422)
    assert again["errors"][0]["rule"] == "correction_has_reason"
    corrected = await post(system, f"{base}/readings", {**reading, "value": "96", "reason": "统计局修正"})
    revoked = await post(system, f"{base}/inputs/{corrected['input_id']}/revocation", {"reason": "报送有误"})
    assert revoked["revoked"] is True and revoked["version"] == corrected["version"] + 1
    outside = await post(system, f"/units/{system.unit_id}/assessments/{YEAR}/readings",
                         {**reading, "period": "2024-12"}, 422)
    assert outside["errors"][0]["rule"] == "period_in_year"
    both = await system.client.post(f"/api/v1{base}/readings", json={**reading, "level": "good"},
                                    headers={**system.auth(), **key()})
    assert both.status_code == 422, both.text
