"""Finding cadres and what waits (issue 15 item 7), through the gateway on both wirings: the cadre list of a
jurisdiction searched by unit subtree, name, post and leadership, page by page; a leader's and a clerk's tasks
appearing and going as reports, achievements and appeals move; screening, ranking and warning rows that name
the cadre and their unit.

The world, under a county of its own: 发改局 (unit_a: 王建国 chief, 王芳 deputy, 李明 member), 公安局 (unit_b:
张伟 chief; 赵王氏 registered there with no post); in another county, 王外 (member of other_u)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from services.gateway.docs import REQUEST_EXAMPLES as E
from tests.e2e.conftest import System
from tests.e2e.test_dossier_workflows import last_quarter
from tests.e2e.test_gateway import BASIS, assert_problem, key, today
from tests.e2e.test_scoring_features import eventually

PEOPLE = (("王建国", "a", "局长", "chief"), ("王芳", "a", "副局长", "deputy"), ("李明", "a", "科员", "member"),
          ("张伟", "b", "局长", "chief"), ("赵王氏", "b", None, None), ("王外", "other", "科员", "member"))


@dataclass
class Town:
    system: System
    county: str
    other_county: str
    units: dict[str, str]  # a, b, other -> unit id
    unit_class: str
    ids: dict[str, str]  # name -> cadre id

    def auth(self, role: str = "clerk", subject: str = "clerk-f", unit: str | None = None) -> dict[str, str]:
        return self.system.auth(role=role, subject=subject, unit=unit or self.county)

    def leader(self, name: str) -> dict[str, str]:
        return self.auth("leader", self.ids[name], self.units["a"])

    def cadre(self, name: str) -> dict[str, str]:
        return self.auth("cadre", self.ids[name], self.units["a"])

    async def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
        r = await self.system.client.get(f"/api/v1{path}", params=params, headers=headers or self.auth())
        assert r.status_code == 200, r.text
        return r.json()

    async def names(self, headers: dict[str, str] | None = None, **params: Any) -> list[str]:
        return [c["name"] for c in (await self.get("/cadres", headers, **params))["cadres"]]

    async def ok(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
        r = await self.system.client.post(f"/api/v1{path}", json=body, headers={**(headers or self.auth()), **key()})
        assert r.status_code == 201, r.text
        return r.json()


@pytest.fixture(scope="module")
async def town(system: System) -> Town:
    tag = uuid.uuid4().hex[:6]
    county, other_county = f"fc-{tag}", f"fo-{tag}"
    units = {"a": f"fa-{tag}", "b": f"fb-{tag}", "other": f"fx-{tag}"}
    city = system.auth()
    t = Town(system, county, other_county, units, f"fclass_{tag}", {})
    for unit_id, name, parent, level, unit_class in (
            (county, "检索区", "e2e-city", "county", "district"), (other_county, "外区", "e2e-city", "county", "district"),
            (units["a"], "发改局", county, "unit", t.unit_class), (units["b"], "公安局", county, "unit", "law_enforcement"),
            (units["other"], "外局", other_county, "unit", "law_enforcement")):
        await t.ok("/units", {"unit_id": unit_id, "name": name, "parent_id": parent, "level": level,
                              "unit_class": unit_class}, city)
    for name, where, position, leadership in PEOPLE:
        t.ids[name] = (await t.ok("/cadres", {"name": name, "unit_id": units[where]}, city))["id"]
        if position:
            await t.ok(f"/cadres/{t.ids[name]}/posts", {"unit_id": units[where], "position": position, "rank": "处级",
                                                       "leadership": leadership, "start_date": "2020-01-01"}, city)
    return t


def in_order(names: list[str]) -> bool:
    return names == sorted(names)


async def test_search_by_each_criterion_alone_and_combined(town: Town) -> None:
    everyone = await town.names()
    assert set(everyone) == {"王建国", "王芳", "李明", "张伟", "赵王氏"} and in_order(everyone)
    assert set(await town.names(unit=town.units["a"])) == {"王建国", "王芳", "李明"}
    assert set(await town.names(unit=town.units["b"])) == {"张伟", "赵王氏"}  # 赵王氏: no post, her home unit
    assert set(await town.names(name="王")) == {"王建国", "王芳", "赵王氏"}
    assert set(await town.names(post="局长")) == {"王建国", "王芳", "张伟"}  # 副局长 holds 局长
    assert set(await town.names(leadership="chief")) == {"王建国", "张伟"}
    assert set(await town.names(leadership="member")) == {"李明"}
    assert await town.names(name="王", leadership="chief") == ["王建国"]
    assert await town.names(name="王", post="副") == ["王芳"]
    assert await town.names(unit=town.units["b"], leadership="chief", post="局长") == ["张伟"]
    assert await town.names(unit=town.units["b"], name="王建") == []
    assert await town.names(name="%") == [] and await town.names(name="_") == []  # wildcards are literal
    [row] = (await town.get("/cadres", name="王芳"))["cadres"]
    assert row == {"cadre_id": town.ids["王芳"], "name": "王芳", "unit_id": town.units["a"], "unit_name": "发改局",
                   "posts": [{"post_id": row["posts"][0]["post_id"], "unit_id": town.units["a"], "unit_name": "发改局",
                              "position": "副局长", "leadership": "deputy", "start_date": "2020-01-01"}]}


async def test_pages_go_through_every_cadre_once(town: Town) -> None:
    whole = (await town.get("/cadres", limit=500))
    assert whole["next"] is None
    seen, cursor, pages = [], None, 0
    while True:
        page = await town.get("/cadres", limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [c["cadre_id"] for c in page["cadres"]]
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == [c["cadre_id"] for c in whole["cadres"]] and len(set(seen)) == len(seen) == 5
    assert pages == 3  # 2 + 2 + 1
    assert_problem(await town.system.client.get("/api/v1/cadres", params={"cursor": "bm90LWEtY3Vyc29y"},
                                                headers=town.auth()), 422, "cursor", "cursor_format")


async def test_a_clerk_finds_only_within_their_jurisdiction(town: Town) -> None:
    assert "王外" not in await town.names(name="王")
    assert_problem(await town.system.client.get("/api/v1/cadres", params={"unit": town.units["other"]},
                                                headers=town.auth()), 404)
    other = town.auth(subject="clerk-o", unit=town.other_county)
    r = await town.get("/cadres", headers=other, name="王")
    assert [c["name"] for c in r["cadres"]] == ["王外"]
    assert set(await town.names(headers=town.auth("auditor", "auditor-f"))) == {"王建国", "王芳", "李明", "张伟", "赵王氏"}
    for headers in (town.cadre("李明"), town.leader("王建国")):
        assert_problem(await town.system.client.get("/api/v1/cadres", headers=headers), 403)


async def tasks(town: Town, headers: dict[str, str]) -> list[tuple[str, str, str]]:
    found = (await town.get("/tasks", headers))["tasks"]
    return [(t["task"], t["name"], t["subject_id"]) for t in found]


async def test_a_leaders_tasks_come_and_go_with_reports_and_achievements(town: Town) -> None:
    period, li = last_quarter(), town.ids["李明"]
    chief, deputy, other_chief = town.leader("王建国"), town.leader("王芳"), town.auth("leader", town.ids["张伟"])
    await town.ok(f"/cadres/{li}/quarterly-reports/{period}/draft", E["save_report"], town.cadre("李明"))
    assert await tasks(town, chief) == []  # a draft waits for nobody
    await town.ok(f"/cadres/{li}/quarterly-reports/{period}/submission", {}, town.cadre("李明"))
    assert await tasks(town, chief) == await tasks(town, deputy) == [("endorse_report", "李明", period)]
    assert await tasks(town, other_chief) == []
    [task] = (await town.get("/tasks", chief))["tasks"]
    assert task["unit_name"] == "发改局" and task["action"] == f"/cadres/{li}/quarterly-reports/{period}/endorsement"
    await town.ok(f"/cadres/{li}/quarterly-reports/{period}/return", {"comment": "补充"}, chief)
    assert await tasks(town, chief) == []
    await town.ok(f"/cadres/{li}/quarterly-reports/{period}/submission", {}, town.cadre("李明"))
    assert await tasks(town, chief) == [("endorse_report", "李明", period)]
    await town.ok(f"/cadres/{li}/quarterly-reports/{period}/endorsement", {"comment": "同意"}, chief)
    assert await tasks(town, chief) == await tasks(town, deputy) == []

    claimed = await town.ok(f"/cadres/{li}/achievements", E["claim_achievement"], town.cadre("李明"))
    deputy_own = await town.ok(f"/cadres/{town.ids['王芳']}/achievements", {**E["claim_achievement"], "title": "副职"},
                               deputy)
    assert await tasks(town, deputy) == [("verify_achievement", "李明", claimed["achievement_id"])]
    assert await tasks(town, chief) == [("verify_achievement", "李明", claimed["achievement_id"]),
                                        ("verify_achievement", "王芳", deputy_own["achievement_id"])]
    page = await town.get("/tasks", chief, limit=1)
    assert len(page["tasks"]) == 1 and page["next"]
    rest = await town.get("/tasks", chief, limit=1, cursor=page["next"])
    assert [t["subject_id"] for t in page["tasks"] + rest["tasks"]] == [claimed["achievement_id"],
                                                                         deputy_own["achievement_id"]]
    await town.ok(f"/cadres/{li}/achievements/{claimed['achievement_id']}/verification", E["verify_achievement"],
                  deputy)
    await town.ok(f"/cadres/{town.ids['王芳']}/achievements/{deputy_own['achievement_id']}/rejection",
                  {"reason": "不属实"}, chief)
    assert await tasks(town, chief) == await tasks(town, deputy) == []
    for headers in (town.cadre("李明"), town.auth("auditor", "auditor-f")):
        assert_problem(await town.system.client.get("/api/v1/tasks", headers=headers), 403)


async def test_a_clerks_tasks_are_the_appeals_of_their_jurisdiction(town: Town) -> None:
    li = town.ids["李明"]
    entry = await town.ok(f"/cadres/{li}/entries", {
        "kind": "negative", "category": "work_style", "title": "通报批评", "points": -1,
        "effective_date": (today() - dt.timedelta(days=10)).isoformat(), "basis": BASIS})
    other = town.auth(subject="clerk-o", unit=town.other_county)
    assert await tasks(town, town.auth()) == []
    appeal = await town.ok(f"/cadres/{li}/entries/{entry['entry_id']}/appeals", E["file_appeal"], town.cadre("李明"))
    assert await tasks(town, town.auth()) == [("decide_appeal", "李明", appeal["appeal_id"])]
    assert await tasks(town, town.system.auth()) == [("decide_appeal", "李明", appeal["appeal_id"])]  # the city's
    assert await tasks(town, other) == [] and await tasks(town, town.leader("王建国")) == []
    await town.ok(f"/cadres/{li}/appeals/{appeal['appeal_id']}/decision", E["decide_appeal"])
    assert await tasks(town, town.auth()) == []


async def test_screening_ranking_and_warning_rows_name_the_cadre_and_unit(town: Town) -> None:
    zhang = town.ids["张伟"]
    await town.ok(f"/cadres/{zhang}/entries", {
        "kind": "negative", "category": "work_style", "title": "通报批评", "points": -3,
        "effective_date": (today() - dt.timedelta(days=20)).isoformat(), "basis": BASIS})

    async def warned() -> dict[str, Any]:
        rows = (await town.get("/warnings", cadre_id=zhang))["warnings"]
        assert len(rows) == 1, rows
        return rows[0]

    row = await eventually(warned)
    assert (row["name"], row["unit_id"], row["unit_name"]) == ("张伟", town.units["b"], "公安局")

    async def ranked() -> list[dict[str, Any]]:
        r = (await town.get("/rankings", **{"class": town.unit_class, "leadership": "chief"}))["ranking"]
        assert [x["name"] for x in r] == ["王建国"], r
        return r

    [first] = await eventually(ranked)
    assert (first["unit_id"], first["unit_name"]) == (town.units["a"], "发改局")
    screened = await town.get("/screenings", unit=town.units["a"])
    rows = screened["eligible_cadres"] + screened["ineligible"] + screened["undetermined"]
    assert {(r["name"], r["unit_name"]) for r in rows} == {("王建国", "发改局"), ("王芳", "发改局"), ("李明", "发改局")}
    assert [r["cadre_id"] for r in screened["eligible_cadres"]] == screened["eligible"]
