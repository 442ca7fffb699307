"""The annual comprehensive assessment end to end (issue 16), in both wirings, through the gateway: the
assessment office publishes a scheme, clerks record readings and scores, scoring computes on read."""

from __future__ import annotations

import copy
from typing import Any

from shared.answers.assessments import EXAMPLE_SCHEME
from tests.e2e.conftest import System
from tests.e2e.test_assessment_consequences import CADRE_SCHEME
from tests.e2e.test_gateway import key
from tests.e2e.test_scoring_features import eventually

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
    assert first == {"scheme_id": "e2e-district", "version": 1, "position": "scheme-e2e-district:1"}
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


async def reading(system: System, unit: str, indicator: str, period: str, effective: str, **value: str) -> dict:
    return await post(system, f"/units/{unit}/assessments/{YEAR}/readings", {
        "scheme_id": "e2e-district", "indicator_id": indicator, "period": period, "effective_date": effective,
        "source": "市统计局月报", **value})


async def routine(system: System, unit: str, period: str, effective: str, score: str) -> dict:
    return await post(system, f"/units/{unit}/assessments/{YEAR}/evaluation-scores", {
        "scheme_id": "e2e-district", "component_id": "routine", "evaluation": "routine", "period": period,
        "effective_date": effective, "score": score, "source": "平时考核季度监测"})


async def results(system: System, **params: Any) -> dict[str, Any]:
    async def found() -> dict[str, Any]:  # scoring may not have applied the scheme yet on a loaded machine
        r = await system.client.get("/api/v1/assessments/e2e-district/results", params={"year": YEAR, **params},
                                    headers=system.auth())
        assert r.status_code == 200, r.text
        return r.json()
    return await eventually(found)


async def subject(system: System, subject_id: str, **params: Any) -> dict[str, Any]:
    r = await system.client.get(f"/api/v1/assessments/e2e-district/subjects/{subject_id}",
                                params={"year": YEAR, **params}, headers=system.auth())
    assert r.status_code == 200, r.text
    return r.json()


async def test_results_computed_on_read_equal_the_figures_worked_by_hand(system: System) -> None:
    for n, (unit, unit_class) in enumerate(UNITS.items()):
        await post(system, "/units", {"unit_id": unit, "name": f"考评单位{n}", "parent_id": "e2e-county",
                                      "level": "unit", "unit_class": unit_class})
    await reading(system, "as-u1", "gdp", "2025-06", "2025-06-30", value="90")
    await reading(system, "as-u1", "poverty", "2025", "2025-03-31", level="fairly_good")
    await routine(system, "as-u1", "2025-Q1", "2025-03-31", "90")
    await routine(system, "as-u1", "2025-Q2", "2025-06-30", "80")
    before_november = (await results(system))["known_at"]
    november = await reading(system, "as-u1", "gdp", "2025-11", "2025-11-30", value="110")
    await reading(system, "as-u2", "gdp", "2025-11", "2025-11-30", value="130")
    await reading(system, "as-u2", "poverty", "2025", "2025-03-31", level="good")
    await routine(system, "as-u2", "2025", "2025-12-20", "70")
    breach = await post(system, f"/units/as-u2/assessments/{YEAR}/constraint-breaches", {
        "scheme_id": "e2e-district", "indicator_id": "ecology", "effective_date": "2025-05-12",
        "note": "重大生态环境损害事故", "basis": {"reason": "省厅通报", "document": "环发〔2025〕12号"}})
    await reading(system, "as-u3", "gdp", "2025-11", "2025-11-30", value="50")

    async def year_end() -> dict[str, Any]:
        found = await results(system)
        assert {r["subject_id"]: r["composite"] for r in found["results"]} == {
            # as-u1: gdp 110 (November's stands for the year) → 110; poverty 较好 → 85;
            #   work = (110×60 + 85×40) / 100 = 100; routine = mean(90, 80) = 85
            #   composite = (100×60 + 85×40) / 100 = 94.00
            "as-u1": "94.00",
            # as-u2: gdp 130 → held at the cap 120; poverty 好 → 100; work = (120×60 + 100×40) / 100 = 112
            #   composite = (112×60 + 70×40) / 100 = 95.20
            "as-u2": "95.20",
            # as-u3: gdp 50; poverty missing (renormalised): work = 50; routine missing counts 0 (its policy)
            #   composite = (50×60 + 0×40) / 100 = 30.00
            "as-u3": "30.00",
            # e2e-unit: its one reading was revoked; work missing, routine 0: composite 0.00
            system.unit_id: "0.00",
        }, found
        return found

    found = await eventually(year_end)
    lines = {r["subject_id"]: r for r in found["results"]}
    assert [r["subject_id"] for r in found["results"]] == ["as-u2", "as-u1", "as-u3", system.unit_id]
    assert (lines["as-u2"]["rank"], lines["as-u2"]["of"], lines["as-u2"]["band"]) == (1, 4, "top")
    assert (lines["as-u2"]["calculated"], lines["as-u2"]["proposed"]) == ("merit", "fail")  # the veto
    assert (lines["as-u1"]["calculated"], lines["as-u1"]["proposed"]) == ("merit", "merit")
    assert (lines["as-u3"]["calculated"], lines["as-u3"]["proposed"]) == ("fail", "fail")
    assert found["two_ends"][0]["class_id"] == "economic_development" and "as-u2" in found["two_ends"][0]["top"]

    u1 = await subject(system, "as-u1")
    work = next(c for c in u1["components"] if c["component_id"] == "work")
    gdp = next(i for i in work["indicators"] if i["indicator_id"] == "gdp")
    assert (gdp["raw"], gdp["points"], gdp["event_ids"]) == ("110", "110", [gdp["event_ids"][0]])
    assert (work["score"], u1["exact"], u1["missing"]) == ("100", "94", [])
    # Each line carries the scheme's name beside its id, for people to read.
    named = {c["id"]: c["name"] for c in EXAMPLE_SCHEME["components"] + EXAMPLE_SCHEME["indicators"]}
    assert [(c["component_id"], c["name"]) for c in u1["components"]] == [
        (c["component_id"], named[c["component_id"]]) for c in u1["components"]]
    assert gdp["name"] == named["gdp"] and work["name"] == named["work"] != "work"
    assert november["input_id"]
    u2 = await subject(system, "as-u2")
    assert "constraint_veto_unit_fails" in [f["rule"] for f in u2["proposal"]["fired"]]
    assert {c["rule"] for c in u2["consequences"]} == {"unit_fail_rectification_report", "unit_fail_head_admonishment"}
    assert breach["input_id"]
    u3 = await subject(system, "as-u3")
    assert {(m["what"], m["policy"]) for m in u3["missing"]} == {("indicator poverty", "renormalise"),
                                                                  ("component routine", "zero")}

    # As of mid-July: June's gdp reading (90) stands; work = (90×60 + 85×40) / 100 = 88;
    # composite = (88×60 + 85×40) / 100 = 86.80. As known before November's reading was recorded: the same.
    assert (await subject(system, "as-u1", as_of="2025-07-15"))["composite"] == "86.80"
    assert (await subject(system, "as-u1", known_at=before_november))["composite"] == "86.80"


async def test_an_auditor_reads_the_results_and_writes_nothing(system: System) -> None:
    auditor = system.auth(role="auditor", subject="aud-1")
    await results(system)  # once scoring has the scheme
    r = await system.client.get("/api/v1/assessments/e2e-district/results", params={"year": YEAR}, headers=auditor)
    assert r.status_code == 200, r.text
    r = await system.client.post(f"/api/v1/units/as-u1/assessments/{YEAR}/readings", headers={**auditor, **key()},
                                 json={"scheme_id": "e2e-district", "indicator_id": "gdp", "period": "2025-12",
                                       "effective_date": "2025-12-31", "value": "1", "source": "x"})
    assert r.status_code == 403, r.text
    county = system.auth(unit="e2e-county")  # a county reads its own subjects (all of them here are its)
    r = await system.client.get("/api/v1/assessments/e2e-district/results", params={"year": YEAR}, headers=county)
    assert r.status_code == 200, r.text
    assert {line["subject_id"] for line in r.json()["results"]} >= {"as-u1", system.unit_id}
    r = await system.client.get("/api/v1/assessments/no-such-scheme/results", params={"year": YEAR},
                                headers=system.auth())
    assert r.status_code == 404, r.text


async def test_a_decision_departing_from_the_proposal_needs_its_reason_and_both_grades_are_shown(
        system: System) -> None:
    path = f"/units/as-u2/assessments/{YEAR}/decision"
    decision = {"scheme_id": "e2e-district", "subject_kind": "unit", "grade": "pass", "calculated": "merit",
                "proposed": "fail"}
    refused = await post(system, path, decision, 422)
    assert [(e["field"], e["rule"]) for e in refused["errors"]] == [("departures", "departure_has_reason")]
    not_a_grade = await system.client.post(f"/api/v1{path}", json={**decision, "grade": "excellent"},
                                           headers={**system.auth(), **key()})
    assert not_a_grade.status_code == 422, not_a_grade.text
    written = await post(system, path, {**decision, "departures": [
        {"rule": "proposal", "reason": "事故经复核不属重大事故"},
        {"rule": "constraint_veto_unit_fails", "reason": "省厅通报已撤回"}]})
    assert (written["year"], written["grade"]) == (YEAR, "pass")

    async def decided() -> dict[str, Any]:
        u2 = await subject(system, "as-u2")
        assert u2["decided"] is not None and u2["decided"]["grade"] == "pass", u2["decided"]
        return u2

    u2 = await eventually(decided)
    assert (u2["proposal"]["calculated"], u2["proposal"]["proposed"]) == ("merit", "fail")
    line = next(r for r in (await results(system))["results"] if r["subject_id"] == "as-u2")
    assert (line["calculated"], line["proposed"], line["decided"]["grade"]) == ("merit", "fail", "pass")


async def test_a_cadre_s_decided_grade_is_the_annual_grade_with_its_constraints(system: System) -> None:
    await post(system, "/assessments", {"scheme": {**CADRE_SCHEME, "id": "e2e-cadres"}})
    cadre = (await post(system, "/cadres", {"name": "考评对象", "unit_id": "as-u1"}))["id"]
    base = f"/cadres/{cadre}/assessments/{YEAR}"
    await post(system, f"{base}/appraisal-level", {"level": "poor"})
    decision = {"scheme_id": "e2e-cadres", "grade": "excellent", "calculated": "excellent", "proposed": "excellent"}
    refused = await post(system, f"{base}/decision", decision, 422)  # 差 caps the grade: the same rule as ever
    assert refused["rule"] == "poor_appraisal_caps_grade_below_competent"
    await post(system, f"{base}/decision", {**decision, "grade": "basically_competent", "departures": [
        {"rule": "proposal", "reason": "实绩鉴定为差"}]})
    r = await system.client.get(f"/api/v1/cadres/{cadre}/events", headers=system.auth())
    assert [e["type"] for e in r.json()["events"]][-2:] == ["assessment_grade_decided", "annual_grade_recorded"]
