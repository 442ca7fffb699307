"""Every record type and workflow of the dossier, end to end through the gateway, on both wirings.

Each refusal is checked to be a problem naming its rule, and to record nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from services.dossier import views
from tests.e2e.conftest import System
from tests.e2e.test_gateway import BASIS, assert_problem, event_count, key, score_when, today


@dataclass
class Office:
    """A fresh unit with a chief (the boss), a member (the cadre) and an outsider in another unit."""

    system: System
    unit_id: str
    boss: str
    cadre: str
    outsider: str

    def as_(self, who: str, role: str) -> dict[str, str]:
        return self.system.auth(role=role, subject=who)

    async def post(self, path: str, body: dict[str, Any], who: str = "clerk-1", role: str = "clerk",
                   **headers: str) -> httpx.Response:
        return await self.system.client.post(f"/api/v1{path}", json=body,
                                             headers={**self.as_(who, role), **key(), **headers})

    async def ok(self, path: str, body: dict[str, Any], who: str = "clerk-1", role: str = "clerk") -> dict[str, Any]:
        r = await self.post(path, body, who, role)
        assert r.status_code == 201, r.text
        return r.json()

    async def refused(self, status: int, rule: str, path: str, body: dict[str, Any], who: str = "clerk-1",
                      role: str = "clerk") -> None:
        before = await event_count(self.system, self.cadre)
        problem = assert_problem(await self.post(path, body, who, role), status)
        assert problem["rule"] == rule, problem
        assert await event_count(self.system, self.cadre) == before

    async def dossier(self, who: str = "clerk-1", role: str = "clerk", **params: str) -> dict[str, Any]:
        r = await self.system.client.get(f"/api/v1/cadres/{self.cadre}/dossier", params=params,
                                         headers=self.as_(who, role))
        assert r.status_code == 200, r.text
        return r.json()


async def office(system: System, unit_class: str = "law_enforcement") -> Office:
    unit_id = f"u-{uuid.uuid4().hex[:8]}"
    clerk = system.auth()
    r = await system.client.post("/api/v1/units", headers={**clerk, **key()}, json={
        "unit_id": unit_id, "name": "测试科", "parent_id": "e2e-county", "level": "unit", "unit_class": unit_class})
    assert r.status_code == 201, r.text
    ids = []
    for name, unit, leadership in (("局长", unit_id, "chief"), ("科员", unit_id, "member"),
                                   ("外单位", system.unit_id, "member")):
        r = await system.client.post("/api/v1/cadres", json={"name": name, "unit_id": unit}, headers={**clerk, **key()})
        cadre_id = r.json()["id"]
        r = await system.client.post(f"/api/v1/cadres/{cadre_id}/posts", headers={**clerk, **key()}, json={
            "unit_id": unit, "position": name, "rank": "科级", "leadership": leadership, "start_date": "2020-01-01"})
        assert r.status_code == 201, r.text
        ids.append(cadre_id)
    return Office(system, unit_id, *ids)


REPORT = {"key_work": "完成港口改造", "indicator_progress": "GDP指标完成80%", "most_satisfied": "项目推进",
          "least_satisfied": "调研不足"}


def last_quarter() -> str:
    d = today()
    q = (d.month - 1) // 3  # the previous quarter, 1..4, or 0 for Q4 of last year
    return f"{d.year}-Q{q}" if q else f"{d.year - 1}-Q4"


async def test_quarterly_report_workflow(system: System) -> None:
    o = await office(system)
    period = last_quarter()
    base = f"/cadres/{o.cadre}/quarterly-reports/{period}"
    await o.ok(f"{base}/draft", REPORT, o.cadre, "cadre")
    await o.refused(409, "report_submitted", f"{base}/endorsement", {}, o.boss, "leader")  # endorse a draft
    await o.refused(403, "role_permission", f"{base}/submission", {}, o.boss, "leader")
    await o.ok(f"{base}/submission", {}, o.cadre, "cadre")
    await o.refused(404, "object_visible", f"{base}/endorsement", {}, o.outsider, "leader")
    await o.refused(403, "role_permission", f"{base}/endorsement", {}, o.cadre, "leader")  # one's own report
    await o.ok(f"{base}/return", {"comment": "请补充指标数据"}, o.boss, "leader")
    await o.ok(f"{base}/draft", {**REPORT, "indicator_progress": "GDP指标完成85%"}, o.cadre, "cadre")
    await o.ok(f"{base}/submission", {}, o.cadre, "cadre")
    await o.ok(f"{base}/endorsement", {"comment": "同意"}, o.boss, "leader")
    await o.refused(409, "report_submitted", f"{base}/endorsement", {}, o.boss, "leader")  # endorse twice
    await o.refused(409, "report_editable", f"{base}/draft", REPORT, o.cadre, "cadre")  # filed: immutable
    [report] = (await o.dossier())["quarterly_reports"]
    assert report["status"] == "filed" and report["indicator_progress"] == "GDP指标完成85%"
    assert [h["event"] for h in report["history"]] == [
        "quarterly_report_saved", "quarterly_report_submitted", "quarterly_report_returned",
        "quarterly_report_saved", "quarterly_report_submitted", "quarterly_report_endorsed"]
    assert period not in (await o.dossier())["missing_quarterly_reports"]


async def test_a_verified_achievement_counts_and_a_rejected_one_does_not(system: System) -> None:
    o = await office(system)
    day = (today() - dt.timedelta(days=20)).isoformat()
    claim = {"title": "港口改造", "description": "提前两个月完成", "effective_date": day}
    kept = (await o.ok(f"/cadres/{o.cadre}/achievements", claim, o.cadre, "cadre"))["achievement_id"]
    dropped = (await o.ok(f"/cadres/{o.cadre}/achievements", claim, o.cadre, "cadre"))["achievement_id"]
    verify = {"category": "key_project", "points": 4}
    await o.refused(403, "role_permission", f"/cadres/{o.cadre}/achievements/{kept}/verification", verify, o.cadre, "leader")
    await o.refused(422, "points_within_category_range", f"/cadres/{o.cadre}/achievements/{kept}/verification",
                    {"category": "key_project", "points": 50}, o.boss, "leader")
    await o.ok(f"/cadres/{o.cadre}/achievements/{kept}/verification", verify, o.boss, "leader")
    await o.ok(f"/cadres/{o.cadre}/achievements/{dropped}/rejection", {"reason": "与上条重复"}, o.boss, "leader")
    await score_when(system, o.cadre, 4)
    statuses = {a["achievement_id"]: a["status"] for a in (await o.dossier())["achievements"]}
    assert statuses == {kept: "verified", dropped: "rejected"}


async def test_amendment_and_appeal_change_what_counts(system: System) -> None:
    o = await office(system)
    day = (today() - dt.timedelta(days=40)).isoformat()
    negative = {"kind": "negative", "category": "work_style", "title": "会议迟到", "points": -2, "effective_date": day,
                "basis": BASIS}
    first = (await o.ok(f"/cadres/{o.cadre}/entries", negative))["entry_id"]
    second = (await o.ok(f"/cadres/{o.cadre}/entries", negative))["entry_id"]
    await score_when(system, o.cadre, -4)
    await o.refused(422, "points_within_category_range", f"/cadres/{o.cadre}/entries/{first}/amendment",
                    {"points": -9, "reason": "x"})
    await o.ok(f"/cadres/{o.cadre}/entries/{first}/amendment", {"points": -0.5, "reason": "情节轻微，核减"})
    await score_when(system, o.cadre, -2.5)
    appeal = (await o.ok(f"/cadres/{o.cadre}/entries/{second}/appeals", {"grounds": "当日公出，有派车单为证"},
                         o.cadre, "cadre"))["appeal_id"]
    await o.ok(f"/cadres/{o.cadre}/appeals/{appeal}/decision", {"outcome": "revoked", "reason": "申诉成立"})
    await score_when(system, o.cadre, -0.5)
    await o.refused(409, "entry_not_revoked", f"/cadres/{o.cadre}/entries/{second}/amendment",
                    {"points": -1, "reason": "x"})  # amend a revoked entry
    entries = {e["entry_id"]: e for e in (await o.dossier())["entries"]}
    assert entries[first]["points"] == -0.5 and entries[first]["status"] == "active"
    assert [h["event"] for h in entries[first]["history"]] == ["entry_recorded", "entry_amended"]
    assert entries[second]["status"] == "revoked"
    assert [h["event"] for h in entries[second]["history"]] == ["entry_recorded", "appeal_filed", "appeal_decided",
                                                                "entry_revoked"]
    # each step's reason as given: an amendment's reason, an appeal's grounds, a decision's reason
    assert [h["reason"] for h in entries[first]["history"]] == [None, "情节轻微，核减"]
    assert [h["reason"] for h in entries[second]["history"]][1:3] == ["当日公出，有派车单为证", "申诉成立"]


async def test_a_sanction_carries_its_impact_period(system: System) -> None:
    o = await office(system)
    sanction = {"kind": "negative", "category": "disciplinary_sanction", "title": "党内警告", "points": -5,
                "effective_date": (today() - dt.timedelta(days=60)).isoformat(), "basis": BASIS}
    await o.refused(422, "sanction_has_impact_period", f"/cadres/{o.cadre}/entries", sanction)
    period = {"start": (today() - dt.timedelta(days=60)).isoformat(), "end": (today() + dt.timedelta(days=300)).isoformat()}
    await o.ok(f"/cadres/{o.cadre}/entries", {**sanction, "impact_period": period})
    [entry] = (await o.dossier())["entries"]
    assert entry["impact_period"] == period


async def test_assessment_results_respect_the_grade_constraints(system: System) -> None:
    o = await office(system)
    year = today().year - 1
    base = f"/cadres/{o.cadre}/assessments/{year}"
    await o.ok(f"{base}/appraisal-level", {"level": "fairly_good"})
    await o.refused(422, "appraisal_below_good_excludes_excellent", f"{base}/annual-grade", {"grade": "excellent"})
    await o.ok(f"{base}/annual-grade", {"grade": "competent"})
    await o.refused(422, "correction_has_reason", f"{base}/annual-grade", {"grade": "basically_competent"})
    await o.ok(f"{base}/scores", {"mass_satisfaction": 88.5, "political_quality": 92})
    await o.ok(f"{base}/democratic-evaluation", {"rater_group": "peers", "counts": {"excellent": 10, "competent": 25}})
    await o.refused(422, "poor_appraisal_caps_grade_below_competent", f"{base}/integrity-veto", {"basis": BASIS})
    await o.ok(f"{base}/annual-grade", {"grade": "basically_competent", "reason": "复核更正"})
    await o.ok(f"{base}/integrity-veto", {"basis": BASIS})
    [y] = (await o.dossier())["assessments"]
    assert y["appraisal_level"] == "poor" and y["annual_grade"] == "basically_competent"
    assert y["mass_satisfaction"] == 88.5 and y["democratic_evaluation"] == {"peers": {"excellent": 10, "competent": 25}}
    assert len(y["vetoes"]) == 1
    r = await o.post(f"/units/{o.unit_id}/team-grades/{year}", {"grade": "good"})
    assert r.status_code == 201, r.text
    r = await o.post(f"/units/{o.unit_id}/target-evaluations/{year}", {"prize": "third"})
    assert r.status_code == 201, r.text
    assert_problem(await o.post(f"/units/{o.unit_id}/target-evaluations/{year}", {"prize": "second"}), 422)
    unit = (await system.client.get(f"/api/v1/units/{o.unit_id}", headers=system.auth())).json()
    assert unit["team_grades"] == {str(year): "good"} and unit["unit_class"] == "law_enforcement"
    assert unit["target_evaluations"] == {str(year): "third"}
    county = (await system.client.get("/api/v1/units/e2e-county", headers=system.auth())).json()
    assert o.unit_id in county["jurisdiction"] and system.unit_id in county["jurisdiction"]


async def test_declarations_are_sealed_at_rest_and_shown_only_to_those_who_need_them(system: System) -> None:
    o = await office(system)
    secret = "配偶之兄任本单位财务科科长"
    await o.ok(f"/cadres/{o.cadre}/declarations/relatives", {"flagged": True, "details": secret})
    clerk_view = (await o.dossier())["declarations"]
    assert clerk_view == [{"declaration": "relatives", "flagged": True, "details": secret, "masked": False}]
    own_view = (await o.dossier(o.cadre, "cadre"))["declarations"]
    assert own_view[0]["details"] == secret
    leader_view = (await o.dossier(o.boss, "leader"))["declarations"]
    assert leader_view == [{"declaration": "relatives", "flagged": None, "details": None, "masked": True}]
    history = (await system.client.get(f"/api/v1/cadres/{o.cadre}/events", headers=system.auth())).text
    assert secret not in history and "sealed_details" in history


async def test_posts_and_transfers(system: System) -> None:
    o = await office(system)
    start = (today() - dt.timedelta(days=10)).isoformat()
    await o.ok(f"/cadres/{o.cadre}/transfer", {"unit_id": system.unit_id, "position": "副局长", "rank": "副处级",
                                               "leadership": "deputy", "start_date": start, "reason": "提拔任用"})
    posts = (await o.dossier())["posts"]
    assert [p["end_date"] for p in posts] == [(today() - dt.timedelta(days=11)).isoformat(), None]
    assert posts[1]["unit_id"] == system.unit_id and posts[1]["leadership"] == "deputy"
    assert posts[0]["years_in_post"] == views.full_years(dt.date(2020, 1, 1), today() - dt.timedelta(days=11))
    assert posts[1]["years_in_post"] == 0
    await o.refused(404, "object_visible", f"/cadres/{o.cadre}/posts", {"unit_id": "no-such-unit", "position": "x",
                                                                      "rank": "x", "leadership": "member",
                                                                      "start_date": start})


async def test_the_basic_record_and_a_new_category(system: System) -> None:
    o = await office(system)
    await o.ok(f"/cadres/{o.cadre}/basics", {"birth_date": "1980-05-01", "education": "研究生"}, o.cadre, "cadre")
    await o.ok(f"/cadres/{o.cadre}/self-evaluation", {"text": "勤勉尽责，敢于担当"}, o.cadre, "cadre")
    await o.refused(403, "role_permission", f"/cadres/{o.cadre}/self-evaluation", {"text": "代写"}, o.boss, "leader")
    code = f"c_{uuid.uuid4().hex[:8]}"
    r = await o.post("/categories", {"code": code, "name": "招商引资", "kind": "positive", "min_points": 1,
                                     "max_points": 8})
    assert r.status_code == 201, r.text
    assert_problem(await o.post("/categories", {"code": code, "name": "招商引资", "kind": "negative", "min_points": -8,
                                                "max_points": -1}), 422)
    await o.ok(f"/cadres/{o.cadre}/entries", {"kind": "positive", "category": code, "title": "引进项目", "points": 8,
                                              "effective_date": today().isoformat(), "basis": BASIS})
    dossier = await o.dossier()
    assert dossier["basics"]["education"] == "研究生" and dossier["self_evaluation"] == "勤勉尽责，敢于担当"
    assert dossier["entries"][0]["category"] == code


async def test_the_dossier_as_known_at_a_past_moment_is_what_was_served_then(system: System) -> None:
    o = await office(system)
    await o.ok(f"/cadres/{o.cadre}/entries", {"kind": "positive", "category": "honour", "title": "表彰", "points": 2,
                                              "effective_date": today().isoformat(), "basis": BASIS})
    served = await o.dossier()
    moment = served["known_at"]
    entry_id = served["entries"][0]["entry_id"]
    await o.ok(f"/cadres/{o.cadre}/entries/{entry_id}/amendment", {"points": 3, "reason": "更正"})
    await o.ok(f"/cadres/{o.cadre}/entries/{entry_id}/revocation", {"reason": "撤销"})
    assert (await o.dossier())["entries"][0]["status"] == "revoked"
    assert await o.dossier(known_at=moment) == served
    before_anything = (dt.datetime.fromisoformat(moment) - dt.timedelta(days=365)).isoformat()
    assert_problem(await system.client.get(f"/api/v1/cadres/{o.cadre}/dossier", params={"known_at": before_anything},
                                           headers=system.auth()), 404)


async def test_the_appraisal_sheet_of_a_year(system: System) -> None:
    o = await office(system)
    year = today().year - 1
    lines = [("positive", "honour", 3, f"{year}-02-10"), ("negative", "work_style", -1, f"{year}-05-20"),
             ("positive", "innovation", 2, f"{year}-05-21"), ("positive", "honour", 5, f"{year + 1}-01-02")]
    for kind, category, points, day in lines:
        if dt.date.fromisoformat(day) <= today():
            await o.ok(f"/cadres/{o.cadre}/entries", {"kind": kind, "category": category, "title": category,
                                                      "points": points, "effective_date": day, "basis": BASIS})
    await o.ok(f"/cadres/{o.cadre}/assessments/{year}/democratic-evaluation",
               {"rater_group": "superiors", "counts": {"excellent": 3, "competent": 4}})
    await o.ok(f"/cadres/{o.cadre}/assessments/{year - 1}/annual-grade", {"grade": "excellent"})
    r = await system.client.get(f"/api/v1/cadres/{o.cadre}/appraisal-sheet", params={"year": year},
                                headers=system.auth())
    assert r.status_code == 200, r.text
    sheet = r.json()
    assert [q["total"] for q in sheet["quarters"]] == [3, 1, 0, 0]
    assert sheet["quarters"][1]["positive"] == 2 and sheet["quarters"][1]["negative"] == -1
    assert [i["basis"] for i in sheet["quarters"][0]["items"]] == [BASIS]
    assert sheet["year_total"] == 4
    assert sheet["democratic_evaluation"] == {"superiors": {"excellent": 3, "competent": 4}}
    assert [y["year"] for y in sheet["last_three_years"]] == [year - 2, year - 1, year]
    assert sheet["last_three_years"][1]["annual_grade"] == "excellent"
