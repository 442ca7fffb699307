"""The demo ``shiji up`` loads: on first start, every read a newcomer tries answers with something (issue 15)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from services.demo_assessment import DEMO_SCHEME_PREFIX
from services.demo_city import DEMO_ROOT, DEMO_YEARS, demo_county
from services.embedded import EmbeddedSystem, embedded_system
from shared.settings import today as local_today


@pytest.fixture(scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[EmbeddedSystem, Path]]:
    data_dir = tmp_path_factory.mktemp("demo")
    async with embedded_system(data_dir) as system:
        yield system, data_dir


@pytest.fixture
async def clerk(demo: tuple[EmbeddedSystem, Path]) -> AsyncIterator[httpx.AsyncClient]:
    system, _ = demo
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=system.gateway), base_url="http://gateway",
                                 headers={"Authorization": f"Bearer {system.token(unit=DEMO_ROOT)}"}) as client:
        yield client


async def get(client: httpx.AsyncClient, path: str, **params: str) -> dict:
    r = await client.get(f"/api/v1{path}", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_demo_county_is_a_few_hundred_cadres_over_three_classes_and_four_years() -> None:
    on = dt.date(2026, 12, 6)
    rows = list(demo_county(on))
    assert rows == list(demo_county(on)), "the same day, the same rows"
    ops = Counter(r["operation"] for r in rows)
    assert 200 <= ops["register_cadre"] <= 500
    classes = Counter(r["body"]["unit_class"] for r in rows if r["operation"] == "register_unit"
                      and r["body"]["level"] == "unit")
    assert len(classes) == 3 and min(classes.values()) >= 10, classes  # ten chiefs a class: both ends show
    years = {r["params"]["year"] for r in rows if r["operation"] == "record_annual_grade"}
    assert years == set(range(on.year - DEMO_YEARS, on.year))
    assert max(dt.date.fromisoformat(r["body"]["effective_date"]) for r in rows if "effective_date" in r["body"]) <= on


async def test_after_loading_every_read_has_content(demo: tuple[EmbeddedSystem, Path], clerk: httpx.AsyncClient) -> None:
    system, _ = demo
    assert system.demo is not None and system.demo.cadres >= 200 and system.demo.events > system.demo.cadres * 10

    screenings = await get(clerk, "/screenings", unit=DEMO_ROOT)
    assert screenings["cadres"] == system.demo.cadres
    assert screenings["eligible"] and screenings["ineligible"], "both verdicts show"

    for leadership in ("chief", "deputy"):
        ranking = await get(clerk, "/rankings", **{"class": "economic_department", "leadership": leadership})
        bands = Counter(r["band"] for r in ranking["ranking"])
        assert bands["top"] and bands["bottom"], (leadership, bands)  # the two ends (两头)

    warnings = (await get(clerk, "/warnings", status="active"))["warnings"]
    assert {w["level"] for w in warnings} == {"yellow", "red"}
    assert any(w["kind"] == "bottom_of_ranking" for w in warnings), "the refresh after loading ranked everyone"

    year = local_today().year - 1
    for cadre in screenings["eligible"][:20]:  # most have entries last year; the sheet shows them per quarter
        sheet = await get(clerk, f"/cadres/{cadre}/appraisal-sheet", year=str(year))
        if any(q["items"] for q in sheet["quarters"]):
            break
    else:
        raise AssertionError(f"no appraisal sheet of {year} with entries among 20 eligible cadres")
    score = await get(clerk, f"/cadres/{cadre}/score")
    assert score["total"] != 0
    screening = await get(clerk, f"/cadres/{cadre}/screening")
    assert screening["verdict"] == "eligible" and all(r["source"] for r in screening["rules"])


async def test_last_years_assessment_has_composites_ranks_both_ends_and_explanations(
        demo: tuple[EmbeddedSystem, Path], clerk: httpx.AsyncClient) -> None:
    year = local_today().year - 1
    units = {r["body"]["unit_id"]: r["body"]["unit_class"] for r in demo_county(local_today())
             if r["operation"] == "register_unit" and r["body"]["level"] == "unit"}
    results = await get(clerk, f"/assessments/{DEMO_SCHEME_PREFIX}-{year}/results", year=str(year))
    lines = {line["subject_id"]: line for line in results["results"]}
    assert set(lines) == set(units), "every unit of the demo is a subject"
    for unit, line in lines.items():
        assert line["class_id"] == units[unit] and line["status"] == "complete", line
        assert line["composite"] is not None and line["rank"] and line["of"], line
    assert {e["class_id"] for e in results["two_ends"]} == set(units.values())
    assert all(e["top"] and e["bottom"] for e in results["two_ends"]), results["two_ends"]  # 两头 in every class
    assert len({line["calculated"] for line in lines.values()}) >= 2, "more than one grade shows"
    assert any(line["proposed"] == "fail" for line in lines.values()), "the breach vetoes one unit"

    top = results["two_ends"][0]["top"][0]
    explained = await get(clerk, f"/assessments/{DEMO_SCHEME_PREFIX}-{year}/subjects/{top}", year=str(year))
    work = next(c for c in explained["components"] if c["component_id"] == "work")
    assert {i["indicator_id"] for i in work["indicators"]} >= {"key_tasks", "handling_days", "projects",
                                                                "revitalisation"}
    assert all(i["event_ids"] for i in work["indicators"] if i["kind"] != "constraint")
    assert explained["standing"]["band"] == "top" and explained["proposal"]["fired"]
    # tracking through the year (step 6): warning notices, notices (one answered), a quarter's bulletins
    warned = await get(clerk, f"/assessments/{DEMO_SCHEME_PREFIX}-{year}/warning-notices", year=str(year))
    assert warned["notices"], "the demo's margin raises warning notices"
    notices = await get(clerk, f"/assessments/{DEMO_SCHEME_PREFIX}-{year}/notices", year=str(year))
    assert sorted(n["status"] for n in notices["notices"]) == ["answered", "open"]
    bulletins = await get(clerk, f"/assessments/{DEMO_SCHEME_PREFIX}-{year}/bulletins/{year}-Q2")
    assert {b["class_id"] for b in bulletins["bulletins"]} == set(units.values())
    assert all(line["entries"] for b in bulletins["bulletins"] for line in b["data"])


async def test_a_second_start_records_nothing_new(demo: tuple[EmbeddedSystem, Path]) -> None:
    system, data_dir = demo
    # The first system stays open (module fixture); a second wiring over a copy of its files, as a restart.
    import shutil

    copy = data_dir.parent / f"{data_dir.name}-restart"
    shutil.copytree(data_dir, copy)
    async with embedded_system(copy) as again:
        assert again.demo is not None and again.demo.events == 0 and again.demo.cadres == system.demo.cadres
