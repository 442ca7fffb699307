"""The console's main journey in a real browser (issue 17), at desktop and phone width:

a cadre drafts and submits a quarterly report, their leader finds it in 我的待办 and endorses it, a clerk
finds the cadre through 干部查询, records a negative entry from the catalogue and sees the cadre's points and
screening change, and an auditor finds each step in the access log. Every page is checked
for console errors, failed requests and axe-core violations (conftest.py).
"""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import DESKTOP, PHONE, Console, sign_in_as, sign_out, watched


def quarter(today: dt.date) -> str:
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


@pytest.fixture(params=["embedded", "production"])
def wired(request: pytest.FixtureRequest) -> Console:
    """The console on either wiring: the embedded demo, or the three processes on PostgreSQL and Kafka."""
    return request.getfixturevalue("console" if request.param == "embedded" else "production_console")


async def test_the_main_journey_from_report_to_access_log(wired: Console, browser: Browser) -> None:
    console = wired
    cadre, leader = console.person("cadre", "member"), console.person("leader")
    clerk, auditor = console.person("clerk"), console.person("auditor")
    period = quarter(dt.date.today())
    async with watched(browser, "desktop" if console.demo else "production", DESKTOP) as w:
        page = w.page
        await page.goto(f"{console.url}/console/")
        if console.demo:
            await expect(page.get_by_role("heading", name="演示县（秦皇岛）人员")).to_be_visible()
        else:  # no demo sign-in on the production wiring: only the token to paste
            await expect(page.get_by_role("heading", name="演示县（秦皇岛）人员")).to_have_count(0)
            await expect(page.get_by_role("textbox", name="令牌（Bearer token）")).to_be_visible()
        await w.shot("01-sign-in")
        await w.axe("sign-in")

        # The cadre: their dossier and chart; a quarterly report drafted and submitted.
        await sign_in_as(w, console, cadre)
        await expect(page.get_by_role("heading", name=f"我的实绩档案 · {cadre['name']}")).to_be_visible()
        await expect(page.get_by_test_id("score-summary")).to_contain_text("近三年动态积分")
        await page.get_by_label("季度", exact=True).select_option(period)
        await page.get_by_label("重点工作完成情况").fill("完成全年招商引资任务的百分之八十")
        await page.get_by_label("上级交办指标任务进展").fill("三项指标按期推进")
        await page.get_by_label("最满意的工作").fill("营商环境评价提升")
        await page.get_by_label("最不满意的工作").fill("项目落地偏慢")
        await page.get_by_role("button", name="提交", exact=True).click()
        row = page.locator(f"tr[data-period='{period}']")
        await expect(row.get_by_test_id("report-status")).to_have_text("已提交")
        await w.shot("02-cadre-submitted")
        await w.axe("cadre")
        await sign_out(page)

        # The leader finds it in 我的待办 and endorses it; it leaves the list.
        await sign_in_as(w, console, leader)
        await page.get_by_role("link", name="我的待办").click()
        await expect(page.get_by_role("heading", name="我的待办")).to_be_visible()
        task = page.locator(f"tr[data-task='endorse_report'][data-cadre='{cadre['subject']}'][data-subject='{period}']")
        await expect(task).to_contain_text(cadre["name"])
        await page.wait_for_load_state("networkidle")
        await w.shot("03-leader-tasks")
        await w.axe("leader-tasks")
        await page.get_by_role("button", name=f"审核通过 {cadre['name']} {period}").click()
        await expect(page.get_by_text("已审核通过")).to_be_visible()
        await expect(task).to_have_count(0)
        await w.shot("04-leader-endorsed")
        await sign_out(page)

        # The clerk sees their tasks, finds the cadre through 干部查询 and records a negative entry.
        await sign_in_as(w, console, clerk)
        await page.get_by_role("link", name="我的待办").click()
        await expect(page.get_by_test_id("no-tasks").or_(page.get_by_test_id("task").first)).to_be_visible()
        await w.shot("05-clerk-tasks")
        await w.axe("clerk-tasks")
        await page.get_by_role("link", name="干部查询").click()
        await expect(page.get_by_test_id("cadre-row").first).to_be_visible()
        await page.get_by_label("姓名", exact=True).fill(cadre["name"])
        await page.get_by_role("button", name="查询", exact=True).click()
        found = page.get_by_test_id("cadre-row")
        await expect(found.filter(has_text=cadre["name"]).first).to_be_visible()
        await expect(found.filter(has_not_text=cadre["name"])).to_have_count(0)
        await w.shot("06-clerk-search")
        await w.axe("clerk-search")
        await found.get_by_role("link", name=cadre["name"], exact=True).first.click()
        summary = page.get_by_test_id("score-summary")
        await expect(summary).to_contain_text("近三年动态积分")
        points_rule = page.locator("tr[data-rule='net_negative_points_and_register']").get_by_test_id("rule-reason")
        before_summary, before_rule = await summary.inner_text(), await points_rule.inner_text()
        await w.shot("07-clerk-cadre-before")
        await w.axe("clerk-cadre")

        async with httpx.AsyncClient() as client:
            categories = (await client.get(f"{console.url}/api/v1/categories", headers={
                "Authorization": f"Bearer {clerk['token']}"})).json()["categories"]
        worst = min((c for c in categories if c["kind"] == "negative" and not c["sanction"]), key=lambda c: c["min_points"])
        await page.get_by_label("类别", exact=True).select_option(worst["code"])
        await expect(page.get_by_test_id("entry-range")).to_contain_text(f"分值范围 {worst['min_points']:g} 至")
        await page.get_by_label("事项", exact=True).fill("重点项目推进不力被通报")
        await page.get_by_label("分值", exact=True).fill(str(worst["min_points"]))
        await page.get_by_role("button", name="记录一条清单事项").click()
        await expect(page.get_by_text("必须填写依据").first).to_be_visible()  # the basis is required
        await page.get_by_label("事由（依据）").fill("市委督查通报")
        await page.get_by_label("文件依据").fill("秦督字〔2026〕7号")
        await page.get_by_role("button", name="记录一条清单事项").click()
        await expect(summary).not_to_have_text(before_summary, timeout=10_000)
        await expect(points_rule).not_to_have_text(before_rule)
        await expect(page.get_by_role("cell", name="重点项目推进不力被通报")).to_be_visible()
        await w.shot("08-clerk-cadre-after")
        await sign_out(page)

        # The auditor sees the three steps in the access log.
        await sign_in_as(w, console, auditor)
        await page.get_by_role("link", name="访问日志").click()
        await page.get_by_label("干部编号", exact=True).fill(cadre["subject"])
        await page.get_by_role("button", name="筛选").click()
        log = page.get_by_test_id("log-row")
        for action in ("submit_report", "endorse_report", "record_entry"):
            await expect(log.filter(has_text=action).first).to_be_visible()
        await w.shot("09-auditor-access-log")
        await w.axe("access-log")
        w.check()


async def test_every_page_at_phone_width(console: Console, browser: Browser) -> None:
    cadre, leader, clerk = console.person("cadre", "member"), console.person("leader"), console.person("clerk")
    async with watched(browser, "phone", PHONE) as w:
        page = w.page

        async def fits(step: str) -> None:
            await w.shot(step)
            await w.axe(step)
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{step}: the page is {width} px wide at {PHONE['width']} px"

        await page.goto(f"{console.url}/console/")
        await expect(page.get_by_role("heading", name="演示县（秦皇岛）人员")).to_be_visible()
        await fits("01-sign-in")
        await sign_in_as(w, console, cadre)
        await expect(page.get_by_test_id("score-summary")).to_be_visible()
        await page.wait_for_load_state("networkidle")
        await fits("02-my-dossier")
        await sign_out(page)
        await sign_in_as(w, console, leader)
        await page.get_by_role("link", name="我的待办").click()
        await expect(page.get_by_test_id("no-tasks").or_(page.get_by_test_id("task").first)).to_be_visible()
        await fits("03-leader-tasks")
        await sign_out(page)
        await sign_in_as(w, console, clerk)
        await page.get_by_role("link", name="干部查询").click()
        await expect(page.get_by_test_id("cadre-row").first).to_be_visible()
        await page.wait_for_load_state("networkidle")
        await fits("04-clerk-search")
        await page.get_by_role("link", name="单位与干部").click()
        await page.get_by_role("button", name="海港区 展开或收起").click()
        await page.get_by_role("button", name="海港区发展和改革局").click()
        await page.get_by_role("link", name=cadre["name"], exact=True).click()
        await expect(page.get_by_test_id("verdict")).to_be_visible()
        # Each screening rule is a card at this width: its reason is on the screen, not behind a sideways scroll.
        for reason in await page.get_by_test_id("rule-reason").all():
            await reason.scroll_into_view_if_needed()
            box = await reason.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        await fits("05-cadre")
        for link, step in (("排名", "06-rankings"), ("预警", "07-warnings"), ("批量导入", "08-imports"),
                           ("规则推演", "09-what-if")):
            await page.get_by_role("link", name=link, exact=True).click()
            await expect(page.get_by_role("heading", name=link, exact=True)).to_be_visible()
            await page.wait_for_load_state("networkidle")
            await fits(step)
        w.check()


async def test_a_rejected_token_sends_the_user_back_with_a_message(console: Console, browser: Browser) -> None:
    async with watched(browser, "token", DESKTOP) as w:
        page = w.page
        await page.goto(f"{console.url}/console/")
        await expect(page.get_by_role("heading", name="演示县（秦皇岛）人员")).to_be_visible()
        await page.get_by_role("textbox", name="令牌（Bearer token）").fill("not-a-token")
        await page.get_by_role("button", name="登录", exact=True).click()
        await expect(page.locator("form").get_by_role("alert")).to_have_text("这不是一个有效的令牌。")
        # A well-formed token the gateway does not accept (another key): the first call answers 401.
        forged = re.sub(r"\.[^.]+$", ".c2lnbmF0dXJl", console.person("cadre")["token"])
        w.allowed_status.add(401)
        await page.get_by_role("textbox", name="令牌（Bearer token）").fill(forged)
        await page.get_by_role("button", name="登录", exact=True).click()
        await expect(page.get_by_test_id("notice")).to_have_text("令牌未被接受（已过期或签名无效），请重新登录。")
        w.problems = [p for p in w.problems if "401" not in p]  # the browser logs the 401 it was shown
        w.check()
