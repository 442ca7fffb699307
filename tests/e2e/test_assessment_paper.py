"""Issue 18 on the assessment's reads and the cadre search: the cadre list (every page) and a scheme's results as
workbooks, equal cell by cell to their JSON answers; the registration form with the cadre's composite under a
scheme (民主测评, 平时考核 and the other components); the downloads in the access log, the same roles as the JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.e2e.conftest import System
from tests.e2e.test_documents import PDF, YEAR, dossier_of_a_year, post, save_page, squeezed, text_of
from tests.e2e.test_scoring_features import eventually
from tests.e2e.test_spreadsheets import AS_XLSX, XLSX, assert_cells, both

CADRE_SCHEME = {
    "id": "e2e-cadre-form", "version": 1, "effective_from": f"{YEAR}-01-01", "reason": "干部年度综合考评（测试）",
    "document": "测组字〔2025〕1号", "subject_kind": "cadre",
    "classes": [{"id": "economic_development", "name": "经济发展类"}],
    "components": [
        {"id": "democratic", "name": "民主测评", "source": "score", "missing": "zero",
         "weights": {"economic_development": "40"}},
        {"id": "routine", "name": "平时考核", "source": "score", "missing": "zero",
         "weights": {"economic_development": "60"}}],
    "grade_thresholds": [{"grade": "excellent", "at_least": "90"}, {"grade": "competent", "at_least": "70"},
                         {"grade": "basically_competent", "at_least": "60"}]}
TASKS = {"endorse_report": "审核季度报告", "verify_achievement": "核实工作实绩", "decide_appeal": "处理申诉"}
GRADES = {"excellent": "优秀", "competent": "称职", "basically_competent": "基本称职", "incompetent": "不称职"}


async def scored_cadre(system: System, name: str, democratic: str, routine: str) -> str:
    cadre_id = await dossier_of_a_year(system, name)
    for component, score in (("democratic", democratic), ("routine", routine)):
        await post(system, f"/cadres/{cadre_id}/assessments/{YEAR}/evaluation-scores", {
            "scheme_id": CADRE_SCHEME["id"], "component_id": component, "evaluation": component,
            "period": str(YEAR), "effective_date": f"{YEAR}-12-20", "score": score, "source": "考评表"})
    return cadre_id


async def published(system: System) -> None:
    r = await system.client.post("/api/v1/assessments", json={"scheme": CADRE_SCHEME},
                                 headers={**system.auth(), "Idempotency-Key": "e2e-cadre-form-scheme"})
    assert r.status_code == 201, r.text


async def test_the_registration_form_carries_the_composite_with_its_components(system: System) -> None:
    await published(system)
    cadre_id = await scored_cadre(system, "吴综合", "92", "85")
    params = {"year": YEAR, "scheme": CADRE_SCHEME["id"]}
    path = f"/api/v1/cadres/{cadre_id}/assessment-form"

    async def computed() -> dict[str, Any]:
        r = await system.client.get(path, params=params, headers=system.auth())
        assert r.status_code == 200, r.text
        assert r.json()["composite"] and r.json()["composite"]["composite"] == "87.80", r.json()["composite"]
        return r.json()
    form = await eventually(computed)
    composite = form["composite"]  # 92 × 40 % + 85 × 60 % = 87.80
    assert (composite["calculated"], composite["status"]) == ("competent", "complete")
    assert {(c["name"], c["score"]) for c in composite["components"]} == {("民主测评", "92"), ("平时考核", "85")}
    plain = (await system.client.get(path, params={"year": YEAR}, headers=system.auth())).json()
    assert plain["composite"] is None  # without a scheme, the form as before

    printed = await system.client.get(path, params={**params, "known_at": form["known_at"]},
                                      headers={**system.auth(), **PDF})
    assert printed.status_code == 200 and printed.headers["content-type"] == "application/pdf", printed.text[:300]
    text = squeezed(text_of(printed.content))
    for expected in ("综合考评（e2e-cadre-form，第1版）", "民主测评", "平时考核", "综合得分87.80", "得分对应等次称职",
                     "上级评价123000042", "群众满意度92"):
        assert squeezed(expected) in text, expected
    save_page(printed.content, f"assessment-form-composite-{system.wiring}")

    county = await system.client.get(path, params=params, headers=system.auth(unit="e2e-county"))
    assert county.status_code == 200, county.text  # the county's clerk reads its own subjects' composites
    assert county.json()["composite"] == form["composite"]
    cadre = await system.client.get(path, params=params, headers=system.auth("cadre", "someone-else"))
    assert cadre.status_code == 404, cadre.text  # another cadre's form is hidden, as their dossier is
    assert (await system.client.get(path, params={"year": YEAR}, headers=system.auth(unit="e2e-county"))
            ).status_code == 200
    missing = await system.client.get(path, params={**params, "scheme": "no-such-scheme"}, headers=system.auth())
    assert missing.status_code == 404, missing.text


async def test_a_schemes_results_as_a_workbook_are_its_json_answer(system: System) -> None:
    await published(system)
    await scored_cadre(system, "郑结果", "95", "93")
    path = f"/assessments/{CADRE_SCHEME['id']}/results"

    bands = {"top": "前30%", "bottom": "后10%", None: ""}
    statuses = {"complete": "已算出", "blocked": "缺少必需数据"}

    async def two_or_more_settled() -> None:
        # scoring applies the cadres' inputs as they come: the two reads agree once all of them are applied
        answer, book = await both(system, path, year=YEAR)
        assert len(answer["results"]) >= 2
        assert_cells(book, ["考评对象", "类别", "状态", "综合得分", "类内名次", "类内总数", "两头", "得分对应等次",
                            "建议等次", "决定等次", "决定时间（UTC）"],
                     [[r["subject_id"], r["class_id"], statuses[r["status"]], float(r["composite"]), float(r["rank"]),
                       float(r["of"]), bands[r["band"]], GRADES[r["calculated"]], GRADES[r["proposed"]],
                       GRADES[r["decided"]["grade"]] if r["decided"] else "",
                       dt.datetime.fromisoformat(r["decided"]["recorded_at"]).astimezone(dt.UTC).replace(tzinfo=None)
                       if r["decided"] else ""] for r in answer["results"]])
    await eventually(two_or_more_settled)
    county = await system.client.get(f"/api/v1{path}", params={"year": YEAR},
                                     headers={**system.auth(unit="e2e-county"), **AS_XLSX})
    assert county.status_code == 200 and county.headers["content-type"] == XLSX  # a county reads its own subjects


async def test_the_cadre_search_as_a_workbook_holds_every_page(system: System) -> None:
    for n in range(3):
        await dossier_of_a_year(system, f"冯检索{n}")
    params = {"name": "冯检索", "limit": 2}
    book = await system.client.get("/api/v1/cadres", params=params, headers={**system.auth(), **AS_XLSX})
    assert book.status_code == 200 and book.headers["content-type"] == XLSX, book.text[:300]
    cadres, cursor = [], None
    while True:
        page = (await system.client.get("/api/v1/cadres", params={**params, **({"cursor": cursor} if cursor else {})},
                                        headers=system.auth())).json()
        cadres += page["cadres"]
        if not (cursor := page["next"]):
            break
    assert len(cadres) == 3
    leadership = {"chief": "正职", "deputy": "副职", "member": "成员"}
    assert_cells(book.content, ["姓名", "所在单位", "单位编码", "现任职务", "任现职时间", "干部编号"], [
        [c["name"], c["unit_name"], c["unit_id"],
         "；".join(f"{p['unit_name']} {p['position']}（{leadership[p['leadership']]}）" for p in c["posts"]),
         dt.date.fromisoformat(min(p["start_date"] for p in c["posts"])), c["cadre_id"]] for c in cadres])
    outside = await system.client.get("/api/v1/cadres", params={"unit": "e2e-city"},
                                      headers={**system.auth(unit="e2e-county"), **AS_XLSX})
    assert outside.status_code == 404



async def test_a_clerks_tasks_as_a_workbook(system: System) -> None:
    cadre_id = await dossier_of_a_year(system, "褚申诉")
    dossier = (await system.client.get(f"/api/v1/cadres/{cadre_id}/dossier", headers=system.auth())).json()
    entry = next(e for e in dossier["entries"] if e["kind"] == "negative")
    await post(system, f"/cadres/{cadre_id}/entries/{entry['entry_id']}/appeals", {"grounds": "当日公出，有派车单为证"},
               role="cadre", subject=cadre_id)
    answer, book = await both(system, "/tasks")
    assert ("decide_appeal", cadre_id) in {(t["task"], t["cadre_id"]) for t in answer["tasks"]}
    assert_cells(book, ["待办事项", "姓名", "单位", "期间或编号", "标题", "等待起始（UTC）", "干部编号", "办理接口"],
                 [[TASKS[t["task"]], t["name"], t["unit_name"] or "", t["subject_id"], t["title"] or "",
                   dt.datetime.fromisoformat(t["since"]).astimezone(dt.UTC).replace(tzinfo=None), t["cadre_id"],
                   t["action"]] for t in answer["tasks"]])


async def test_every_download_is_in_the_access_log(system: System) -> None:
    """Run after the tests above (one system per module): each of their downloads was logged as its read."""
    entries, cursor = [], None
    while True:
        page = (await system.client.get("/api/v1/access-log", params={
            "limit": 500, "subject": "clerk-1", **({"cursor": cursor} if cursor else {})},
            headers=system.auth("audit_admin", "audit"))).json()
        entries += page["entries"]
        if not (cursor := page["next"]):
            break
    logged = {(e["action"], e["status"]) for e in entries}
    assert {("list_cadres.xlsx", 200), ("list_tasks.xlsx", 200), ("assessment_results.xlsx", 200),
            ("assessment_form.pdf", 200), ("assessment_form", 200)} <= logged, sorted(logged)
