"""Screening, rankings and warnings end to end through the gateway, on both wirings."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from tests.e2e.conftest import System
from tests.e2e.test_dossier_workflows import Office, office
from tests.e2e.test_gateway import BASIS, assert_problem, key, today


async def eventually(check: Callable[[], Awaitable[Any]], timeout_s: float = 20) -> Any:
    """Scoring is eventually consistent: retry ``check`` until it stops failing."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            return await check()
        except AssertionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.1)


async def get(system: System, path: str, **params: Any) -> dict[str, Any]:
    r = await system.client.get(f"/api/v1{path}", params=params, headers=system.auth())
    assert r.status_code == 200, r.text
    return r.json()


async def complete_record(o: Office) -> None:
    """Three years of results, satisfaction, declarations: everything screening asks for."""
    for year in range(today().year - 3, today().year):
        await o.ok(f"/cadres/{o.cadre}/assessments/{year}/appraisal-level", {"level": "good"})
        await o.ok(f"/cadres/{o.cadre}/assessments/{year}/annual-grade", {"grade": "competent"})
    await o.ok(f"/cadres/{o.cadre}/assessments/{today().year - 1}/scores", {"mass_satisfaction": 92})
    await o.ok(f"/cadres/{o.cadre}/declarations/relatives", {"flagged": False, "details": "无"})
    await o.ok(f"/cadres/{o.cadre}/declarations/naked_official", {"flagged": False, "details": "无"})


async def test_screening_explains_itself(system: System) -> None:
    o = await office(system)

    async def undetermined() -> dict[str, Any]:
        s = await get(system, f"/cadres/{o.cadre}/screening")
        assert s["verdict"] == "undetermined", s
        return s

    first = await eventually(undetermined)
    unknown = {r["rule"] for r in first["rules"] if r["status"] == "unknown"}
    assert {"annual_result_below_competent", "relatives_avoidance_conflict", "naked_official"} <= unknown
    assert first["rule_set"] == "default@1"
    await complete_record(o)

    async def eligible() -> dict[str, Any]:
        s = await get(system, f"/cadres/{o.cadre}/screening")
        assert s["verdict"] == "eligible", [r for r in s["rules"] if r["status"] != "pass"]
        return s

    await eventually(eligible)
    # this year's veto: the year is not graded yet, so the veto is the only thing that changes
    veto = await o.ok(f"/cadres/{o.cadre}/assessments/{today().year}/integrity-veto", {"basis": BASIS})
    assert veto["version"]

    async def excluded() -> dict[str, Any]:
        s = await get(system, f"/cadres/{o.cadre}/screening")
        assert s["verdict"] == "ineligible", s
        return s

    s = await eventually(excluded)
    assert s["excluded_by"] == ["morality_integrity_veto"]
    veto_rule = next(r for r in s["rules"] if r["rule"] == "morality_integrity_veto")
    assert veto_rule["status"] == "fail" and veto_rule["evidence"] and veto_rule["reason_zh"] and veto_rule["reason_en"]
    # the jurisdiction's screening lists the unit's cadres with their verdicts
    unit = await get(system, "/screenings", unit=o.unit_id)
    assert o.cadre in [c["cadre_id"] for c in unit["ineligible"]]
    assert {o.boss}.issubset({c["cadre_id"] for c in unit["undetermined"]})
    assert unit["cadres"] == 2  # the boss and the cadre; the outsider belongs to another unit
    # as of a date before the veto's year, the veto does not count
    earlier = await get(system, f"/cadres/{o.cadre}/screening", as_of=f"{today().year - 5}-06-30")
    assert "morality_integrity_veto" not in earlier["excluded_by"]


async def test_rankings_within_a_class_with_the_two_ends(system: System) -> None:
    unit_class = f"class_{uuid.uuid4().hex[:6]}"
    offices = [await office(system, unit_class) for _ in range(3)]
    day = (today() - dt.timedelta(days=15)).isoformat()
    for points, o in zip((5, 9, 5), offices, strict=True):
        await o.ok(f"/cadres/{o.boss}/entries", {"kind": "positive", "category": "honour", "title": "表彰",
                                                 "points": points, "effective_date": day, "basis": BASIS})

    async def ranked() -> dict[str, Any]:
        r = await get(system, "/rankings", **{"class": unit_class, "leadership": "chief"})
        assert [x["total"] for x in r["ranking"]] == [9, 5, 5], r
        return r

    r = await eventually(ranked)
    assert [x["rank"] for x in r["ranking"]] == [1, 2, 2] and r["size"] == 3
    assert r["ranking"][0]["cadre_id"] == offices[1].boss and r["ranking"][0]["band"] == "top"
    assert r["group"] == f"class:{unit_class}:chief" and "tie" in r["tie_rule"]
    assert (await get(system, "/rankings", **{"class": unit_class, "leadership": "deputy"}))["ranking"] == []
    assert_problem(await system.client.get("/api/v1/rankings", headers=system.auth()), 422, "class", "class_or_team")


async def test_a_warning_is_raised_once_and_cleared_when_its_condition_ends(system: System) -> None:
    o = await office(system)
    recorded = await o.ok(f"/cadres/{o.cadre}/entries", {
        "kind": "negative", "category": "work_style", "title": "通报批评", "points": -2,
        "effective_date": (today() - dt.timedelta(days=200)).isoformat(), "basis": BASIS})

    async def raised() -> list[dict[str, Any]]:
        found = (await get(system, "/warnings", cadre_id=o.cadre))["warnings"]
        assert [w["key"] for w in found] == ["rolling_total_negative"], found
        return found

    [warning] = await eventually(raised)
    assert warning["level"] == "red" and warning["status"] == "active"
    for _ in range(2):  # the daily job (twice) raises nothing new
        admin = system.auth(role="system_admin", subject="sysadmin-1")
        r = await system.client.post("/api/v1/jobs/daily-refresh", headers={**admin, "Idempotency-Key": "x"})
        assert r.status_code == 200, r.text
    assert len((await get(system, "/warnings", cadre_id=o.cadre, status="all"))["warnings"]) == 1
    await o.ok(f"/cadres/{o.cadre}/entries/{recorded['entry_id']}/revocation", {"reason": "申诉成立"})

    async def cleared() -> None:
        found = (await get(system, "/warnings", cadre_id=o.cadre, status="all"))["warnings"]
        assert [(w["key"], w["status"]) for w in found] == [("rolling_total_negative", "cleared")], found

    await eventually(cleared)
    assert (await get(system, "/warnings", cadre_id=o.cadre))["warnings"] == []


async def test_score_breakdowns_by_year_and_quarter(system: System) -> None:
    o = await office(system)
    last_year = today().year - 1
    for points, day in ((3, f"{last_year}-02-01"), (2, f"{last_year}-11-30"), (1, today().isoformat())):
        await o.ok(f"/cadres/{o.cadre}/entries", {"kind": "positive", "category": "honour", "title": "表彰",
                                                  "points": points, "effective_date": day, "basis": BASIS})

    async def scored() -> dict[str, Any]:
        s = await get(system, f"/cadres/{o.cadre}/score")
        assert s["total"] == 6, s
        return s

    s = await eventually(scored)
    assert [y["period"] for y in s["years"]] == [str(last_year - 2), str(last_year - 1), str(last_year)]
    assert s["years"][-1]["total"] == 5
    assert len(s["last_12_quarters"]) == 12 and s["last_12_quarters"][-1]["total"] == 1
    assert s["last_12_quarters"][-1]["end"] == today().isoformat()
    # the 12 quarters reach back past last year's first quarter: all three entries are in them
    assert sum(q["total"] for q in s["last_12_quarters"]) == 6


async def test_a_what_if_shows_what_a_proposed_rule_set_would_change(system: System) -> None:
    o = await office(system)
    await complete_record(o)  # the cadre: eligible, mass satisfaction 92
    await o.ok(f"/cadres/{o.cadre}/entries", {"kind": "positive", "category": "honour", "title": "表彰", "points": 2,
                                              "effective_date": (today() - dt.timedelta(days=5)).isoformat(),
                                              "basis": BASIS})

    async def eligible() -> None:
        s = await get(system, f"/cadres/{o.cadre}/screening")
        assert s["verdict"] == "eligible" and (await get(system, f"/cadres/{o.cadre}/score"))["total"] == 2, s

    await eventually(eligible)
    proposal = {"id": "stricter", "version": 1, "effective_from": "2027-01-01", "window_years": 3,
                "category_weights": {"honour": 1.5},
                "screening": {"mass_satisfaction_min": 95, "years_in_post_min": 3,
                              "execution_negative_categories": ["inaction"], "third_prize_bar_years": 1}}
    r = await system.client.post("/api/v1/what-if", params={"unit": o.unit_id}, json=proposal,
                                 headers={**system.auth(), **key()})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["current_rule_set"] == "default@1" and report["proposed_rule_set"] == "stricter@1"
    assert report["cadres"] == 2
    [change] = [c for c in report["changes"] if c["cadre_id"] == o.cadre]
    assert change["total"] == {"current": 2, "proposed": 3}
    assert change["screening"]["current"]["verdict"] == "eligible"
    assert change["screening"]["proposed"]["excluded_by"] == ["mass_satisfaction_below_threshold"]
    # read-only: the live answers did not move
    assert (await get(system, f"/cadres/{o.cadre}/screening"))["verdict"] == "eligible"
    bad = await system.client.post("/api/v1/what-if", json={**proposal, "window_years": 0},
                                   headers={**system.auth(), **key()})
    assert_problem(bad, 422, "window_years")
