"""Regressions from the deep Schemathesis run (scripts/schemathesis-deep, docs/schemathesis.md): every check,
100 examples per operation, the stateful phase included."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import System
from tests.e2e.test_gateway import assert_problem, key, record, register, today
from tests.e2e.test_public_contract import spec_of


@pytest.mark.parametrize("field", ["effective_date", "points", "category"])
async def test_bug_an_amendment_giving_null_for_a_field_every_entry_has_was_a_500(system: System, field: str) -> None:
    """{"effective_date": null, "reason": ...} set the amended entry's date to None, and the rule "not after today"
    then compared None with a date: 500. Null is refused with 422 naming the field; the schema offers no null."""
    cadre_id = await register(system)
    recorded = await record(system, cadre_id)
    r = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries/{recorded['entry_id']}/amendment",
                                 json={field: None, "reason": "更正"}, headers={**system.auth(), **key()})
    assert_problem(r, 422, field)
    schema = (await spec_of(system))["components"]["schemas"]["AmendEntry"]["properties"][field]
    assert "null" not in str(schema) and "default" not in schema, schema


async def test_bug_an_import_without_a_body_was_an_empty_import(system: System) -> None:
    """The import's body (the file) is required; a request without one answered 200 with 0 rows. It is refused."""
    r = await system.client.post("/api/v1/imports", headers=system.auth())
    assert_problem(r, 422, "body", "required")
    body = (await spec_of(system))["paths"]["/api/v1/imports"]["post"]["requestBody"]
    assert body["required"] and all(c["schema"]["minLength"] == 1 for c in body["content"].values())


async def test_bug_a_time_without_seconds_was_read_although_the_schema_says_rfc_3339(system: System) -> None:
    """known_at is declared `format: date-time` (RFC 3339); 2026-01-01T08:00+08:00 (no seconds) was read all the
    same. The gateway now reads what the format and pattern say, and nothing else."""
    cadre_id = await register(system)
    for moment in ("2199-01-01T08:00+08:00", "2199-01-01 08:00:00+08:00", "2199-01-01T08:00:00+0800"):
        r = await system.client.get(f"/api/v1/cadres/{cadre_id}/dossier", params={"known_at": moment},
                                    headers=system.auth())
        assert_problem(r, 422, "known_at")
    r = await system.client.get(f"/api/v1/cadres/{cadre_id}/dossier", params={"known_at": "2199-01-01T08:00:00+08:00"},
                                headers=system.auth())
    assert r.status_code == 200, r.text


def string_pattern(schema: dict[str, Any]) -> str:
    [text] = [s for s in schema.get("anyOf", [schema]) if s.get("type") == "string"]
    return text["pattern"]


async def test_the_schema_states_the_ranges_of_dates_and_the_form_of_points(system: System) -> None:
    """Schema-valid values the API refused (422): days before 1949-10-01 or after 2199-12-31 in query dates, record
    dates before 1949-10-01, points given as text that is not a number ("" was schema-valid). The patterns say so."""
    spec = await spec_of(system)
    [as_of] = [p for p in spec["paths"]["/api/v1/cadres/{cadre_id}/score"]["get"]["parameters"] if p["name"] == "as_of"]
    [known_at] = [p for p in spec["paths"]["/api/v1/cadres/{cadre_id}/score"]["get"]["parameters"]
                  if p["name"] == "known_at"]
    day, moment = string_pattern(as_of["schema"]), string_pattern(known_at["schema"])
    for value, ok in [("1949-09-30", False), ("1949-10-01", True), ("2199-12-31", True), ("2200-01-01", False),
                      ("9426-07-12", False)]:
        assert bool(re.fullmatch(day, value)) is ok, value
        assert bool(re.fullmatch(moment, f"{value}T00:00:00Z")) is ok, value
    schemas = spec["components"]["schemas"]
    record_date = schemas["RecordEntry"]["properties"]["effective_date"]["pattern"]
    assert not re.fullmatch(record_date, "0994-06-03") and re.fullmatch(record_date, today().isoformat())
    signed = string_pattern(schemas["RecordEntry"]["properties"]["points"])
    unsigned = string_pattern(schemas["VerifyAchievement"]["properties"]["points"])
    for value, ok in [("", False), ("3", True), ("-2.5", True), ("1000", True), ("1000.5", False), ("1.234", False)]:
        assert bool(re.fullmatch(signed, value)) is ok, value
    assert re.fullmatch(unsigned, "2.5") and not re.fullmatch(unsigned, "-1")
    cadre_id = await register(system)
    r = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json={
        "kind": "positive", "category": "honour", "title": "先进个人", "points": "2.5",
        "effective_date": today().isoformat(), "basis": {"document": "文件", "reason": "表彰"}},
        headers={**system.auth(), **key()})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/categories", {"code": "k", "name": "n", "kind": "positive", "min_points": 1, "max_points": 2,
                            "sanction": 0}, "sanction"),
    ("/api/v1/cadres/{cadre_id}/declarations/relatives", {"flagged": 1, "details": "无"}, "flagged"),
])
async def test_bug_0_and_1_were_read_as_booleans(system: System, path: str, body: dict, field: str) -> None:
    """The schema says boolean; {"sanction": 0} defined a category and {"flagged": 1} recorded a declaration."""
    cadre_id = await register(system)
    r = await system.client.post(path.format(cadre_id=cadre_id), json=body, headers={**system.auth(), **key()})
    assert_problem(r, 422, field)


async def test_bug_a_unit_id_too_long_for_its_stream_was_a_500(system: System) -> None:
    """A unit's stream is "unit-" and its id: an id of up to 100 characters was taken, but the event store keeps
    stream ids of up to 64 (PostgreSQL: 500, value too long; SQLite: stored, with a position longer than the
    position pattern allows). A new unit's id has at most 59 characters (422 past that)."""
    unit = {"name": "长名单位", "parent_id": system.root_unit, "level": "unit", "unit_class": "other"}
    r = await system.client.post("/api/v1/units", json={"unit_id": "v" * 60, **unit}, headers={**system.auth(), **key()})
    assert_problem(r, 422, "unit_id")
    r = await system.client.post("/api/v1/units", json={"unit_id": "u" * 59, **unit}, headers={**system.auth(), **key()})
    assert r.status_code == 201, r.text
    pattern = (await spec_of(system))["components"]["schemas"]["UnitWritten"]["properties"]["position"]["pattern"]
    assert re.fullmatch(pattern, r.json()["position"]), r.text
