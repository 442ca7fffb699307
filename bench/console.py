"""The web console's figures (issue 17) on the embedded default with the demo county, in Debian's Chromium:

- first load: the bytes the browser downloads (as sent: gzip from the gateway) for the sign-in page, and
  what a cadre's dossier page adds (ECharts and the page's chunks), from Playwright's request sizes;
- time to the first meaningful page on loopback: navigation start to the demo's people listed on the sign-in
  page (a fresh browser context each run, so nothing is cached), and from a demo sign-in to the cadre's points;
- each page's slowest API call: every /api/v1 request a page makes while it loads (until none has been under
  way for half a second), request start to last byte in the browser, the slowest per page, median over runs.

    .venv/bin/python -m bench.console --runs 5        (needs scripts/build-console and /usr/bin/chromium)

No PostgreSQL or Kafka: the embedded wiring runs in this process (uvicorn on a loopback port), like
``scripts/up``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
from playwright.async_api import Browser, Page, async_playwright, expect

from bench.machine import machine, median
from services.embedded import embedded_system
from tests.support.loopback import serve_on_loopback

CHROMIUM = "/usr/bin/chromium"
# Each page, the role that opens it and how to reach it (the hash route) once signed in.
PAGES = [
    ("cadre", "我的档案", "/me", "score-summary"),
    ("leader", "我的待办", "/tasks", None),
    ("clerk", "干部查询", "/search", "cadre-row"),
    ("clerk", "单位与干部", "/units?unit=qhd-haigang-fgw", None),
    ("clerk", "干部档案", "/cadres/{cadre}", "verdict"),
    ("clerk", "排名", "/rankings", None),
    ("clerk", "综合考评", "/assessments", "result-row"),
    ("clerk", "综合考评 · 单位", "/assessments/{scheme}/{year}/qhd-haigang-fgw", "composite"),
    ("clerk", "预警", "/warnings", None),
    ("clerk", "规则推演", "/what-if", None),
    ("auditor", "访问日志", "/access-log", None),
]


async def first_load(browser: Browser, url: str, cadre: dict) -> tuple[float, float, int, int]:
    """(ms to the sign-in page's people, ms from a sign-in to the cadre's points, bytes of the sign-in page,
    bytes the dossier page adds), in a fresh context."""
    context = await browser.new_context(locale="zh-CN")
    page = await context.new_page()
    sizes: dict[str, int] = {}

    async def sized(response) -> None:
        if "/console/" in response.url:
            sizes[response.url] = (await response.request.sizes())["responseBodySize"]

    page.on("response", lambda r: asyncio.ensure_future(sized(r)))
    await page.goto(f"{url}/console/")
    await expect(page.get_by_role("button", name=f"以此身份登录 {cadre['name']}（", exact=False).first).to_be_visible()
    to_people = await page.evaluate("performance.now()")
    await page.wait_for_load_state("networkidle")
    sign_in = sum(sizes.values())
    started = await page.evaluate("performance.now()")
    await page.get_by_role("button", name=f"以此身份登录 {cadre['name']}（", exact=False).first.click()
    await expect(page.get_by_test_id("score-summary")).to_be_visible()
    to_points = await page.evaluate("performance.now()") - started
    await page.wait_for_load_state("networkidle")
    dossier = sum(sizes.values()) - sign_in
    await context.close()
    return to_people, to_points, sign_in, dossier


class ApiCalls:
    """The /api/v1 requests of a page: those under way, and those done with their time (request start to last
    byte, Playwright's ``responseEnd``) and path."""

    def __init__(self, page: Page) -> None:
        self.inflight: set = set()
        self.done: list[tuple[float, str]] = []
        page.on("request", lambda r: self.inflight.add(r) if "/api/v1/" in r.url else None)
        page.on("requestfinished", self._finished)
        page.on("requestfailed", lambda r: self.inflight.discard(r))

    def _finished(self, request) -> None:
        if request in self.inflight:
            self.inflight.discard(request)
            self.done.append((request.timing["responseEnd"], request.url.split("/api/v1", 1)[1].split("?")[0]))


async def slowest_calls(browser: Browser, url: str, people: dict[str, dict],
                        route: dict[str, str]) -> dict[str, tuple[float, str]]:
    """The slowest /api/v1 call of each page as it loads: (ms, path), by Playwright's request timing."""
    out: dict[str, tuple[float, str]] = {}
    for role in ("cadre", "leader", "clerk", "auditor"):
        context = await browser.new_context(locale="zh-CN")
        page: Page = await context.new_page()
        await page.goto(f"{url}/console/")
        await page.get_by_role("button", name=f"以此身份登录 {people[role]['name']}（", exact=False).first.click()
        await expect(page.get_by_test_id("who")).to_be_visible()
        calls = ApiCalls(page)
        for page_role, name, path, ready in PAGES:
            if page_role != role:
                continue
            calls.done.clear()
            await page.goto(f"{url}/console/#{path.format(**route)}")
            if ready:
                await expect(page.get_by_test_id(ready).first).to_be_visible(timeout=15_000)
            # The page has loaded when no call of it has been under way for half a second.
            quiet_since = time.monotonic()
            while time.monotonic() - quiet_since < 0.5:
                await asyncio.sleep(0.05)
                if calls.inflight:
                    quiet_since = time.monotonic()
            out[name] = max(calls.done, default=(0.0, "—"))
        await context.close()
    return out


async def main(runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="shiji-console-bench-") as data:
        started = time.monotonic()
        async with embedded_system(Path(data)) as system, serve_on_loopback(system.gateway) as url:
            print(f"demo county loaded in {time.monotonic() - started:.0f} s")
            async with httpx.AsyncClient() as client:
                listed = (await client.get(f"{url}/demo/people")).json()["people"]
                config = (await client.get(f"{url}/console/config.json")).json()["assessment"]
            people: dict[str, dict] = {}
            for person in listed:  # the first of each role
                people.setdefault(person["role"], person)
            route = {"cadre": people["cadre"]["subject"], "scheme": config["scheme_id"], "year": str(config["year"])}
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                loads = [await first_load(browser, url, people["cadre"]) for _ in range(runs)]
                calls: dict[str, list[float]] = defaultdict(list)
                paths: dict[str, str] = {}
                for _ in range(runs):
                    for name, (ms, path) in (await slowest_calls(browser, url, people, route)).items():
                        calls[name].append(ms)
                        paths[name] = path
                await browser.close()
    print(machine())
    print(f"runs: {runs}; medians")
    print(f"sign-in page, bytes downloaded (gzip as sent): {median([x[2] for x in loads]) / 1000:.1f} kB")
    print(f"a cadre's dossier page adds: {median([x[3] for x in loads]) / 1000:.1f} kB")
    print(f"navigation → the demo's people listed: {median([x[0] for x in loads]):.0f} ms "
          f"(runs: {', '.join(f'{x[0]:.0f}' for x in loads)})")
    print(f"sign-in click → the cadre's points shown: {median([x[1] for x in loads]):.0f} ms "
          f"(runs: {', '.join(f'{x[1]:.0f}' for x in loads)})")
    print("| page | slowest API call (median) | max of runs | call |")
    print("|---|---|---|---|")
    for name, values in calls.items():
        print(f"| {name} | {median(values):.0f} ms | {max(values):.0f} ms | `{paths[name]}` |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
