"""The console with the keyboard alone and in English (issue 17), in a real browser on the embedded demo:

a cadre signs in, drafts and submits a quarterly report and signs out pressing only Tab, typing and Enter
(the focus always visible, the skip link first); and the cadre-to-leader part of the main journey in English,
at desktop and phone width. Each page is checked for console errors, failed requests and axe-core violations.
"""

from __future__ import annotations

import datetime as dt

from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP, PHONE, Console, sign_in_as, sign_out, watched
from tests.browser.test_console_journey import quarter


async def tab_to(page: Page, selector: str, limit: int = 400) -> None:
    """Press Tab until the focus is on ``selector``: what a keyboard user does to reach a control."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


async def test_a_cadre_submits_a_report_with_the_keyboard_alone(console: Console, browser: Browser) -> None:
    cadre = [p for p in console.people if p["role"] == "cadre" and p["leadership"] == "deputy"][1]
    period = quarter(dt.date.today())
    async with watched(browser, "keyboard", DESKTOP) as w:
        page = w.page
        await page.goto(f"{console.url}/console/")
        await expect(page.get_by_role("heading", name="演示县（秦皇岛）人员")).to_be_visible()
        await page.keyboard.press("Tab")
        await expect(page.get_by_role("link", name="跳到主要内容")).to_be_focused()
        await tab_to(page, f"button[aria-label^='以此身份登录 {cadre['name']}（']")
        await page.keyboard.press("Enter")
        await expect(page.get_by_test_id("who")).to_contain_text(cadre["subject"])
        for field, text in (("key_work", "完成年度重点项目三项"), ("indicator_progress", "指标按期推进"),
                            ("most_satisfied", "项目审批提速"), ("least_satisfied", "调研不够深入")):
            await tab_to(page, f"#report-{field}")
            await page.keyboard.type(text)
        await tab_to(page, "[data-testid=report-submit]")
        outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", "the focused button shows no focus ring"
        await w.shot("01-submit-focused")
        await page.keyboard.press("Enter")
        await expect(page.locator(f"tr[data-period='{period}']").get_by_test_id("report-status")).to_have_text("已提交")
        await expect(page.get_by_test_id("notice-report")).to_have_text("已提交，等待上级审核")
        await w.axe("keyboard")
        await tab_to(page, "[data-testid=sign-out]")  # on past the page's end, round to the header
        await page.keyboard.press("Enter")
        await expect(page.get_by_test_id("notice")).to_have_text("已退出。")
        w.check()


async def test_the_console_in_english(console: Console, browser: Browser) -> None:
    cadre = [p for p in console.people if p["role"] == "cadre" and p["leadership"] == "member"][2]
    leader = console.person("leader")
    period = quarter(dt.date.today())
    for viewport, name in ((DESKTOP, "english"), (PHONE, "english-phone")):
        async with watched(browser, name, viewport) as w:
            page = w.page
            await page.goto(f"{console.url}/console/")
            await page.get_by_role("button", name="English").click()
            await expect(page.get_by_role("heading", name="People of the demo county (Qinhuangdao)")).to_be_visible()
            assert await page.evaluate("document.documentElement.lang") == "en"
            await w.shot("01-sign-in")
            await w.axe("sign-in")
            await sign_in_as(w, console, cadre, lang="en")
            await expect(page.get_by_role("heading", name=f"My performance dossier · {cadre['name']}")).to_be_visible()
            await expect(page.get_by_test_id("score-summary")).to_contain_text("points over three years")
            if viewport is DESKTOP:
                await page.get_by_label("Key work completed").fill("Three key projects finished")
                await page.get_by_label("Progress on assigned indicators").fill("On schedule")
                await page.get_by_label("Most satisfied with").fill("Faster approvals")
                await page.get_by_label("Least satisfied with").fill("Too little field research")
                await page.get_by_role("button", name="Submit", exact=True).click()
                status = page.locator(f"tr[data-period='{period}']").get_by_test_id("report-status")
                await expect(status).to_have_text("Submitted")
            await page.wait_for_load_state("networkidle")
            await w.shot("02-cadre")
            await w.axe("cadre")
            await sign_out(page, lang="en")
            await sign_in_as(w, console, leader, lang="en")
            await page.get_by_role("link", name="My tasks").click()
            task = page.locator(f"tr[data-task='endorse_report'][data-cadre='{cadre['subject']}'][data-subject='{period}']")
            await expect(task).to_contain_text(cadre["name"])
            await page.wait_for_load_state("networkidle")
            await w.shot("03-leader-tasks")
            await w.axe("leader-tasks")
            if viewport is PHONE:
                await task.get_by_role("button", name=f"Endorse {cadre['name']} {period}").click()
                await expect(page.get_by_text("Endorsed", exact=True)).to_be_visible()
                await expect(task).to_have_count(0)
            w.check()
