"""The console's pages beyond the main journey (issue 17), in a real browser on the embedded demo county:

the annual assessment (results by class with the two ends, a subject's explained composite, a clerk deciding a
grade that departs from the proposal, refused until the reason is given next to its field), a cadre's
achievement verified by their leader, an appeal filed by a cadre and decided by the clerk, the bulk import's
per-row errors, a page "as the system knew it" at a past moment, and every new page at phone width. Each page
is checked for console errors, failed requests and axe-core violations (conftest.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
from playwright.async_api import Browser, expect

from tests.browser.conftest import DESKTOP, PHONE, Console, Watched, sign_in_as, sign_out, watched


async def api(console: Console, person: dict, method: str, path: str, **kwargs) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"{console.url}/api/v1", timeout=30) as client:
        headers = {"Authorization": f"Bearer {person['token']}", **kwargs.pop("headers", {})}
        return await client.request(method, path, headers=headers, **kwargs)


async def fits(w: Watched, step: str) -> None:
    await w.shot(step)
    await w.axe(step)
    width = await w.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{step}: the page is {width} px wide at {PHONE['width']} px"


async def test_the_assessment_explained_and_a_departing_grade_decided_with_its_reason(
        console: Console, browser: Browser) -> None:
    clerk, auditor = console.person("clerk"), console.person("auditor")
    config = (await api(console, clerk, "GET", "/../../console/config.json")).json()["assessment"]
    scheme, year = config["scheme_id"], config["year"]
    results = (await api(console, clerk, "GET", f"/assessments/{scheme}/results", params={"year": year})).json()
    # A subject whose proposal departs from its composite's grade (a veto fired): deciding the composite's grade
    # departs from the proposal and needs its reason.
    vetoed = next(r for r in results["results"] if r["proposed"] != r["calculated"] and r["decided"] is None)
    async with watched(browser, "assessment", DESKTOP) as w:
        page = w.page
        await page.goto(f"{console.url}/console/")
        await sign_in_as(w, console, clerk)
        await page.get_by_role("link", name="综合考评").click()
        rows = page.get_by_test_id("result-row")
        await expect(rows).to_have_count(len(results["results"]))
        for end in ("top", "bottom"):
            await expect(page.locator(f"tr[data-band='{end}']").first).to_be_visible()
        await page.wait_for_load_state("networkidle")
        await w.shot("01-results")
        await w.axe("results")
        await page.get_by_label("类别", exact=True).select_option(vetoed["class_id"])
        in_class = sum(1 for r in results["results"] if r["class_id"] == vetoed["class_id"])
        await expect(rows).to_have_count(in_class)

        await page.locator(f"tr[data-subject='{vetoed['subject_id']}'] a").click()
        await expect(page.get_by_test_id("composite")).to_have_text(vetoed["composite"])
        await expect(page.get_by_test_id("fired").first).to_be_visible()
        await expect(page.locator("tr[data-rule='grade_from_composite']")).to_be_visible()
        await expect(page.get_by_test_id("consequence").first).to_be_visible()
        await page.wait_for_load_state("networkidle")
        await w.shot("02-subject-explained")
        await w.axe("subject")

        calculated = {"merit": "立功", "pass": "达标", "fail": "不达标"}[vetoed["calculated"]]
        await page.get_by_role("radio", name=calculated, exact=True).check()
        reason = page.get_by_label("偏离建议的理由")
        await expect(reason).to_be_visible()
        await page.get_by_role("button", name="记录决定").click()
        await expect(reason).to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#dep-proposal-error")).to_have_text("决定的等次与建议不同：请说明理由")
        await w.shot("03-decision-refused")
        await w.axe("decision-refused")
        await reason.fill("经核查事故不属较大事故，不适用一票否决（示例）")
        await page.get_by_role("button", name="记录决定").click()
        await expect(page.get_by_test_id("decided")).to_contain_text(calculated)
        await expect(page.get_by_test_id("notice-decision")).to_have_text("已记录决定")
        await w.shot("04-decided")
        # A second decision of the year is a correction: refused by the API until its reason is given.
        await page.get_by_role("radio", name=calculated, exact=True).check()
        await expect(page.get_by_label("更正理由（该年度已有决定）")).to_be_visible()
        await sign_out(page)
        await expect(page.get_by_test_id("notice-decision")).to_have_count(0)

        # The auditor reads the same results and explanation, and has nothing to decide.
        await sign_in_as(w, console, auditor)
        await page.get_by_role("link", name="综合考评").click()
        await page.locator(f"tr[data-subject='{vetoed['subject_id']}'] a").click()
        await expect(page.get_by_test_id("decided")).to_contain_text(calculated)
        await expect(page.get_by_role("button", name="记录决定")).to_have_count(0)
        w.check()

    async with watched(browser, "assessment-phone", PHONE) as w:
        page = w.page
        await page.goto(f"{console.url}/console/")
        await sign_in_as(w, console, clerk)
        await page.get_by_role("link", name="综合考评").click()
        await expect(page.get_by_test_id("result-row").first).to_be_visible()
        await page.wait_for_load_state("networkidle")
        await fits(w, "01-results")
        await page.locator(f"tr[data-subject='{vetoed['subject_id']}'] a").click()
        await expect(page.get_by_test_id("composite")).to_be_visible()
        await page.wait_for_load_state("networkidle")
        await fits(w, "02-subject")
        w.check()


async def test_an_achievement_verified_and_an_appeal_decided(console: Console, browser: Browser) -> None:
    cadre = [p for p in console.people if p["role"] == "cadre" and p["leadership"] == "member"][1]
    leader, clerk = console.person("leader"), console.person("clerk")
    categories = (await api(console, clerk, "GET", "/categories")).json()["categories"]
    achievement = next(c for c in categories if c["kind"] == "achievement")
    # An entry of the cadre's to appeal against, recorded now so the test does not depend on the demo's draw.
    negative = next(c for c in categories if c["kind"] == "negative" and not c["sanction"])
    r = await api(console, clerk, "POST", f"/cadres/{cadre['subject']}/entries", headers={"Idempotency-Key": "appeal-me"},
                  json={"kind": "negative", "category": negative["code"], "title": "会议迟到被通报（待申诉）",
                        "points": negative["max_points"], "effective_date": dt.date.today().isoformat(),
                        "basis": {"reason": "督查通报", "document": "督字〔2026〕3号"}})
    assert r.status_code in (200, 201), r.text
    async with watched(browser, "appeal", DESKTOP) as w:
        page = w.page
        await page.goto(f"{console.url}/console/")
        await sign_in_as(w, console, cadre)
        await page.get_by_label("实绩名称").fill("牵头完成港口物流园区招商")
        await page.get_by_label("具体内容").fill("引进物流企业三家，投资额两亿元")
        await page.get_by_role("button", name="报告", exact=True).click()
        await expect(page.get_by_test_id("notice-achievement")).to_have_text("已报告，等待上级核实")
        await expect(page.locator("tr[data-title='牵头完成港口物流园区招商']")).to_contain_text("待核实")
        row = page.get_by_role("row").filter(has_text="会议迟到被通报（待申诉）")
        await row.get_by_role("button", name="申诉 会议迟到被通报（待申诉）").click()
        await row.get_by_role("button", name="提交").click()
        await expect(row.get_by_text("请填写此项")).to_be_visible()  # the grounds, next to their field
        await row.get_by_label("申诉理由").fill("当日因公务接待迟到，有接待记录")
        await row.get_by_role("button", name="提交").click()
        await expect(page.get_by_test_id("appeal").filter(has_text="会议迟到被通报（待申诉）")).to_contain_text("待决定")
        await page.wait_for_load_state("networkidle")
        await w.shot("01-cadre-claimed-and-appealed")
        await w.axe("cadre")
        await sign_out(page)

        await sign_in_as(w, console, leader)
        await page.get_by_role("link", name="我的待办").click()
        task = page.locator(f"tr[data-task='verify_achievement'][data-cadre='{cadre['subject']}']").filter(
            has_text="牵头完成港口物流园区招商")
        await task.get_by_role("combobox").select_option(achievement["code"])
        await task.get_by_role("textbox", name="分值 牵头完成港口物流园区招商").fill(str(achievement["min_points"]))
        await w.shot("02-leader-verifies")
        await w.axe("leader")
        await task.get_by_role("button", name="核实 牵头完成港口物流园区招商").click()
        await expect(page.get_by_text("已核实", exact=True)).to_be_visible()
        await expect(task).to_have_count(0)
        await sign_out(page)

        await sign_in_as(w, console, clerk)
        await page.get_by_role("link", name="我的待办").click()
        # The appeal shows the entry appealed and the grounds, from the appellant's dossier.
        appeal = page.locator(f"tr[data-task='decide_appeal'][data-cadre='{cadre['subject']}']").filter(
            has_text="会议迟到被通报（待申诉）")
        await expect(appeal).to_contain_text("当日因公务接待迟到，有接待记录")
        await appeal.get_by_role("button", name="维持", exact=False).click()
        await expect(appeal.get_by_role("alert")).to_have_text("请填写决定理由")
        await appeal.get_by_role("textbox").fill("接待记录与通报时间不符，维持原事项")
        await w.shot("03-clerk-decides")
        await w.axe("clerk")
        await appeal.get_by_role("button", name="维持", exact=False).click()
        await expect(page.get_by_text("已维持原事项")).to_be_visible()
        await sign_out(page)

        await sign_in_as(w, console, cadre)
        await expect(page.get_by_test_id("appeal").filter(has_text="会议迟到被通报（待申诉）")).to_contain_text("维持")
        await expect(page.locator("tr[data-title='牵头完成港口物流园区招商']")).to_contain_text("已核实")
        await w.shot("04-cadre-sees-outcomes")
        w.check()


async def test_the_bulk_import_shows_each_refused_row(console: Console, browser: Browser, tmp_path: Path) -> None:
    clerk, cadre = console.person("clerk"), console.person("cadre", "deputy")
    columns = [c["name"] for c in (await api(console, clerk, "GET", "/imports/template",
                                             params={"operation": "record_entry"})).json()["columns"]]
    good = {"operation": "record_entry", "row_key": "console-import-1", "cadre_id": cadre["subject"], "kind": "positive",
            "category": "honour", "title": "获市级先进个人表彰（导入）", "points": "2", "effective_date": "2026-01-05",
            "basis.reason": "市委通报表扬", "basis.document": "组字〔2026〕8号"}
    bad = {**good, "row_key": "console-import-2", "title": "", "points": "两分"}
    csv = tmp_path / "entries.csv"
    header = dict(zip(columns, columns, strict=True))
    csv.write_text("\n".join(",".join(row.get(c, "") for c in columns) for row in (header, good, bad)) + "\n")
    async with watched(browser, "import", DESKTOP) as w:
        page = w.page
        await page.goto(f"{console.url}/console/")
        await sign_in_as(w, console, clerk)
        await page.get_by_role("link", name="批量导入").click()
        async with page.expect_download() as template:
            await page.get_by_role("button", name="下载模板（Excel）").click()
        assert (await template.value).suggested_filename == "import-record_entry.xlsx"
        await page.get_by_label("文件（CSV 或 Excel）").set_input_files(str(csv))
        await page.get_by_role("button", name="开始导入").click()
        await expect(page.get_by_test_id("import-summary")).to_have_text("共 2 行：记录 1，重复 0，拒绝 1")
        errors = page.get_by_test_id("import-error")
        await expect(errors.first).to_have_attribute("data-row", "2")
        await expect(errors.filter(has_text="title")).to_have_count(1)
        await w.shot("01-import-report")
        await w.axe("import")
        # The same file again records nothing new: the good row's key replays.
        await page.get_by_role("button", name="开始导入").click()
        await expect(page.get_by_test_id("import-summary")).to_have_text("共 2 行：记录 0，重复 1，拒绝 1")
        w.check()


async def test_a_cadre_page_as_the_system_knew_it_at_a_past_moment(console: Console, browser: Browser) -> None:
    clerk, cadre = console.person("clerk"), console.person("cadre", "deputy")
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    r = await api(console, clerk, "POST", f"/cadres/{cadre['subject']}/entries", headers={"Idempotency-Key": "known-at-1"},
                  json={"kind": "positive", "category": "honour", "title": "获省级表彰（之后记录）", "points": 2,
                        "effective_date": "2025-06-01", "basis": {"reason": "省委表彰", "document": "冀字〔2025〕1号"}})
    assert r.status_code in (200, 201), r.text
    for viewport, name in ((DESKTOP, "known-at"), (PHONE, "known-at-phone")):
        async with watched(browser, name, viewport) as w:
            page = w.page
            await page.goto(f"{console.url}/console/")
            await sign_in_as(w, console, clerk)
            await page.goto(f"{console.url}/console/#/cadres/{cadre['subject']}")
            await expect(page.get_by_role("cell", name="获省级表彰（之后记录）")).to_be_visible()
            at = before.isoformat().replace("+00:00", "Z")
            await page.goto(f"{console.url}/console/#/cadres/{cadre['subject']}?known_at={at}")
            await expect(page.get_by_test_id("known-at-banner")).to_contain_text("这是系统在")
            await expect(page.get_by_role("cell", name="获省级表彰（之后记录）")).to_have_count(0)
            await expect(page.get_by_role("button", name="记录一条清单事项")).to_have_count(0)
            await page.wait_for_load_state("networkidle")
            await w.shot("01-as-known")
            await w.axe("as-known")
            await page.get_by_role("button", name="回到现在").click()
            await expect(page.get_by_test_id("known-at-banner")).to_have_count(0)
            await expect(page.get_by_role("cell", name="获省级表彰（之后记录）")).to_be_visible()
            w.check()


async def test_what_if_with_its_refusal_by_field_and_the_lists_exported(console: Console, browser: Browser) -> None:
    clerk, cadre = console.person("clerk"), console.person("cadre", "member")
    for viewport, name in ((DESKTOP, "what-if"), (PHONE, "what-if-phone")):
        async with watched(browser, name, viewport) as w:
            page = w.page
            await page.goto(f"{console.url}/console/")
            await sign_in_as(w, console, clerk)
            await page.get_by_role("link", name="规则推演").click()
            await expect(page.get_by_role("heading", name="规则推演")).to_be_visible()
            await page.get_by_label("单位", exact=True).select_option(cadre["unit"])
            share = page.get_by_label("前列比例")
            await share.fill("2")  # a share is below 1: refused, the message next to the field
            w.allowed_status.add(422)
            await page.get_by_role("button", name="推演").click()
            await expect(share).to_have_attribute("aria-invalid", "true")
            await expect(page.locator("#wi-top_share-error")).not_to_be_empty()
            await share.fill("0.3")
            await page.get_by_label("任职年限下限（年）").fill("2")
            await page.get_by_role("button", name="推演").click()
            await expect(page.get_by_test_id("what-if-summary")).to_contain_text("符合提拔条件")
            await expect(page.get_by_test_id("what-if-change").first).to_be_visible()
            await page.wait_for_load_state("networkidle")
            if viewport is PHONE:
                await fits(w, "01-result")
                w.problems = [p for p in w.problems if "422" not in p]
                w.check()
                continue
            await w.shot("01-result")
            await w.axe("result")
            w.problems = [p for p in w.problems if "422" not in p]  # the refusal the test asked for

            # Lists the API also answers as workbooks (Accept negotiation) are offered as downloads.
            await page.get_by_role("link", name="排名", exact=True).click()
            async with page.expect_download() as ranking:
                await page.get_by_role("button", name="导出 Excel").click()
            assert (await ranking.value).suggested_filename.endswith(".xlsx")
            assert (await (await ranking.value).path()).read_bytes()[:2] == b"PK"  # a zip: the XLSX container
            await page.goto(f"{console.url}/console/#/cadres/{cadre['subject']}")
            async with page.expect_download() as sheet:
                await page.get_by_role("button", name="下载工作实绩鉴定表（PDF）").click()
            assert (await (await sheet.value).path()).read_bytes()[:5] == b"%PDF-"
            w.check()
