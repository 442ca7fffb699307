"""Knowing people and teams (issue 20) through the gateway on both wirings: the facts a portrait needs recorded
through the API and a bulk import, a portrait, a condition search, a team's report and moves on paper, each
figure computed by hand for a small team.

The world, under a county of its own: 发改局 (A, economic_department) with 甲 (chief), 乙 and 丙 (deputies); 民政局
(B, social_development_department) with 丁 (deputy) who knows finance.

  甲 born 1970-03-15; B deputy 副处级 2014-01-01..2019-05-31, then A chief 正处级 from 2019-06-01 (a promotion:
     the count at his level starts again); bachelor (economics, full-time) and master (management, in-service);
     professional field economy, familiar planning.
  乙 born 1985-08-20; B deputy 副处级 2018-03-01..2021-02-28, then A deputy 副处级 from 2021-03-01 (a transfer at
     the level: counted from 2018-03-01); master (engineering); urban_construction, familiar economy.
  丙 born 1978-12-31; A deputy 副处级 from 2023-01-01 (first post); recorded as associate (law), corrected to bachelor
     by an import; law.
  丁 born 1990-05-01; B deputy 副处级 from 2020-01-01; bachelor (economics); finance.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from services.portraits import dimensions
from shared.documents.xlsx import read_sheet
from tests.e2e.conftest import System
from tests.e2e.test_gateway import assert_problem, entry, key
from tests.e2e.test_scoring_features import eventually

BASIS = {"reason": "干部任免审批表", "document": "组干〔2025〕3号"}


def education(kind: str, level: str, major: str, discipline: str, completed_on: str, **more: Any) -> dict[str, Any]:
    degree = {"doctorate": "doctor", "master": "master", "bachelor": "bachelor"}.get(level, "none")
    return {"kind": kind, "level": level, "degree": degree, "major": major, "discipline": discipline,
            "institution": "某大学", "completed_on": completed_on, "basis": BASIS, **more}


def expertise(field_: str, familiar: list[str], day: str = "2019-06-01") -> dict[str, Any]:
    return {"professional_field": field_, "familiar_fields": familiar, "effective_date": day, "basis": BASIS}


@dataclass
class Team:
    system: System
    county: str
    a: str
    b: str
    ids: dict[str, str] = field(default_factory=dict)
    before_correction: str = ""  # a recorded time between 丙's first education and its correction

    def auth(self, role: str = "clerk", subject: str = "clerk-p", unit: str | None = None) -> dict[str, str]:
        return self.system.auth(role=role, subject=subject, unit=unit or self.county)

    async def ok(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
        r = await self.system.client.post(f"/api/v1{path}", json=body, headers={**(headers or self.auth()), **key()})
        assert r.status_code == 201, r.text
        return r.json()

    async def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
        r = await self.system.client.get(f"/api/v1{path}", params=params, headers=headers or self.auth())
        assert r.status_code == 200, r.text
        return r.json()


PEOPLE = {  # name: (birth date, [(unit, rank, leadership, start, end)])
    "甲": ("1970-03-15", [("b", "副处级", "deputy", "2014-01-01", "2019-05-31"), ("a", "正处级", "chief", "2019-06-01", None)]),
    "乙": ("1985-08-20", [("b", "副处级", "deputy", "2018-03-01", "2021-02-28"), ("a", "副处级", "deputy", "2021-03-01", None)]),
    "丙": ("1978-12-31", [("a", "副处级", "deputy", "2023-01-01", None)]),
    "丁": ("1990-05-01", [("b", "副处级", "deputy", "2020-01-01", None)]),
}


@pytest.fixture(scope="module")
async def team(system: System) -> Team:
    tag = uuid.uuid4().hex[:6]
    t = Team(system, f"pc-{tag}", f"pa-{tag}", f"pb-{tag}")
    city = system.auth()
    for unit_id, name, parent, level, unit_class in (
            (t.county, "画像区", "e2e-city", "county", "district"),
            (t.a, "发改局", t.county, "unit", "economic_department"),
            (t.b, "民政局", t.county, "unit", "social_development_department")):
        await t.ok("/units", {"unit_id": unit_id, "name": name, "parent_id": parent, "level": level,
                              "unit_class": unit_class}, city)
    for name, (birth, posts) in PEOPLE.items():
        cid = t.ids[name] = (await t.ok("/cadres", {"name": name, "unit_id": t.a}, city))["id"]
        await t.ok(f"/cadres/{cid}/basics", {"birth_date": birth, "gender": "男"},
                   t.auth("cadre", cid, t.a))
        for where, rank, leadership, start, end in posts:
            post = await t.ok(f"/cadres/{cid}/posts", {"unit_id": getattr(t, where), "position": "局长", "rank": rank,
                                                        "leadership": leadership, "start_date": start})
            if end:
                await t.ok(f"/cadres/{cid}/posts/{post['post_id']}/end", {"end_date": end, "reason": "调任"})
    jia, yi, bing, ding = (t.ids[n] for n in "甲乙丙丁")
    await t.ok(f"/cadres/{jia}/education", education("full_time", "bachelor", "经济学", "economics", "1992-07-01"))
    await t.ok(f"/cadres/{jia}/education", education("in_service", "master", "公共管理", "management", "2008-01-10"))
    await t.ok(f"/cadres/{jia}/expertise", expertise("economy", ["planning"]))
    await t.ok(f"/cadres/{yi}/education", education("full_time", "master", "土木工程", "engineering", "2010-07-01"))
    await t.ok(f"/cadres/{yi}/expertise", expertise("urban_construction", ["economy"]))
    await t.ok(f"/cadres/{bing}/education", education("full_time", "associate", "法律", "law", "1999-07-01"))
    await t.ok(f"/cadres/{bing}/expertise", expertise("law", []))
    await t.ok(f"/cadres/{ding}/education", education("full_time", "bachelor", "金融学", "economics", "2012-07-01"))
    await t.ok(f"/cadres/{ding}/expertise", expertise("finance", ["economy"]))
    await t.ok(f"/cadres/{jia}/external-results", {
        "source": "political_patrol", "title": "市委第三轮巡察", "effective_date": "2025-06-01", "conclusion": "positive",
        "findings": ["主体责任落实到位"], "basis": BASIS})
    events = (await t.get(f"/cadres/{bing}/events"))["events"]
    t.before_correction = events[-1]["recorded_at"]
    # The correction of 丙's education comes by a bulk import (the city's clerk: imports are the top level's).
    row = {"row_key": f"{bing}-edu-fix", "operation": "record_education", "params": {"cadre_id": bing},
           "body": education("full_time", "bachelor", "法学", "law", "1999-07-01", reason="学历证书核对更正")}
    r = await system.client.post("/api/v1/imports", content=(json.dumps(row, ensure_ascii=False) + "\n").encode(),
                                 headers={**city, "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200 and r.json()["recorded"] == 1, r.text
    return t


async def test_facts_are_events_with_both_clocks_and_bad_input_names_field_and_rule(team: Team) -> None:
    bing = team.ids["丙"]
    events = (await team.get(f"/cadres/{bing}/events"))["events"]
    educations = [e for e in events if e["type"] == "education_recorded"]
    assert [e["data"]["level"] for e in educations] == ["associate", "bachelor"]
    assert educations[0]["effective_date"] == "1999-07-01" and educations[1]["data"]["reason"] == "学历证书核对更正"
    r = await team.system.client.post(f"/api/v1/cadres/{bing}/education", headers={**team.auth(), **key()},
                                      json=education("full_time", "master", "法学", "law", "2005-07-01"))
    assert_problem(r, 422, "reason", "correction_has_reason")
    r = await team.system.client.post(f"/api/v1/cadres/{bing}/expertise", headers={**team.auth(), **key()},
                                      json=expertise("law", ["finance", "finance"]))
    assert_problem(r, 422)
    r = await team.system.client.post(f"/api/v1/cadres/{bing}/external-results", headers={**team.auth(), **key()},
                                      json={"source": "departure_evaluation", "title": "离任评估",
                                            "effective_date": "2024-01-01", "conclusion": "neutral",
                                            "findings": ["交接清楚"], "basis": BASIS})
    assert_problem(r, 422, "effective_date", "departure_after_leaving")
    again = {**key()}
    body = {"source": "special_inspection", "title": "专项巡查", "effective_date": "2024-01-01", "conclusion": "neutral",
            "findings": ["无问题"], "basis": BASIS}
    first = await team.system.client.post(f"/api/v1/cadres/{bing}/external-results", json=body,
                                          headers={**team.auth(), **again})
    second = await team.system.client.post(f"/api/v1/cadres/{bing}/external-results", json=body,
                                           headers={**team.auth(), **again})
    assert first.status_code == second.status_code == 201 and first.json() == second.json()
    assert second.headers.get("Idempotent-Replayed") == "true"


def _dimension(portrait: dict[str, Any], code: str) -> dict[str, Any]:
    return next(d for d in portrait["dimensions"] if d["code"] == code)


async def test_a_portrait_by_hand_as_of_dates_and_known_at(team: Team) -> None:
    jia, bing = team.ids["甲"], team.ids["丙"]
    p = await team.get(f"/cadres/{jia}/portrait", as_of="2025-12-31")
    assert [d["code"] for d in p["dimensions"]] == ["basics", "career", "points", "lists", "grades", "evaluations",
                                                     "integrity", "standing"]
    assert p["configuration"] == "portrait-2026.1"
    basics, career = _dimension(p, "basics")["figures"], _dimension(p, "career")["figures"]
    assert (basics["age"], basics["highest_level"], basics["professional_field"]) == (55, "master", "economy")
    assert basics["disciplines"] == ["economics", "management"] and basics["familiar_fields"] == ["planning"]
    assert (career["rank"], career["rank_since"], career["years_at_rank"]) == ("正处级", "2019-06-01", 6)
    assert career["came_from"]["unit_class"] == "social_development_department"
    assert career["unit_classes_served"] == ["economic_department", "social_development_department"]
    integrity = _dimension(p, "integrity")
    assert [r["title"] for r in integrity["figures"]["external_results"]] == ["市委第三轮巡察"]
    assert {r["type"] for r in integrity["records"]} == {"external_result_recorded"}
    assert "positive_mark" in _dimension(p, "standing")["figures"]["tags"]
    assert {r["type"] for r in _dimension(p, "basics")["records"]} >= {"cadre_registered", "education_recorded"}
    # Before the patrol's date its result is not in the portrait; before 2025-03-15 甲 is 54.
    early = await team.get(f"/cadres/{jia}/portrait", as_of="2025-03-14")
    assert _dimension(early, "basics")["figures"]["age"] == 54
    assert _dimension(early, "integrity")["figures"]["external_results"] == []
    # 丙: 46 the day before the birthday, 47 on it; two years at the level on 2025-12-31, three on 2026-01-01.
    eve = await team.get(f"/cadres/{bing}/portrait", as_of="2025-12-30")
    day = await team.get(f"/cadres/{bing}/portrait", as_of="2025-12-31")
    assert _dimension(eve, "basics")["figures"]["age"] == 46 and _dimension(day, "basics")["figures"]["age"] == 47
    assert _dimension(day, "career")["figures"]["years_at_rank"] == 2
    # Known at a moment before the correction: the associate education the record then held.
    then = await team.get(f"/cadres/{bing}/portrait", as_of="2025-12-31", known_at=team.before_correction)
    assert _dimension(then, "basics")["figures"]["highest_level"] == "associate"
    assert _dimension(day, "basics")["figures"]["highest_level"] == "bachelor"


async def test_portraits_are_the_organization_departments_and_logged(team: Team) -> None:
    jia = team.ids["甲"]
    r = await team.system.client.get(f"/api/v1/cadres/{jia}/portrait", headers=team.auth("cadre", jia, team.a))
    assert r.status_code == 403  # even one's own: a portrait is the organization department's read
    outside = team.system.auth(role="clerk", subject="clerk-elsewhere", unit=team.b)
    r = await team.system.client.get(f"/api/v1/cadres/{jia}/portrait", headers=outside)
    assert r.status_code == 404  # 甲 serves in A, outside B's jurisdiction
    await team.get(f"/cadres/{jia}/portrait", headers=team.auth(subject="clerk-logged"))
    log = await team.get("/access-log", headers=team.system.auth(role="audit_admin", subject="aa"),
                         subject="clerk-logged")
    assert [(e["action"], e["cadre_id"]) for e in log["entries"]] == [("get_portrait", jia)]


async def test_condition_search_by_hand(team: Team) -> None:
    async def names(**conditions: Any) -> list[str]:
        return [c["name"] for c in (await team.get("/cadre-search", as_of="2025-12-31", **conditions))["cadres"]]

    assert await names() == ["丁", "丙", "乙", "甲"]  # by name (code point order)
    assert await names(age_min=40, age_max=47) == ["丙", "乙"]
    assert await names(rank="副处级", years_at_rank_min=6) == ["乙"]
    assert await names(education_min="master") == ["乙", "甲"]
    assert await names(major="法") == ["丙"] and await names(discipline="economics") == ["丁", "甲"]
    assert await names(familiar_field="economy", unit_class="social_development_department") == ["丁"]
    assert await names(professional_field="economy") == ["甲"]
    assert await names(tag="positive_mark") == ["甲"]
    assert await names(sort="-age", limit=2) == ["甲", "丙"]
    page = await team.get("/cadre-search", as_of="2025-12-31", sort="age", limit=3)
    assert page["matched"] == 4 and page["next_offset"] == 3
    r = await team.system.client.get("/api/v1/cadre-search", params={"sort": "height"}, headers=team.auth())
    assert_problem(r, 422, "sort")
    r = await team.system.client.get("/api/v1/cadre-search", params={"as_of": "2025-12-31", "limit": 1},
                                     headers={**team.auth(), "Accept": "application/vnd.openxmlformats-officedocument"
                                                                       ".spreadsheetml.sheet"})
    assert r.status_code == 200 and r.content[:2] == b"PK"
    cells = [str(v) for line in read_sheet(r.content) for v in line]  # every match, whatever the page's limit
    assert all(name in cells for name in "甲乙丙丁")


async def test_a_teams_report_by_hand_and_before_a_correction(team: Team) -> None:
    report = await team.get(f"/units/{team.a}/team", as_of="2025-12-31")
    s = report["structure"]
    assert [m["name"] for m in s["members"]] == ["甲", "丙", "乙"]  # the chief first, then by name
    assert s["age"] == {"ages": [40, 47, 55], "average": 47.3, "spread": 15, "youngest": 40, "oldest": 55,
                        "generations": {"70后": 2, "80后": 1}, "unknown": 0}
    assert s["knowledge"]["levels"] == {"bachelor": 1, "master": 2}
    assert s["knowledge"]["disciplines"] == {"economics": 1, "engineering": 1, "law": 1, "management": 1}
    assert s["professional"] == {"economy": 1, "law": 1, "urban_construction": 1}
    assert s["career"] == {"first_post": 1, "other_class": 2}
    assert s["familiar_fields"] == {"economy": 1, "planning": 1}
    assert report["model"]["unit_class"] == "economic_department"
    assert report["gaps"] == [{"rule": "field_present", "parameters": {"field": "finance"},
                               "expected": "a member whose professional or familiar field is finance", "actual": []}]
    then = await team.get(f"/units/{team.a}/team", as_of="2025-12-31", known_at=team.before_correction)
    assert [g["rule"] for g in then["gaps"]] == ["education_share_at_least", "field_present"]
    assert then["gaps"][0]["actual"] == pytest.approx(0.6667)
    # Before 丙's post began the team had two members.
    assert (await team.get(f"/units/{team.a}/team", as_of="2022-12-31"))["structure"]["size"] == 2


async def test_moves_on_paper(team: Team) -> None:
    jia, yi, ding = team.ids["甲"], team.ids["乙"], team.ids["丁"]
    body = {"as_of": "2025-12-31", "moves": [{"kind": "in", "cadre_id": ding, "unit_id": team.a}]}
    r = await team.system.client.post("/api/v1/teams/what-if", json=body, headers=team.auth())
    assert r.status_code == 200, r.text
    answer = r.json()
    (a,) = [t for t in answer["teams"] if t["unit_id"] == team.a]
    assert a["before"]["gaps"][0]["rule"] == "field_present" and a["after"]["gaps"] == []
    assert a["after"]["structure"]["size"] == 4 and a["after"]["structure"]["age"]["ages"] == [35, 40, 47, 55]
    assert [c["cadre_id"] for c in answer["candidates"]] == [ding]
    swap = {"as_of": "2025-12-31", "moves": [{"kind": "swap", "cadre_id": yi, "unit_id": team.a,
                                              "other_cadre_id": ding, "other_unit_id": team.b},
                                             {"kind": "out", "cadre_id": jia, "unit_id": team.a}]}
    r = await team.system.client.post("/api/v1/teams/what-if", json=swap, headers=team.auth())
    assert r.status_code == 200, r.text
    after = {t["unit_id"]: t["after"] for t in r.json()["teams"]}
    assert [m["name"] for m in after[team.a]["structure"]["members"]] == ["丁", "丙"]
    assert "has_chief" in [g["rule"] for g in after[team.a]["gaps"]]
    assert [m["name"] for m in after[team.b]["structure"]["members"]] == ["乙"]
    wrong = {"moves": [{"kind": "out", "cadre_id": ding, "unit_id": team.a}]}
    r = await team.system.client.post("/api/v1/teams/what-if", json=wrong, headers=team.auth())
    assert_problem(r, 422, "moves.0.cadre_id", "member_of_team")
    # Nothing was recorded: the team as it was.
    assert (await team.get(f"/units/{team.a}/team", as_of="2025-12-31"))["structure"]["size"] == 3
    r = await team.system.client.post("/api/v1/teams/what-if", json=body, headers=team.auth("auditor", "aud"))
    assert r.status_code == 403
    _ = eventually  # scoring's part is read as it stands


async def test_a_portrait_read_again_after_a_write_shows_it(team: Team) -> None:
    """The dossier keeps folded streams between reads: a write in between must show at once."""
    ding = team.ids["丁"]
    first = await team.get(f"/cadres/{ding}/portrait", as_of="2025-12-31")
    assert _dimension(first, "basics")["figures"]["professional_field"] == "finance"
    await team.ok(f"/cadres/{ding}/expertise", {**expertise("planning", ["finance"], "2025-06-01"), "reason": "转岗"})
    again = await team.get(f"/cadres/{ding}/portrait", as_of="2025-12-31")
    assert _dimension(again, "basics")["figures"]["professional_field"] == "planning"
    assert again["version"] == first["version"] + 1
    earlier = await team.get(f"/cadres/{ding}/portrait", as_of="2025-05-31")  # before the new record counts
    assert _dimension(earlier, "basics")["figures"]["professional_field"] == "finance"


async def test_scorings_kept_standing_follows_an_entry_and_its_revocation(team: Team) -> None:
    """Scoring keeps the city's totals and bands between reads while its projection stands (standing_cache.py):
    after an entry and after its revocation, a search as held now shows them and equals one computed afresh (as
    known at that moment, which is never kept)."""
    yi = team.ids["乙"]
    fields = ("cadre_id", "total", "screening", "excluded_by", "tags", "active_warning")

    async def kept_and_fresh() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        kept = (await team.get("/cadre-search", sort="-total"))["cadres"]
        moment = dt.datetime.now(dt.UTC).isoformat()
        fresh = (await team.get("/cadre-search", sort="-total", known_at=moment))["cadres"]
        return [{k: c[k] for k in fields} for c in kept], [{k: c[k] for k in fields} for c in fresh]

    def total_of(rows: list[dict[str, Any]]) -> float:
        return next(c["total"] for c in rows if c["cadre_id"] == yi)

    async def scored() -> None:  # scoring has consumed the team's registrations (a search may come first)
        kept, fresh = await kept_and_fresh()
        assert total_of(kept) is not None and kept == fresh

    await eventually(scored)
    before, fresh = await kept_and_fresh()
    assert before == fresh
    added = await team.ok(f"/cadres/{yi}/entries", entry(points=7, title="专项表彰"))

    async def shows(expected: float) -> None:
        kept, fresh = await kept_and_fresh()
        assert total_of(kept) == expected and kept == fresh

    await eventually(lambda: shows(total_of(before) + 7))
    await team.ok(f"/cadres/{yi}/entries/{added['entry_id']}/revocation", {"reason": "撤销"})
    await eventually(lambda: shows(total_of(before)))


async def test_one_scoring_call_answers_as_the_four_did(team: Team) -> None:
    """A portrait asks scoring once (services/scoring/portrait_standing.py) where it asked four times: the portrait
    the gateway answers equals the one composed, as the gateway used to, from the dossier's facts and scoring's
    score, screening, active warnings and standing, each asked separately; as of dates, as held now and as known at
    a past moment."""
    assert team.system.internal is not None
    call = team.system.internal

    async def body(service: str, path: str, **params: Any) -> dict[str, Any]:
        r = await call(service, path, {k: v for k, v in params.items() if v is not None})
        assert r.status_code == 200, r.text
        return r.json()

    asked = [(name, as_of, None) for name in "甲乙丙丁" for as_of in ("2025-12-31", "2026-06-30")]
    asked.append(("丙", "2025-12-31", team.before_correction))
    async def same(cid: str, moment: dict[str, Any]) -> None:
        portrait = await team.get(f"/cadres/{cid}/portrait", **{k: v for k, v in moment.items() if v})
        facts = await body("dossier", "/v1/portrait-facts", cadre_id=cid, **moment)
        score = await body("scoring", f"/v1/cadres/{cid}/score", **moment)
        screening = await body("scoring", f"/v1/cadres/{cid}/screening", **moment)
        warned = (await body("scoring", "/v1/warnings", cadre_id=cid, status="active"))["warnings"]
        standing = (await body("scoring", "/v1/standing", cadre_id=cid, screening="false", **moment))["cadres"]
        bands = standing[0]["bands"] if standing else []
        old = dimensions.portrait(facts["cadres"][0], {"score": score, "screening": screening, "warnings": warned,
                                                       "ranked": dimensions.ranked(bands)})
        assert portrait == {**old, "known_at": facts["known_at"]}, moment
        one = await body("scoring", f"/v1/cadres/{cid}/portrait-standing", **moment)
        unstated = ("known_at", "position")  # the moment an answer states (now, when none is asked) and its position
        assert {k: v for k, v in one["score"].items() if k not in unstated} == \
            {k: v for k, v in score.items() if k not in unstated}
        assert one["screening"] == {k: v for k, v in screening.items() if k != "position"}
        assert one["warnings"] == [{k: w[k] for k in ("kind", "level", "detail", "raised_on")} for w in warned]
        assert one["bands"] == bands

    for name, as_of, known_at in asked:  # eventually: scoring may still be applying an earlier test's writes
        await eventually(lambda: same(team.ids[name], {"as_of": as_of, "known_at": known_at}))  # noqa: B023


async def test_standing_of_many_ids_in_a_body_answers_as_the_query_does(team: Team) -> None:
    """``POST /v1/standing`` (the ids in a JSON body: a search over a city passes thousands) answers what ``GET``
    answers for the same ids, in their order, an unknown id left out; bad input is a 422 naming the field."""
    assert team.system.internal is not None
    call = team.system.internal
    ids = [team.ids[n] for n in "丁甲丙"] + ["nobody"]
    for moment in ({}, {"as_of": "2025-12-31"}, {"known_at": dt.datetime.now(dt.UTC).isoformat()}):
        got = await call("scoring", "/v1/standing", {"cadre_id": ids, **moment})
        posted = await call("scoring", "/v1/standing", {"json": {"cadre_ids": ids, **moment}})
        assert got.status_code == posted.status_code == 200, posted.text
        assert posted.json() == got.json() and [c["cadre_id"] for c in posted.json()["cadres"]] == ids[:3]
    unit = await call("scoring", "/v1/standing", {"json": {"unit": team.a, "screening": False}})
    assert unit.status_code == 200 and {c["cadre_id"] for c in unit.json()["cadres"]} >= {team.ids["甲"]}
    assert all(c["screening"] is None for c in unit.json()["cadres"])
    bad = await call("scoring", "/v1/standing", {"json": {"cadre_ids": [""], "extra": 1}})
    assert bad.status_code == 422, bad.text


async def test_a_result_revoked_through_the_api_and_an_import_leaves_the_portrait(team: Team) -> None:
    """A result of another source, revoked (with a reason, by the API or a bulk import), is in no portrait on any
    day from then on, and still in the portrait as known before the revocation; revoking it again is refused."""
    yi = team.ids["乙"]
    body = {"source": "special_inspection", "title": "专项巡查", "effective_date": "2024-05-01", "conclusion": "negative",
            "findings": ["整改不力"], "basis": BASIS}
    first = (await team.ok(f"/cadres/{yi}/external-results", body))["result_id"]
    second = (await team.ok(f"/cadres/{yi}/external-results", {**body, "title": "第二次专项巡查"}))["result_id"]

    async def shown(**params: Any) -> list[str]:
        p = await team.get(f"/cadres/{yi}/portrait", as_of="2025-12-31", **params)
        return [r["result_id"] for r in _dimension(p, "integrity")["figures"]["external_results"]]
    assert await shown() == sorted([first, second]) and "negative_mark" in _dimension(
        await team.get(f"/cadres/{yi}/portrait", as_of="2025-12-31"), "standing")["figures"]["tags"]
    before = (await team.get(f"/cadres/{yi}/events"))["events"][-1]["recorded_at"]
    await team.ok(f"/cadres/{yi}/external-results/{first}/revocation", {"reason": "巡察组复核后撤回"})
    row = {"row_key": f"{second}-revoked", "operation": "revoke_external_result",
           "params": {"cadre_id": yi, "result_id": second}, "body": {"reason": "来源更正"}}
    r = await team.system.client.post("/api/v1/imports", content=(json.dumps(row, ensure_ascii=False) + "\n").encode(),
                                      headers={**team.system.auth(), "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200 and r.json()["recorded"] == 1, r.text
    assert await shown() == []
    assert await shown(known_at=before) == sorted([first, second])
    p = await team.get(f"/cadres/{yi}/portrait", as_of="2025-12-31")
    assert "negative_mark" not in _dimension(p, "standing")["figures"]["tags"]
    again = await team.system.client.post(f"/api/v1/cadres/{yi}/external-results/{first}/revocation",
                                          json={"reason": "再撤"}, headers={**team.auth(), **key()})
    assert again.status_code in (409, 422), again.text
    nothing = await team.system.client.post(f"/api/v1/cadres/{yi}/external-results/{uuid.uuid4()}/revocation",
                                            json={"reason": "无"}, headers={**team.auth(), **key()})
    assert nothing.status_code in (404, 422), nothing.text
    empty = await team.system.client.post(f"/api/v1/cadres/{yi}/external-results/{second}/revocation",
                                          json={"reason": ""}, headers={**team.auth(), **key()})
    assert_problem(empty, 422, "reason")
