"""Issue 18, spreadsheets: every list read answers a workbook by content negotiation (Chinese headers, the header
row frozen, dates as dates, numbers as numbers, the same rows as the JSON answer for the same caller), read back
with python-calamine and compared cell by cell; the bulk import takes a workbook made from its template, answers
the workbook with an error column, and takes the corrected workbook again: every row recorded once."""

from __future__ import annotations

import datetime as dt
import io
import uuid
import zipfile
from typing import Any

from python_calamine import CalamineWorkbook

from tests.e2e.conftest import System
from tests.e2e.test_documents import YEAR, post
from tests.e2e.test_gateway import event_count, register, score_when
from tests.support.workbooks import workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AS_XLSX = {"Accept": XLSX}


def sheet_of(content: bytes) -> list[list[Any]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python(skip_empty_area=False)


def sheet_xml(content: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()


def moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC).replace(tzinfo=None)


def same(cell: Any, value: Any) -> bool:
    if isinstance(value, dt.datetime):  # a spreadsheet keeps time to the millisecond
        return isinstance(cell, dt.datetime) and abs(cell - value) <= dt.timedelta(milliseconds=1)
    return cell == value


def assert_cells(content: bytes, header: list[str], expected: list[list[Any]]) -> None:
    rows = sheet_of(content)
    assert rows[0] == header
    assert len(rows) - 1 == len(expected), (len(rows) - 1, len(expected))
    for n, (row, want) in enumerate(zip(rows[1:], expected, strict=True), start=1):
        assert all(same(c, w) for c, w in zip(row, want, strict=True)), (n, row, want)
    xml = sheet_xml(content)
    assert 'ySplit="1"' in xml and 'state="frozen"' in xml  # the header row stays in view
    assert '<col min="1"' in xml and f'max="{len(header)}"' in xml  # every column sized


async def both(system: System, path: str, role: str = "clerk", subject: str = "clerk-1", **params: Any):
    headers = system.auth(role, subject)
    answer = await system.client.get(f"/api/v1{path}", params=params, headers=headers)
    book = await system.client.get(f"/api/v1{path}", params=params, headers={**headers, **AS_XLSX})
    assert answer.status_code == 200 and book.status_code == 200, (answer.text, book.text[:200])
    assert book.headers["content-type"] == XLSX
    return answer.json(), book.content


async def ranked_cadres(system: System) -> list[str]:
    ids = []
    for n, points in enumerate((5, 3, 3, 1)):
        cadre_id = await register(system, f"排名{n}")
        await post(system, f"/cadres/{cadre_id}/posts", {"unit_id": system.unit_id, "position": "副局长", "rank": "副处级",
                                                         "leadership": "deputy", "start_date": f"{YEAR - 3}-01-01"})
        await post(system, f"/cadres/{cadre_id}/entries", {
            "kind": "positive", "category": "honour", "title": "表彰", "points": points,
            "effective_date": f"{YEAR}-06-01", "basis": {"reason": "通报", "document": "文1号"}})
        await score_when(system, cadre_id, points)
        ids.append(cadre_id)
    return ids


async def test_every_list_as_a_workbook_is_its_json_answer_cell_by_cell(system: System) -> None:
    ids = await ranked_cadres(system)
    units, book = await both(system, "/units")
    assert_cells(book, ["单位编码", "单位名称", "上级单位", "层级", "类别"],
                 [[u["unit_id"], u["name"], u["parent_id"] or "", u["level"], u["unit_class"]] for u in units["units"]])

    ranking, book = await both(system, "/rankings", **{"class": "economic_development", "leadership": "deputy"})
    bands = {"top": "前30%", "bottom": "后10%", None: ""}
    assert {r["cadre_id"] for r in ranking["ranking"]} >= set(ids)
    assert_cells(book, ["名次", "姓名", "单位", "动态积分", "两头", "干部编号"],
                 [[float(r["rank"]), r["name"], r["unit_id"], float(r["total"]), bands[r["band"]], r["cadre_id"]]
                  for r in ranking["ranking"]])

    screened, book = await both(system, "/screenings")
    verdicts = {"eligible": "符合条件", "ineligible": "不符合条件", "undetermined": "待定"}
    expected = sorted([[c, verdicts["eligible"], ""] for c in screened["eligible"]]
                      + [[r["cadre_id"], verdicts["ineligible"], "；".join(r["excluded_by"])]
                         for r in screened["ineligible"]]
                      + [[r["cadre_id"], verdicts["undetermined"], "；".join(r["unknown"])]
                         for r in screened["undetermined"]])  # one row a cadre, in cadre-number order
    assert len(expected) >= 4
    assert_cells(book, ["干部编号", "初筛结论", "不符合或待定的规则"], expected)

    refreshed = await system.client.post("/api/v1/jobs/daily-refresh", headers=system.auth("system_admin", "admin"))
    assert refreshed.status_code == 200, refreshed.text
    warnings, book = await both(system, "/warnings", status="all", limit=500)
    assert_cells(book, ["干部编号", "预警类型", "预警等级", "说明", "预警日期", "解除日期", "状态", "规则集", "预警键"],
                 [[w["cadre_id"], w["kind"], {"yellow": "黄色", "red": "红色"}[w["level"]], w["detail"],
                   dt.date.fromisoformat(w["raised_on"]),
                   dt.date.fromisoformat(w["cleared_on"]) if w["cleared_on"] else "",
                   {"active": "生效", "cleared": "已解除"}[w["status"]], w["rule_set"], w["key"]]
                  for w in warnings["warnings"]])


async def test_a_paged_list_as_a_workbook_holds_every_page(system: System) -> None:
    cadre_id = await register(system, "翻页")
    for _ in range(4):  # the registration is the unit's, not yet the cadre's: four entries of this cadre
        assert (await system.client.get(f"/api/v1/cadres/{cadre_id}", headers=system.auth())).status_code == 200
    auditor = system.auth("audit_admin", "audit")
    book = await system.client.get("/api/v1/access-log", params={"cadre_id": cadre_id, "limit": 2},
                                   headers={**auditor, **AS_XLSX})
    assert book.status_code == 200, book.text
    pages, cursor = [], None
    while True:  # the same list as JSON, page by page; it now also holds the download and these reads
        page = (await system.client.get("/api/v1/access-log", params={"cadre_id": cadre_id, "limit": 2,
                                                                       **({"cursor": cursor} if cursor else {})},
                                        headers=auditor)).json()
        pages += page["entries"]
        if not (cursor := page["next"]):
            break
    before = pages[:4]  # the four reads: two pages of two
    assert [e["action"] for e in pages[:5]] == ["get_cadre"] * 4 + ["access_log.xlsx"]  # the download is logged too
    outcomes = {"allowed": "允许", "refused": "拒绝", "failed": "失败"}
    rows = [[float(e["seq"]), moment(e["recorded_at"]), e["subject"], e["role"], e["unit"] or "", e["client"] or "",
             e["method"], e["path"], e["query"] or "", e["action"], e["cadre_id"] or "", float(e["status"]),
             outcomes[e["outcome"]], e["request_id"] or "", e["hash"]] for e in before]
    assert_cells(book.content, ["序号", "时间（UTC）", "用户", "角色", "所在单位", "来源地址", "方法", "路径", "查询参数",
                                "操作", "干部编号", "状态码", "结果", "请求编号", "链哈希"], rows)


async def test_a_workbook_keeps_the_roles_and_jurisdiction_of_its_list(system: System) -> None:
    refused = await system.client.get("/api/v1/screenings", headers={**system.auth("cadre", str(uuid.uuid4())),
                                                                     **AS_XLSX})
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("application/problem+json")
    outside = await system.client.get("/api/v1/screenings", params={"unit": "e2e-city"},
                                      headers={**system.auth("clerk", "county", unit="e2e-county"), **AS_XLSX})
    assert outside.status_code == 404
    units = (await system.client.get("/api/v1/units", headers=system.auth())).json()
    narrow = await system.client.get("/api/v1/units", headers={**system.auth("clerk", "county", unit="e2e-county"),
                                                               **AS_XLSX})
    assert {r[0] for r in sheet_of(narrow.content)[1:]} == {"e2e-county", system.unit_id} < {
        u["unit_id"] for u in units["units"]}


async def upload(system: System, content: bytes, accept: str = "application/json"):
    r = await system.client.post("/api/v1/imports", content=content, headers={
        **system.auth(), "Content-Type": XLSX, "Accept": accept})
    assert r.status_code == 200, r.text
    return r


async def test_the_template_filled_in_with_errors_then_corrected_records_every_row_once(system: System) -> None:
    columns = (await system.client.get("/api/v1/imports/template", params={"operation": "record_entry"},
                                       headers=system.auth())).json()["columns"]
    template = await system.client.get("/api/v1/imports/template", params={"operation": "record_entry"},
                                       headers={**system.auth(), **AS_XLSX})
    assert template.status_code == 200 and template.headers["content-type"] == XLSX
    header, example = sheet_of(template.content)[:2]
    assert header == [c["name"] for c in columns] and header[:3] == ["operation", "row_key", "cadre_id"]
    assert {"kind", "points", "effective_date", "basis.reason", "basis.document"} <= set(header)
    assert example[header.index("kind")] == "positive" and example[header.index("operation")] == "record_entry"
    xml = sheet_xml(template.content)
    assert "<dataValidation " in xml and "achievement,positive,negative" in xml  # a drop-down on the closed set

    cadre_id = await register(system, "表格导入")
    tag = uuid.uuid4().hex[:8]

    def row(n: int, **cells: Any) -> list[Any]:
        values = {"operation": "record_entry", "row_key": f"{tag}-{n}", "cadre_id": cadre_id, "kind": "positive",
                  "category": "honour", "title": f"表格第{n}行", "points": n, "effective_date": dt.date(YEAR, n, 10),
                  "basis.reason": "季度认定", "basis.document": f"文{n}号", **cells}
        return [values.get(name, "") for name in header]

    rows = [row(1), row(2, **{"basis.reason": ""}), [""] * len(header), row(4), row(5, points="五分")]
    answered = await upload(system, workbook(header, rows), accept=XLSX)
    assert answered.headers["content-type"] == XLSX
    assert (answered.headers["import-recorded"], answered.headers["import-refused"]) == ("2", "2")
    errors = sheet_of(answered.content)
    assert errors[0] == [*header, "错误"]
    marked = {n: r[-1] for n, r in enumerate(errors[1:], start=1) if r[-1]}
    assert set(marked) == {2, 5} and "basis.reason" in marked[2] and "points" in marked[5], marked
    assert errors[4][header.index("effective_date")] == dt.date(YEAR, 4, 10)  # sent back as it came: a date

    report = (await upload(system, workbook(header, rows))).json()  # the JSON report numbers the workbook's rows
    assert (report["recorded"], report["replayed"], report["refused"]) == (0, 2, 2)
    assert sorted(e["row"] for e in report["errors"]) == [2, 5]

    corrected = [list(r) for r in errors]
    corrected[2][header.index("basis.reason")] = "补齐依据"
    corrected[5][header.index("points")] = 5.0
    report = (await upload(system, workbook(corrected[0], corrected[1:]))).json()
    assert (report["rows"], report["recorded"], report["replayed"], report["refused"]) == (4, 2, 2, 0), report
    assert await event_count(system, cadre_id) == 1 + 4
    await score_when(system, cadre_id, 1 + 2 + 4 + 5)


async def test_a_body_that_is_not_a_workbook_is_refused_by_name(system: System) -> None:
    r = await system.client.post("/api/v1/imports", content=b"operation,row_key\n", headers={
        **system.auth(), "Content-Type": XLSX})
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "xlsx_workbook", r.text
    r = await system.client.get("/api/v1/imports/template", params={"operation": "endorse_report"},
                                headers=system.auth())
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "importable_operation"


async def test_the_spec_states_each_media_type_each_operation_answers(system: System) -> None:
    spec = (await system.client.get("/openapi.json")).json()["paths"]

    def answers(path: str, method: str = "get") -> set[str]:
        return set(spec[path][method]["responses"]["200"]["content"])

    for path in ("/units", "/cadres", "/tasks", "/screenings", "/rankings", "/warnings", "/access-log",
                 "/assessments/{scheme_id}/results", "/imports/template"):
        assert answers(f"/api/v1{path}") == {"application/json", XLSX}, path
    for path in ("/cadres/{cadre_id}/appraisal-sheet", "/cadres/{cadre_id}/assessment-form"):
        assert answers(f"/api/v1{path}") == {"application/json", "application/pdf"}, path
    assert answers("/api/v1/imports", "post") == {"application/json", XLSX}
    assert XLSX in spec["/api/v1/imports"]["post"]["requestBody"]["content"]
    assert answers("/api/v1/cadres/{cadre_id}/dossier") == {"application/json"}
