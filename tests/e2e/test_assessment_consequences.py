"""The assessment's consequences acted on, its what-if and its reads by jurisdiction (issue 16, steps 5 and 7),
in both wirings, through the gateway: a decided grade raises warnings and consequences once, a later decision
withdraws them, a rectification report is owed until filed, a team graded 一般 bars its head's promotion."""

from __future__ import annotations

import copy
from typing import Any

from shared.answers.assessments import EXAMPLE_SCHEME
from tests.e2e.conftest import System
from tests.e2e.test_gateway import key
from tests.e2e.test_scoring_features import eventually

YEAR = 2025
SCHEME = "cq-district"
# Illustrative weights and thresholds (no source gives them). Work is renormalised away when not read.
CADRE_SCHEME = {
    "id": "cq-cadres", "version": 1, "effective_from": "2025-01-01", "reason": "干部年度考评（示例：权重为示意）",
    "document": "市综合考评办〔2025〕2号", "subject_kind": "cadre",
    "classes": [{"id": "economic_development", "name": "经济发展类"}],
    "components": [{"id": "work", "name": "工作实绩", "source": "indicators", "missing": "renormalise",
                    "weights": {"economic_development": "50"}},
                   {"id": "superior", "name": "上级评价", "source": "score", "missing": "zero",
                    "weights": {"economic_development": "50"}}],
    "indicators": [{"id": "key_tasks", "name": "重点任务", "component": "work", "kind": "level",
                    "weights": {"economic_development": "100"},
                    "scoring": {"function": "level_map", "scale": ["good", "fairly_good", "average", "poor"],
                                "points": {"good": "100", "fairly_good": "85", "average": "70", "poor": "50"}}}],
    "grade_thresholds": [{"grade": "excellent", "at_least": "90"}, {"grade": "competent", "at_least": "70"},
                         {"grade": "basically_competent", "at_least": "60"}],
}
TEAM_SCHEME = {**CADRE_SCHEME, "id": "cq-teams", "subject_kind": "team", "document": "市综合考评办〔2025〕3号",
               "grade_thresholds": [{"grade": "excellent", "at_least": "90"}, {"grade": "good", "at_least": "75"},
                                    {"grade": "average", "at_least": "60"}]}


def unit_scheme() -> dict[str, Any]:
    doc = copy.deepcopy(EXAMPLE_SCHEME)
    doc["id"] = SCHEME
    return doc


async def post(system: System, path: str, body: dict[str, Any], status: int = 201, **auth: str) -> dict[str, Any]:
    r = await system.client.post(f"/api/v1{path}", json=body, headers={**system.auth(**auth), **key()})
    assert r.status_code == status, r.text
    return r.json()


async def get(system: System, path: str, expect: int = 200, auth: dict[str, str] | None = None,
              **params: Any) -> dict[str, Any]:
    r = await system.client.get(f"/api/v1{path}", params=params, headers=auth or system.auth())
    assert r.status_code == expect, r.text
    return r.json()


async def unit_with_head(system: System, unit: str, parent: str = "e2e-county") -> str:
    await post(system, "/units", {"unit_id": unit, "name": f"单位{unit}", "parent_id": parent, "level": "unit",
                                  "unit_class": "economic_development"})
    head = (await post(system, "/cadres", {"name": f"{unit}负责人", "unit_id": unit}))["id"]
    await post(system, f"/cadres/{head}/posts", {"unit_id": unit, "position": "局长", "rank": "正处级",
                                                 "leadership": "chief", "start_date": "2020-01-01"})
    return head


async def decide(system: System, unit: str, year: int, grade: str, kind: str = "unit", scheme: str = SCHEME,
                 **more: Any) -> dict[str, Any]:
    return await post(system, f"/units/{unit}/assessments/{year}/decision",
                      {"scheme_id": scheme, "subject_kind": kind, "grade": grade, **more})


async def consequences(system: System, status: str = "all", auth: dict[str, str] | None = None,
                       year: int = YEAR) -> list[dict[str, Any]]:
    return (await get(system, f"/assessments/{SCHEME}/consequences", auth=auth, year=year,
                      status=status))["consequences"]


async def active_warnings(system: System, cadre: str) -> list[dict[str, Any]]:
    return (await get(system, "/warnings", cadre_id=cadre, status="all"))["warnings"]


async def test_a_unit_graded_fail_owes_a_report_and_its_head_is_warned_once(system: System) -> None:
    await post(system, "/assessments", {"scheme": unit_scheme()})
    head1, head2 = await unit_with_head(system, "cq-u1"), await unit_with_head(system, "cq-u2")
    await post(system, f"/units/cq-u1/assessments/{YEAR}/readings", {
        "scheme_id": SCHEME, "indicator_id": "gdp", "period": "2025-11", "effective_date": "2025-11-30",
        "value": "40", "source": "市统计局月报"})
    await decide(system, "cq-u1", YEAR, "fail")
    await decide(system, "cq-u2", YEAR, "pass")  # does not fire

    async def acted() -> list[dict[str, Any]]:
        found = await consequences(system)
        assert {(c["subject_id"], c["rule"]) for c in found} == {
            ("cq-u1", "unit_fail_rectification_report"), ("cq-u1", "unit_fail_head_admonishment")}, found
        return found

    found = {c["rule"]: c for c in await eventually(acted)}
    report, talk = found["unit_fail_rectification_report"], found["unit_fail_head_admonishment"]
    assert (report["owed"], report["bearer_id"], report["grade"], report["status"]) == (True, "cq-u1", "fail", "active")
    assert report["composite"] is not None  # the calculated composite as of the year's end, beside the grade
    assert (talk["bearer_id"], talk["warning_kind"], talk["owed"]) == (head1, "assessment_admonishment_talk", False)
    warned = await eventually(lambda: _one_warning(system, head1, "assessment_admonishment_talk"))
    assert warned["level"] == "red" and warned["cleared_on"] is None
    assert [w for w in await active_warnings(system, head2) if w["kind"].startswith("assessment_")] == []

    # owed until filed; filed once; nothing is owed by a unit that passed
    assert [c["subject_id"] for c in await consequences(system, "owed")] == ["cq-u1"]
    report_body = {"scheme_id": SCHEME, "report": {"reason": "整改到位", "document": "整改〔2026〕1号"}}
    refused = await post(system, f"/units/cq-u2/assessments/{YEAR}/rectification-report", report_body, 422)
    assert [(e["field"], e["rule"]) for e in refused["errors"]] == [("scheme_id", "rectification_owed")]
    filed = await post(system, f"/units/cq-u1/assessments/{YEAR}/rectification-report", report_body)
    assert (filed["unit_id"], filed["year"], filed["scheme_id"]) == ("cq-u1", YEAR, SCHEME)
    again = await post(system, f"/units/cq-u1/assessments/{YEAR}/rectification-report", report_body, 409)
    assert again["rule"] == "rectification_filed_once"

    async def not_owed() -> None:
        assert await consequences(system, "owed") == []
        filed_row = next(c for c in await consequences(system) if c["rule"] == "unit_fail_rectification_report")
        assert filed_row["filed_event_id"] is not None and filed_row["status"] == "active"
    await eventually(not_owed)
    # the warning was raised once, whatever was applied since
    assert len([w for w in await active_warnings(system, head1) if w["kind"] == "assessment_admonishment_talk"]) == 1


async def _one_warning(system: System, cadre: str, kind: str) -> dict[str, Any]:
    found = [w for w in await active_warnings(system, cadre) if w["kind"] == kind]
    assert len(found) == 1, found
    return found[0]


async def test_a_later_decision_withdraws_what_it_no_longer_entails(system: System) -> None:
    head = await unit_with_head(system, "cq-u3")
    await decide(system, "cq-u3", YEAR, "fail")
    await eventually(lambda: _one_warning(system, head, "assessment_admonishment_talk"))
    await decide(system, "cq-u3", YEAR, "pass", reason="复核：事故不属重大事故")

    async def withdrawn() -> None:
        rows = [c for c in await consequences(system) if c["subject_id"] == "cq-u3"]
        assert rows and all(c["status"] == "withdrawn" for c in rows), rows
        warning = await _one_warning(system, head, "assessment_admonishment_talk")
        assert warning["cleared_on"] is not None
    await eventually(withdrawn)
    assert [c for c in await consequences(system, "owed") if c["subject_id"] == "cq-u3"] == []


async def test_two_years_failed_warns_that_the_head_s_post_is_to_be_reviewed(system: System) -> None:
    twice, once = await unit_with_head(system, "cq-u4"), await unit_with_head(system, "cq-u5")
    await decide(system, "cq-u4", YEAR - 1, "fail")
    await decide(system, "cq-u4", YEAR, "fail")
    await decide(system, "cq-u5", YEAR - 1, "pass")
    await decide(system, "cq-u5", YEAR, "fail")
    await eventually(lambda: _one_warning(system, twice, "assessment_head_post_review"))

    async def only_the_head_of_the_unit_failed_twice() -> None:
        reviews = [c for c in await consequences(system) if c["rule"] == "unit_fail_two_years_head_review"]
        assert [(c["subject_id"], c["bearer_id"]) for c in reviews] == [("cq-u4", twice)], reviews
        assert len(reviews[0]["evidence"]) >= 2  # both decisions
        await _one_warning(system, once, "assessment_admonishment_talk")  # failed once: the head is warned
    await eventually(only_the_head_of_the_unit_failed_twice)
    assert [w for w in await active_warnings(system, once) if w["kind"] == "assessment_head_post_review"] == []


async def test_a_team_graded_average_bars_its_head_from_promotion_screening(system: System) -> None:
    await post(system, "/assessments", {"scheme": TEAM_SCHEME})
    average, good = await unit_with_head(system, "cq-t1"), await unit_with_head(system, "cq-t2")
    await decide(system, "cq-t1", YEAR, "average", kind="team", scheme="cq-teams")
    await decide(system, "cq-t2", YEAR, "good", kind="team", scheme="cq-teams")

    async def screened(cadre: str) -> dict[str, Any]:
        rule = next(r for r in (await get(system, f"/cadres/{cadre}/screening", as_of=f"{YEAR + 1}-06-30"))["rules"]
                    if r["rule"] == "team_average_bars_principal_head")
        return rule

    async def barred() -> None:
        rule = await screened(average)
        assert rule["status"] == "fail", rule
        assert (await screened(good))["status"] == "pass"
    await eventually(barred)
    rows = (await get(system, "/assessments/cq-teams/consequences", year=YEAR))["consequences"]
    assert {(c["subject_id"], c["rule"], c["bearer_id"]) for c in rows} == {
        ("cq-t1", "team_average_report", "cq-t1"), ("cq-t1", "team_average_head_not_promoted", average)}


async def test_a_cadre_whose_composite_is_80_or_below_is_warned_of_a_reminder_talk(system: System) -> None:
    await post(system, "/assessments", {"scheme": CADRE_SCHEME})
    low, high = [(await post(system, "/cadres", {"name": n, "unit_id": system.unit_id}))["id"] for n in ("低分", "高分")]
    for cadre, score in ((low, "80"), (high, "80.5")):  # work not read: renormalised, the composite is the score
        await post(system, f"/cadres/{cadre}/assessments/{YEAR}/evaluation-scores", {
            "scheme_id": "cq-cadres", "component_id": "superior", "evaluation": "superior", "period": "2025",
            "effective_date": "2025-12-20", "score": score, "source": "上级评价表"})
        await post(system, f"/cadres/{cadre}/assessments/{YEAR}/decision", {"scheme_id": "cq-cadres",
                                                                             "grade": "competent"})
    warned = await eventually(lambda: _one_warning(system, low, "assessment_reminder_talk"))
    assert (warned["level"], float(warned["figure"])) == ("yellow", 80.0), warned
    assert [w for w in await active_warnings(system, high) if w["kind"] == "assessment_reminder_talk"] == []


async def test_what_an_input_or_decision_refers_to_must_exist(system: System) -> None:
    """The dossier refuses an unknown scheme, indicator or component, and a scheme of another kind of subject,
    naming the field and the rule; nothing is recorded (scoring used to list such inputs as ignored)."""
    base = f"/units/{system.unit_id}/assessments/{YEAR}"
    reading = {"scheme_id": SCHEME, "indicator_id": "gdp", "period": "2025-03", "effective_date": "2025-03-31",
               "value": "1", "source": "市统计局月报"}
    for body, path, field, rule in (
            ({**reading, "scheme_id": "no-such-scheme"}, "readings", "scheme_id", "scheme_exists"),
            ({**reading, "indicator_id": "gpd"}, "readings", "indicator_id", "indicator_in_scheme"),
            ({"scheme_id": SCHEME, "component_id": "work", "evaluation": "routine", "period": "2025-Q1",
              "effective_date": "2025-03-31", "score": "90", "source": "x"}, "evaluation-scores", "component_id",
             "component_scored_in_scheme"),
            ({"scheme_id": SCHEME, "indicator_id": "no-such", "effective_date": "2025-03-31", "note": "x",
              "basis": {"reason": "r", "document": "d"}}, "constraint-breaches", "indicator_id",
             "indicator_in_scheme"),
            ({"scheme_id": SCHEME, "subject_kind": "team", "grade": "good"}, "decision", "scheme_id",
             "scheme_assesses_the_kind")):
        refused = await post(system, f"{base}/{path}", body, 422)
        assert [(e["field"], e["rule"]) for e in refused["errors"]] == [(field, rule)], refused
    assert (await post(system, f"{base}/readings", reading))["input_id"]  # the same reading, rightly named
    cadre = (await post(system, "/cadres", {"name": "考评", "unit_id": system.unit_id}))["id"]
    refused = await post(system, f"/cadres/{cadre}/assessments/{YEAR}/decision",
                         {"scheme_id": SCHEME, "grade": "competent"}, 422)  # a unit scheme
    assert refused["rule"] == "scheme_assesses_the_kind"


async def test_a_county_reads_its_own_subjects_and_an_auditor_only_reads(system: System) -> None:
    await post(system, "/units", {"unit_id": "e2e-county2", "name": "另一区", "parent_id": "e2e-city",
                                  "level": "county", "unit_class": "district"})
    await unit_with_head(system, "cq-x1", parent="e2e-county2")
    await decide(system, "cq-x1", YEAR, "fail")
    county = system.auth(unit="e2e-county", subject="county-clerk")
    auditor = system.auth(role="auditor", subject="county-auditor", unit="e2e-county")
    city = await eventually(lambda: _sees(system, system.auth(), "cq-x1"))
    assert "cq-x1" in city and "cq-u1" in city
    for caller in (county, auditor):
        seen = {r["subject_id"] for r in (await get(system, f"/assessments/{SCHEME}/results", auth=caller,
                                                    year=YEAR))["results"]}
        assert "cq-u1" in seen and "cq-x1" not in seen, seen
        assert await get(system, f"/assessments/{SCHEME}/subjects/cq-u1", auth=caller, year=YEAR)
        hidden = await get(system, f"/assessments/{SCHEME}/subjects/cq-x1", 404, auth=caller, year=YEAR)
        assert hidden["rule"] == "object_visible"
        assert "cq-x1" not in {c["subject_id"] for c in await consequences(system, auth=caller)}
    r = await system.client.post(f"/api/v1/units/cq-u1/assessments/{YEAR}/decision", headers={**auditor, **key()},
                                 json={"scheme_id": SCHEME, "subject_kind": "unit", "grade": "pass", "reason": "x"})
    assert r.status_code == 403, r.text
    r = await system.client.post(f"/api/v1/units/cq-x1/assessments/{YEAR}/rectification-report",
                                 headers={**county, **key()}, json={"scheme_id": SCHEME, "report": {
                                     "reason": "整改", "document": "文件"}})
    assert r.status_code == 404, r.text  # outside the county: as if it did not exist


async def _sees(system: System, auth: dict[str, str], subject: str) -> set[str]:
    seen = {r["subject_id"] for r in (await get(system, f"/assessments/{SCHEME}/results", auth=auth,
                                                year=YEAR))["results"]}
    assert subject in {c["subject_id"] for c in await consequences(system, auth=auth)}
    return seen


async def test_what_if_shows_what_a_re_weighting_changes_and_records_nothing(system: System) -> None:
    proposed = unit_scheme()
    proposed.update({"version": 2, "reason": "平时考核权重测算"})
    proposed["components"][0]["weights"] = {"economic_development": "90"}
    proposed["components"][1]["weights"] = {"economic_development": "10"}
    before = await get(system, f"/assessments/{SCHEME}/results", year=YEAR)
    r = await system.client.post(f"/api/v1/assessments/{SCHEME}/what-if", params={"year": YEAR},
                                 json={"scheme": proposed}, headers=system.auth())  # no Idempotency-Key
    assert r.status_code == 200, r.text
    answer = r.json()
    assert (answer["current"], answer["proposed"]) == (f"{SCHEME}@1", f"{SCHEME}@2")
    u1 = next(c for c in answer["changes"] if c["subject_id"] == "cq-u1")
    # cq-u1: gdp 40 → 40 points; poverty missing, renormalised: work = 40; routine missing counts 0
    # now (40×60 + 0×40) / 100 = 24.00; proposed (40×90 + 0×10) / 100 = 36.00
    assert (u1["current"]["composite"], u1["proposed"]["composite"], u1["composite_delta"]) == (
        "24.00", "36.00", "12.00")
    assert "composite" in u1["changed"]
    after = await get(system, f"/assessments/{SCHEME}/results", year=YEAR)
    assert after["results"] == before["results"] and after["version"] == 1  # nothing recorded, no version 2

    county = system.auth(unit="e2e-county", subject="county-clerk")
    r = await system.client.post(f"/api/v1/assessments/{SCHEME}/what-if", params={"year": YEAR},
                                 json={"scheme": proposed}, headers=county)
    assert r.status_code == 200, r.text
    assert "cq-x1" not in {c["subject_id"] for c in r.json()["changes"]}

    bad = copy.deepcopy(proposed)
    bad["components"][0]["weights"] = {"economic_development": "70"}  # 70 + 10 is not 100
    r = await system.client.post(f"/api/v1/assessments/{SCHEME}/what-if", params={"year": YEAR},
                                 json={"scheme": bad}, headers=system.auth())
    assert r.status_code == 422, r.text
    assert "component_weights_sum" in {e["rule"] for e in r.json()["errors"]}
    assert all(e["field"].startswith("scheme.") for e in r.json()["errors"])
    auditor = system.auth(role="auditor", subject="aud-1")
    r = await system.client.post(f"/api/v1/assessments/{SCHEME}/what-if", params={"year": YEAR},
                                 json={"scheme": proposed}, headers=auditor)
    assert r.status_code == 403, r.text
