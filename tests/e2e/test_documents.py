"""Issue 18, paper: the appraisal sheet (工作实绩鉴定表) and the annual assessment's registration form (年度考核登记表)
printed by content negotiation, checked with poppler as a reader would (pdftotext, pdffonts, pdfinfo), with a
page rendered by pdftoppm into test-output/documents/ to look at; the chain hash in the footer checked against
the store; the access log names every download."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from tests.e2e.conftest import System
from tests.e2e.test_gateway import key, register

OUT = Path(__file__).resolve().parents[2] / "test-output" / "documents"
PDF = {"Accept": "application/pdf"}
YEAR = dt.date.today().year - 1


def text_of(pdf: bytes, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-layout", *pages, "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


def squeezed(text: str) -> str:
    return "".join(text.split())


def pages_of(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def save_page(pdf: bytes, name: str, page: int = 1) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(page), "-l", str(page), "-singlefile", "-",
                    str(OUT / name)], input=pdf, check=True)
    return OUT / f"{name}.png"


def assert_fonts_embedded(pdf: bytes) -> None:
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    rows = fonts.splitlines()[2:]
    assert rows and any("CJK" in r for r in rows), fonts
    for row in rows:  # name type encoding emb sub uni ...
        emb, sub = row.split()[-5:-3]
        assert (emb, sub) == ("yes", "yes"), fonts


async def post(system: System, path: str, body: dict, role: str = "clerk", subject: str = "clerk-1") -> httpx.Response:
    r = await system.client.post(f"/api/v1{path}", json=body, headers={**system.auth(role, subject), **key()})
    assert r.status_code == 201, (path, r.text)
    return r


ENTRIES = [("获市级先进个人表彰", 3, f"{YEAR}-02-10"), ("重点项目提前完工", 2.5, f"{YEAR}-05-20"),
           ("推诿扯皮被通报", -1.5, f"{YEAR}-08-03"), ("招商引资成效突出", 4, f"{YEAR}-11-30")]


async def dossier_of_a_year(system: System, name: str) -> str:
    cadre_id = await register(system, name)
    await post(system, f"/cadres/{cadre_id}/basics", {"birth_date": "1980-05-01", "gender": "男", "education": "研究生",
                                                      "political_status": "中共党员"}, role="cadre", subject=cadre_id)
    await post(system, f"/cadres/{cadre_id}/self-evaluation", {"text": "勤勉尽责，敢于担当"}, role="cadre",
               subject=cadre_id)
    await post(system, f"/cadres/{cadre_id}/posts", {"unit_id": system.unit_id, "position": "副局长", "rank": "副处级",
                                                     "leadership": "deputy", "start_date": f"{YEAR - 3}-01-01"})
    for title, points, day in ENTRIES:
        await post(system, f"/cadres/{cadre_id}/entries", {
            "kind": "positive" if points > 0 else "negative", "category": "honour" if points > 0 else "inaction",
            "title": title, "points": points, "effective_date": day,
            "basis": {"reason": f"依据：{title}", "document": f"组字〔{YEAR}〕{int(abs(points) * 10)}号"}})
    base = f"/cadres/{cadre_id}/assessments/{YEAR}"
    await post(system, f"{base}/annual-grade", {"grade": "competent"})
    await post(system, f"{base}/appraisal-level", {"level": "good"})
    await post(system, f"{base}/democratic-evaluation", {"rater_group": "superiors",
                                                         "counts": {"excellent": 12, "competent": 30}})
    await post(system, f"{base}/scores", {"mass_satisfaction": 92, "political_quality": 95})
    return cadre_id


async def head(system: System, cadre_id: str) -> dict:
    r = await system.client.get(f"/api/v1/cadres/{cadre_id}/events", headers=system.auth())
    return r.json()["events"][-1]


async def test_the_appraisal_sheet_prints_each_entry_its_totals_and_the_records_seal(system: System) -> None:
    cadre_id = await dossier_of_a_year(system, "李文档")
    last = await head(system, cadre_id)
    known_at = dt.datetime.now(dt.UTC).isoformat()
    params = {"year": YEAR, "known_at": known_at}
    sheet = (await system.client.get(f"/api/v1/cadres/{cadre_id}/appraisal-sheet", params=params,
                                     headers=system.auth())).json()
    r = await system.client.get(f"/api/v1/cadres/{cadre_id}/appraisal-sheet", params=params,
                                headers={**system.auth(), **PDF})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf", r.text[:300]
    text = squeezed(text_of(r.content))
    for expected in ("干部工作实绩鉴定表", "李文档", f"{YEAR}年度", "测试局", "副局长", "1980年5月",
                     *(title for title, _, _ in ENTRIES), "+3", "+2.5", "-1.5", "+4", "年度积分合计", "+8",
                     "实绩鉴定结果", "好", "年度考核等次", "称职", "上级评价：优秀12票，称职30票",
                     "上级领导鉴定意见", "组织部门审核意见", "签字", "盖章", f"v{last['version']}", last["hash"],
                     "第1页共"):
        assert squeezed(expected) in text, expected
    assert sheet["year_total"] == 8
    local = dt.datetime.fromisoformat(known_at).astimezone(ZoneInfo("Asia/Shanghai"))  # the deployment's default
    assert squeezed(f"截至 {local.year}年{local.month}月{local.day}日 {local:%H:%M}（北京时间）") in text
    assert known_at[:19] not in text and known_at[11:19] not in text  # no raw ISO time, no seconds
    assert_fonts_embedded(r.content)
    again = await system.client.get(f"/api/v1/cadres/{cadre_id}/appraisal-sheet", params=params,
                                    headers={**system.auth(), **PDF})
    assert again.content == r.content  # same record, same known_at: the same bytes
    assert save_page(r.content, f"appraisal-sheet-{system.wiring}").stat().st_size > 10_000

    check = await system.client.get(f"/api/v1/cadres/{cadre_id}/printed-hash", params={"hash": last["hash"]},
                                    headers=system.auth())
    assert check.status_code == 200, check.text
    assert (check.json()["matches"], check.json()["version"], check.json()["current"]) == (True, last["version"], True)
    forged = "sm3:" + "0" * 64
    check = await system.client.get(f"/api/v1/cadres/{cadre_id}/printed-hash", params={"hash": forged},
                                    headers=system.auth())
    assert (check.json()["matches"], check.json()["version"]) == (False, None)

    log = await system.client.get("/api/v1/access-log", params={"cadre_id": cadre_id, "limit": 500},
                                  headers=system.auth("audit_admin", "audit"))
    actions = [e["action"] for e in log.json()["entries"]]
    assert actions.count("get_appraisal_sheet.pdf") == 2 and "get_appraisal_sheet" in actions


async def test_an_older_known_at_prints_the_record_as_it_stood_then(system: System) -> None:
    cadre_id = await dossier_of_a_year(system, "王旧档")
    before = (await head(system, cadre_id))
    moment = dt.datetime.now(dt.UTC).isoformat()
    await post(system, f"/cadres/{cadre_id}/entries", {
        "kind": "positive", "category": "honour", "title": "后补录的表彰", "points": 1, "effective_date": f"{YEAR}-12-01",
        "basis": {"reason": "补录", "document": "补字1号"}})
    r = await system.client.get(f"/api/v1/cadres/{cadre_id}/appraisal-sheet", params={"year": YEAR, "known_at": moment},
                                headers={**system.auth(), **PDF})
    text = squeezed(text_of(r.content))
    assert before["hash"] in text and "后补录的表彰" not in text
    check = (await system.client.get(f"/api/v1/cadres/{cadre_id}/printed-hash", params={"hash": before["hash"]},
                                     headers=system.auth())).json()
    assert (check["matches"], check["current"]) == (True, False)


async def test_two_hundred_entries_run_over_pages_each_with_the_table_header(system: System) -> None:
    cadre_id = await register(system, "赵多项")
    rows = [{"row_key": f"{cadre_id}-{n}", "operation": "record_entry", "params": {"cadre_id": cadre_id},
             "body": {"kind": "positive", "category": "honour", "title": f"第{n}项工作实绩", "points": 1,
                      "effective_date": f"{YEAR}-{n % 12 + 1:02d}-15",
                      "basis": {"reason": "季度考核认定", "document": f"示组字〔{YEAR}〕{n}号"}}} for n in range(200)]
    r = await system.client.post("/api/v1/imports", content="".join(json.dumps(x, ensure_ascii=False) + "\n"
                                                                    for x in rows).encode(),
                                 headers={**system.auth(), "Content-Type": "application/x-ndjson"})
    assert r.json()["recorded"] == 200, r.text
    pdf = (await system.client.get(f"/api/v1/cadres/{cadre_id}/appraisal-sheet", params={"year": YEAR},
                                   headers={**system.auth(), **PDF})).content
    pages = pages_of(pdf)
    assert pages >= 5
    for page in range(1, pages + 1):
        text = squeezed(text_of(pdf, page))
        assert f"第{page}页共{pages}页" in text
        if page < pages:  # the last page may hold only the totals and signatures
            assert "实绩及正负面清单事项" in text and "加减分依据" in text, page
    whole = squeezed(text_of(pdf))
    assert all(f"第{n}项工作实绩" in whole for n in range(200)) and "+200" in whole
    save_page(pdf, f"appraisal-sheet-200-page2-{system.wiring}", page=2)


async def test_the_registration_form_as_data_and_as_a_printed_form(system: System) -> None:
    cadre_id = await dossier_of_a_year(system, "孙登记")
    r = await system.client.get(f"/api/v1/cadres/{cadre_id}/assessment-form", params={"year": YEAR},
                                headers=system.auth())
    assert r.status_code == 200, r.text
    form = r.json()
    assert form["assessment"]["annual_grade"] == "competent" and form["summary"] == "勤勉尽责，敢于担当"
    assert form["post"]["position"] == "副局长" and form["unit_name"] == "测试局"
    printed = await system.client.get(f"/api/v1/cadres/{cadre_id}/assessment-form",
                                      params={"year": YEAR, "known_at": form["known_at"]},
                                      headers={**system.auth(), **PDF})
    assert printed.headers["content-type"] == "application/pdf"
    save_page(printed.content, f"assessment-form-{system.wiring}")
    text = squeezed(text_of(printed.content))
    for expected in ("年度考核登记表", "孙登记", "勤勉尽责，敢于担当", "考核等次称职", "实绩鉴定结果好", "群众满意度92",
                     "政治素质得分95", "上级评价123000042", form["hash"], "主管领导评语", "考核机关意见"):
        assert squeezed(expected) in text, expected
    assert_fonts_embedded(printed.content)


async def test_printed_forms_keep_to_the_jurisdiction_and_roles_of_the_reads(system: System) -> None:
    cadre_id = await register(system, "钱外人")
    for path in ("appraisal-sheet", "assessment-form"):
        outsider = await system.client.get(f"/api/v1/cadres/{cadre_id}/{path}", params={"year": YEAR},
                                           headers={**system.auth("clerk", "far", unit="elsewhere"), **PDF})
        assert outsider.status_code == 404 and outsider.headers["content-type"].startswith("application/problem+json")
        other = await system.client.get(f"/api/v1/cadres/{cadre_id}/{path}", params={"year": YEAR},
                                         headers={**system.auth("cadre", str(uuid.uuid4())), **PDF})
        assert other.status_code == 404, other.text
    own = await system.client.get(f"/api/v1/cadres/{cadre_id}/appraisal-sheet", params={"year": YEAR},
                                  headers={**system.auth("cadre", cadre_id), **PDF})
    assert own.status_code == 200 and own.content.startswith(b"%PDF")
