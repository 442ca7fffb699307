"""A real browser on the web console: Debian's Chromium driven by Playwright's async API.

The console is built by ``scripts/build-console`` (a no-op when unchanged) and served by an embedded Shiji
with the demo county on a loopback port. Every page a test opens is watched: a console error, an uncaught
exception, a failed request or an answer of 400 and above fails the test (``Watched.check``), and so does any
axe-core violation at WCAG 2.x A/AA (``Watched.axe``). Screenshots go to ``test-output/console/``
(``SHIJI_TEST_OUTPUT`` to choose). A missing browser fails the run: install it with
``apt-get install -y chromium`` (scripts/test does); never ``playwright install``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from services.demo_city import DEMO_ROOT
from services.demo_sign_in import find_demo_people
from services.embedded import EmbeddedSystem, embedded_system, import_demo
from shared.settings import today
from tests.conftest import KAFKA, PG, require_server
from tests.e2e.test_operations import eventually, metric
from tests.support.loopback import serve_on_loopback
from tests.support.production import production_system

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("SHIJI_CHROMIUM", "/usr/bin/chromium")
OUTPUT = Path(os.environ.get("SHIJI_TEST_OUTPUT", ROOT / "test-output")) / "console"
AXE = ROOT / "console" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass
class Console:
    url: str  # the gateway's base URL
    system: EmbeddedSystem | None  # None on the production wiring (three processes)
    people: list[dict]
    demo: bool = True  # the embedded wiring's demo sign-in; the production wiring's users paste a token

    def person(self, role: str, leadership: str | None = None) -> dict:
        return next(p for p in self.people if p["role"] == role and (leadership is None or p["leadership"] == leadership))


@pytest.fixture(scope="session")
def console_built() -> Path:
    subprocess.run([str(ROOT / "scripts" / "build-console")], check=True, cwd=ROOT)
    return ROOT / "console" / "dist"


@pytest.fixture(scope="session")
async def console(console_built: Path, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Console]:
    async with embedded_system(tmp_path_factory.mktemp("console")) as system, serve_on_loopback(system.gateway) as url:
        async with httpx.AsyncClient() as client:
            people = (await client.get(f"{url}/demo/people")).json()["people"]
        yield Console(url, system, people)


@pytest.fixture(scope="session")
async def production_console(console_built: Path, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Console]:
    """The production wiring (``shiji serve dossier|scoring|gateway`` on PostgreSQL and Kafka) with the demo county
    imported through its API. It has no demo sign-in: the people are found as a clerk finds them, and each is
    given a token signed with the deployment's key, which the browser pastes on the sign-in page."""
    require_server("PostgreSQL", PG.hostport)
    require_server("Kafka", KAFKA.bootstrap)
    async with production_system(PG, KAFKA, log_dir=tmp_path_factory.mktemp("production")) as s:
        async with httpx.AsyncClient(base_url=s.gateway_url, timeout=60, verify=s.tls) as client:
            async def settle(report: dict) -> None:
                async def applied() -> bool:
                    text = (await client.get(f"{s.scoring_url}/metrics")).text
                    return (metric(text, "shiji_scoring_events_applied_total") >= report["events"]
                            and metric(text, "shiji_scoring_consumer_lag_messages") == 0)
                await eventually(applied, "scoring applying the demo county", timeout_s=300)

            await import_demo(client, s.token, today("Asia/Shanghai"), settle)
            client.headers["Authorization"] = f"Bearer {s.token(role='clerk', subject='demo-clerk', unit=DEMO_ROOT)}"
            people = await find_demo_people(client, DEMO_ROOT)
        yield Console(s.gateway_url, None, [{**p, "token": s.token(role=p["role"], subject=p["subject"], unit=p["unit"])}
                                             for p in people], demo=False)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no browser at {CHROMIUM}: install Debian's with `apt-get install -y chromium` "
                    "(scripts/test does it); the console's tests never skip", pytrace=False)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        await browser.close()


@dataclass
class Watched:
    """A page whose errors are collected as they happen."""

    page: Page
    name: str
    problems: list[str] = field(default_factory=list)
    allowed_status: set[int] = field(default_factory=set)

    async def shot(self, step: str) -> Path:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        path = OUTPUT / f"{self.name}-{step}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        return path

    async def axe(self, step: str) -> None:
        if not await self.page.evaluate("typeof window.axe !== 'undefined'"):
            await self.page.add_script_tag(content=AXE.read_text())
        result = await self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
            ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))", AXE_TAGS)
        assert not result, f"axe-core violations on {self.name}/{step}: {result}"

    def check(self) -> None:
        assert not self.problems, f"{self.name}: " + "; ".join(self.problems)


# The labels of the sign-in page, by the console's language.
SIGN_IN = {"zh": ("登录", "以此身份登录", "退出", "已退出。"), "en": ("Sign in", "Sign in as", "Sign out", "Signed out.")}


async def sign_in_as(w: Watched, console: Console, person: dict, lang: str = "zh") -> None:
    """From the sign-in page: the demo's button of ``person`` where the wiring has one, else their token pasted."""
    page = w.page
    heading, button, _, _ = SIGN_IN[lang]
    await expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    if console.demo:
        await page.get_by_role("button", name=f"{button} {person['name']}（", exact=False).first.click()
    else:
        await page.locator("#token").fill(person["token"])
        await page.get_by_role("button", name=heading, exact=True).click()
    await expect(page.get_by_test_id("who")).to_contain_text(person["subject"])


async def sign_out(page: Page, lang: str = "zh") -> None:
    _, _, button, notice = SIGN_IN[lang]
    await page.get_by_role("button", name=button).click()
    await expect(page.get_by_test_id("notice")).to_have_text(notice)


@contextlib.asynccontextmanager
async def watched(browser: Browser, name: str, viewport: dict) -> AsyncIterator[Watched]:
    context: BrowserContext = await browser.new_context(viewport=viewport, locale="zh-CN")
    page = await context.new_page()
    w = Watched(page, name)
    page.on("console", lambda m: w.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: w.problems.append(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: w.problems.append(f"request failed: {r.method} {r.url} {r.failure}"))
    page.on("response", lambda r: w.problems.append(f"answer {r.status}: {r.request.method} {r.url}")
            if r.status >= 400 and r.status not in w.allowed_status else None)
    try:
        yield w
    finally:
        await context.close()

