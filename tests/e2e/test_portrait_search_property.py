"""Condition search (issue 20) against a brute-force filter over the same generated town: every condition
alone and in random combinations (Hypothesis), through the gateway (embedded wiring), and what-if on teams
leaves the event store and every projection unchanged (checksums before and after).

The town is generated (seeded): 48 cadres in four units of two classes, each with a birth date, a current post
(some after an earlier post of the same or another rank), education, fields, annual grades, list entries and
other sources' results, loaded by a bulk import (basics through the API: a cadre fills in their own). The
brute force reads only what was generated, computed here in its own way (ages and years counted by
birthdays, totals summed over the window), except what scoring decides by rules of its own: the screening
verdict (its ``/screenings``) and the ranking bands (its ``/rankings``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text

from services.embedded import EmbeddedSystem, embedded_system
from tests.e2e.test_scoring_features import eventually

AS_OF = dt.date(2025, 12, 31)
LEVELS = ("doctorate", "master", "bachelor", "associate", "secondary")
DISCIPLINES = ("economics", "law", "engineering", "management", "science")
MAJORS = {"economics": "区域经济学", "law": "法学", "engineering": "土木工程", "management": "公共管理",
          "science": "应用数学"}
FIELDS = ("economy", "finance", "law", "planning", "social_affairs")
RANKS = ("正处级", "副处级", "正科级")
GRADES = ("excellent", "competent", "basically_competent", "incompetent")
CLASSES = ("economic_department", "social_development_department")
BASIS = {"reason": "生成", "document": "测试〔2025〕1号"}


@dataclass
class Person:
    cadre_id: str
    name: str
    unit: str
    birth: dt.date
    rank: str
    leadership: str
    rank_since: dt.date
    education: list[tuple[str, str, str]]  # (kind, level, discipline)
    professional: str
    familiar: list[str]
    grades: dict[int, str]
    entries: list[tuple[dt.date, float]]
    conclusions: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)


def generate(tag: str, rng: random.Random) -> tuple[dict[str, str], list[Person]]:
    units = {f"g{tag}-{n}": CLASSES[n % 2] for n in range(4)}
    people = []
    for n in range(48):
        unit = list(units)[n % 4]
        birth = dt.date(rng.randint(1962, 1996), rng.randint(1, 12), rng.randint(1, 28))
        rank, leadership = rng.choice(RANKS), ("chief" if n < 4 else rng.choice(("deputy", "deputy", "member")))
        start = dt.date(rng.randint(2016, 2025), rng.randint(1, 12), 1)
        earlier = rng.choice((None, "same", "other"))
        since = start
        education = [("full_time", rng.choice(LEVELS), rng.choice(DISCIPLINES))]
        if rng.random() < 0.4:
            education.append(("in_service", rng.choice(LEVELS[:3]), rng.choice(DISCIPLINES)))
        p = Person(str(uuid.uuid4()), f"人{n:02d}", unit, birth, rank, leadership, since, education,
                   rng.choice(FIELDS), rng.sample(FIELDS, rng.randint(0, 3)),
                   {y: rng.choice(GRADES) for y in (2022, 2023, 2024) if rng.random() < 0.85},
                   [(dt.date(rng.randint(2021, 2025), rng.randint(1, 12), rng.randint(1, 28)),
                     rng.choice((3, 1.5, -1, -2))) for _ in range(rng.randint(0, 4))],
                   rng.sample(("positive", "neutral", "negative"), rng.randint(0, 2)))
        rows = p.rows
        rows.append(_row(p, "register_cadre", {"name": p.name, "unit_id": unit}, new="cadre_id"))
        if earlier:
            old_start = dt.date(start.year - rng.randint(2, 5), start.month, 1)
            old_rank = rank if earlier == "same" else next(r for r in RANKS if r != rank)
            rows.append(_row(p, "assign_post", {"unit_id": list(units)[(n + 1) % 4], "position": "原职",
                                                "rank": old_rank, "leadership": "deputy",
                                                "start_date": old_start.isoformat()}, new="post_id", key="old"))
            rows.append(_row(p, "end_post", {"end_date": (start - dt.timedelta(days=1)).isoformat(), "reason": "调任"},
                             post="old"))
            if earlier == "same":
                p.rank_since = old_start
        rows.append(_row(p, "assign_post", {"unit_id": unit, "position": "现职", "rank": rank, "leadership": leadership,
                                            "start_date": start.isoformat()}, new="post_id", key="now"))
        for kind, level, discipline in education:
            rows.append(_row(p, "record_education", {
                "kind": kind, "level": level, "degree": "none", "major": MAJORS[discipline], "discipline": discipline,
                "institution": "某大学", "completed_on": f"{2000 + len(rows)}-07-01", "basis": BASIS}))
        rows.append(_row(p, "record_expertise", {"professional_field": p.professional, "familiar_fields": p.familiar,
                                                 "effective_date": "2015-01-01", "basis": BASIS}))
        for year, grade in p.grades.items():
            rows.append(_row(p, "record_annual_grade", {"grade": grade}, year=year))
        for day, points in p.entries:
            kind, category = ("positive", "honour") if points > 0 else ("negative", "work_style")
            rows.append(_row(p, "record_entry", {"kind": kind, "category": category, "title": "生成", "points": points,
                                                 "effective_date": day.isoformat(), "basis": BASIS}))
        for conclusion in p.conclusions:
            rows.append(_row(p, "record_external_result", {
                "source": "special_inspection", "title": "专项巡查", "effective_date": "2024-05-01",
                "conclusion": conclusion, "findings": ["生成"], "basis": BASIS}))
        people.append(p)
    return units, people


def _row(p: Person, operation: str, body: dict[str, Any], new: str | None = None, key: str | None = None,
         post: str | None = None, year: int | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"cadre_id": p.cadre_id}
    if new == "post_id":
        params["post_id"] = str(uuid.uuid4())
        setattr(p, f"post_{key}", params["post_id"])
    if post:
        params["post_id"] = getattr(p, f"post_{post}")
    if year:
        params["year"] = year
    return {"row_key": str(uuid.uuid4()), "operation": operation, "params": params, "body": body}


def birthdays(birth: dt.date, day: dt.date) -> int:
    return sum(1 for y in range(birth.year + 1, day.year + 1) if dt.date(y, birth.month, birth.day) <= day)


@dataclass
class Town:
    system: EmbeddedSystem
    client: httpx.AsyncClient
    county: str
    units: dict[str, str]
    people: list[Person]
    screening: dict[str, str]
    bands: dict[str, set[str]]
    warned: set[str] = field(default_factory=set)

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.system.token(role='clerk', subject='clerk-g', unit=self.county)}"}


@pytest.fixture(scope="module")
async def town(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Town]:
    async with embedded_system(tmp_path_factory.mktemp("search"), demo=False) as system:
        transport = httpx.ASGITransport(app=system.gateway)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=60) as client:
            tag = uuid.uuid4().hex[:4]
            units, people = generate(tag, random.Random(20))
            city = {"Authorization": f"Bearer {system.token(role='clerk', subject='city', unit=f'g{tag}-city')}"}
            county = f"g{tag}-county"
            r = await client.post("/api/v1/units", json={"unit_id": f"g{tag}-city", "name": "市", "level": "city",
                                                         "unit_class": "city"}, headers={**city, "Idempotency-Key": tag})
            assert r.status_code == 201, r.text
            rows = [{"operation": "register_unit", "body": {"unit_id": county, "name": "区", "level": "county",
                                                            "parent_id": f"g{tag}-city", "unit_class": "district"}},
                    *({"operation": "register_unit", "body": {"unit_id": u, "name": u, "level": "unit",
                                                              "parent_id": county, "unit_class": c}}
                      for u, c in units.items()),
                    *(r for p in people for r in p.rows)]
            r = await client.post("/api/v1/imports", content="\n".join(json.dumps(x, ensure_ascii=False) for x in rows),
                                  headers={**city, "Content-Type": "application/x-ndjson"})
            assert r.status_code == 200 and r.json()["refused"] == 0, r.text
            for p in people:
                me = {"Authorization": f"Bearer {system.token(role='cadre', subject=p.cadre_id, unit=p.unit)}",
                      "Idempotency-Key": str(uuid.uuid4())}
                r = await client.post(f"/api/v1/cadres/{p.cadre_id}/basics", json={"birth_date": p.birth.isoformat()},
                                      headers=me)
                assert r.status_code == 201, r.text
            t = Town(system, client, county, units, people, {}, {})
            await eventually(lambda: _scored(t), timeout_s=60)
            yield t


async def _scored(t: Town) -> None:
    """Scoring has every cadre and their totals; its verdicts, warnings and bands are read for the brute force."""
    r = await t.client.get("/api/v1/screenings", params={"unit": t.county, "as_of": AS_OF.isoformat()},
                           headers=t.auth())
    body = r.json()
    assert body["cadres"] == len(t.people), body["cadres"]
    for p in t.people:
        s = await t.client.get(f"/api/v1/cadres/{p.cadre_id}/score", params={"as_of": AS_OF.isoformat()},
                               headers=t.auth())
        assert s.json()["total"] == pytest.approx(total(p)), p.name
    t.screening = {c: "eligible" for c in body["eligible"]}
    t.screening.update({c["cadre_id"]: "ineligible" for c in body["ineligible"]})
    t.screening.update({c["cadre_id"]: "undetermined" for c in body["undetermined"]})
    warnings = (await t.client.get("/api/v1/warnings", params={"status": "active", "limit": 500},
                                   headers=t.auth())).json()
    t.warned = {w["cadre_id"] for w in warnings["warnings"]}
    t.bands = {}
    groups = [{"class": c, "leadership": lead} for c in CLASSES for lead in ("chief", "deputy")]
    for params in [*groups, *({"team": u} for u in t.units)]:
        ranking = (await t.client.get("/api/v1/rankings", params={**params, "as_of": AS_OF.isoformat()},
                                      headers=t.auth())).json()
        for line in ranking["ranking"]:
            if line["band"]:
                t.bands.setdefault(line["cadre_id"], set()).add(line["band"])


def total(p: Person) -> float:
    since = AS_OF.replace(year=AS_OF.year - 3)
    return sum(points for day, points in p.entries if since < day <= AS_OF)


def tags(t: Town, p: Person) -> set[str]:
    bands = t.bands.get(p.cadre_id, set())
    found = {"top"} if "top" in bands else {"bottom"} if "bottom" in bands else set()
    found |= {f"{c}_mark" for c in p.conclusions if c != "neutral"}
    return found


def brute(t: Town, p: Person, c: dict[str, Any]) -> bool:
    age = birthdays(p.birth, AS_OF)
    levels = [level for _, level, _ in p.education]
    disciplines = {d for _, _, d in p.education}
    checks = {
        "age_min": lambda v: age >= v, "age_max": lambda v: age <= v, "rank": lambda v: p.rank == v,
        "years_at_rank_min": lambda v: birthdays(p.rank_since, AS_OF) >= v,
        "education_min": lambda v: min(LEVELS.index(x) for x in levels) <= LEVELS.index(v),
        "major": lambda v: any(v in MAJORS[d] for d in disciplines), "discipline": lambda v: v in disciplines,
        "professional_field": lambda v: p.professional == v, "familiar_field": lambda v: v in p.familiar,
        "unit_class": lambda v: t.units[p.unit] == v,
        "grade_at_least": lambda v: all(p.grades.get(y) in GRADES[:GRADES.index(v) + 1] for y in (2022, 2023, 2024)),
        "points_min": lambda v: total(p) >= v, "points_max": lambda v: total(p) <= v,
        "screening": lambda v: t.screening[p.cadre_id] == v, "active_warning": lambda v: (p.cadre_id in t.warned) == v,
        "tag": lambda v: v in tags(t, p),
    }
    return all(checks[name](value) for name, value in c.items())


CONDITIONS = {
    "age_min": st.integers(28, 64), "age_max": st.integers(28, 64), "rank": st.sampled_from(RANKS),
    "years_at_rank_min": st.integers(0, 9), "education_min": st.sampled_from(LEVELS),
    "major": st.sampled_from(("法", "经济", "工程", "公共")), "discipline": st.sampled_from(DISCIPLINES),
    "professional_field": st.sampled_from(FIELDS), "familiar_field": st.sampled_from(FIELDS),
    "unit_class": st.sampled_from(CLASSES), "grade_at_least": st.sampled_from(GRADES[:3]),
    "points_min": st.sampled_from((-3.0, 0.0, 1.5, 4.5)), "points_max": st.sampled_from((-1.0, 0.0, 3.0, 6.0)),
    "screening": st.sampled_from(("eligible", "ineligible", "undetermined")),
    "active_warning": st.sampled_from((False, True)), "tag": st.sampled_from(("top", "bottom", "positive_mark",
                                                                             "negative_mark")),
}


async def searched(t: Town, conditions: dict[str, Any]) -> list[str]:
    params = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in conditions.items()}
    r = await t.client.get("/api/v1/cadre-search", params={**params, "as_of": AS_OF.isoformat(), "limit": 500},
                           headers=t.auth())
    assert r.status_code == 200, r.text
    return [c["cadre_id"] for c in r.json()["cadres"]]


@pytest.mark.parametrize("name", sorted(CONDITIONS))
async def test_each_condition_alone_matches_the_brute_force(town: Town, name: str) -> None:
    values = {"age_min": (30, 45, 60), "age_max": (35, 50), "years_at_rank_min": (1, 4, 8),
              "points_min": (-3.0, 0.0, 4.5), "points_max": (-1.0, 3.0)}.get(name)
    domain = values or {"rank": RANKS, "education_min": LEVELS, "major": ("法", "经济"), "discipline": DISCIPLINES,
                        "professional_field": FIELDS, "familiar_field": FIELDS, "unit_class": CLASSES,
                        "grade_at_least": GRADES[:3], "screening": ("eligible", "ineligible", "undetermined"),
                        "active_warning": (False, True), "tag": ("top", "bottom", "positive_mark",
                                                                 "negative_mark")}[name]
    for value in domain:
        expected = sorted((p for p in town.people if brute(town, p, {name: value})), key=lambda p: p.name)
        assert await searched(town, {name: value}) == [p.cadre_id for p in expected], (name, value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(sorted(CONDITIONS)), st.none(), min_size=2, max_size=5).flatmap(
    lambda names: st.fixed_dictionaries({n: CONDITIONS[n] for n in names})))
async def test_conditions_in_combination_match_the_brute_force(town: Town, conditions: dict[str, Any]) -> None:
    expected = sorted((p for p in town.people if brute(town, p, conditions)), key=lambda p: p.name)
    assert await searched(town, conditions) == [p.cadre_id for p in expected], conditions


def sort_key(t: Town, p: Person, key: str) -> Any:
    return {"name": p.name, "age": birthdays(p.birth, AS_OF), "total": total(p),
            "years_at_rank": birthdays(p.rank_since, AS_OF)}[key]


@pytest.mark.parametrize("conditions", [{}, {"age_min": 35, "education_min": "bachelor"},
                                        {"familiar_field": "finance", "screening": "eligible"},
                                        {"rank": "副处级"}, {"points_min": 0.0, "major": "经济"}])
@pytest.mark.parametrize("sort", ["name", "-age", "total", "-total", "years_at_rank", "-years_at_rank"])
async def test_pages_in_every_order_match_the_brute_force(town: Town, conditions: dict[str, Any], sort: str) -> None:
    """The page is cut after the order (built for the page's cadres alone): pages of 7 walk every match once, in the
    brute force's order (ties by name, then id), with ``matched`` and ``next_offset`` saying how far."""
    key, descending = sort.lstrip("-"), sort.startswith("-")
    found = sorted((p for p in town.people if brute(town, p, conditions)), key=lambda p: (p.name, p.cadre_id))
    expected = [p.cadre_id for p in sorted(found, key=lambda p: sort_key(town, p, key), reverse=descending)]
    walked, offset = [], 0
    while offset is not None:
        r = await town.client.get("/api/v1/cadre-search", params={**conditions, "sort": sort, "limit": 7,
                                                                  "offset": offset, "as_of": AS_OF.isoformat()},
                                  headers=town.auth())
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["matched"] == len(expected) and len(body["cadres"]) == min(7, len(expected) - offset)
        walked += [c["cadre_id"] for c in body["cadres"]]
        offset = body["next_offset"]
    assert walked == expected


async def _checksum(engine: Any) -> str:
    """Every row of every table but the access log (every read adds its line, by design), in a stable order."""
    digest = hashlib.sha256()
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: sorted(inspect(c).get_table_names()))
        for name in names:
            if name == "access_log":
                continue
            rows = (await conn.execute(text(f'SELECT * FROM "{name}"'))).all()
            digest.update(name.encode())
            for line in sorted(repr(tuple(r)) for r in rows):
                digest.update(line.encode())
    return digest.hexdigest()


async def test_what_if_on_teams_changes_no_store_and_no_projection(town: Town) -> None:
    engines = (town.system.dossier.state.engine, town.system.scoring.state.engine)
    before = [await _checksum(e) for e in engines]
    a, b = list(town.units)[:2]
    team_a = [p for p in town.people if p.unit == a and p.leadership in ("chief", "deputy")]
    team_b = [p for p in town.people if p.unit == b and p.leadership in ("chief", "deputy")]
    outsider = next(p for p in town.people if p.unit == b and p.leadership == "member")
    moves = {"as_of": AS_OF.isoformat(), "moves": [
        {"kind": "out", "cadre_id": team_a[-1].cadre_id, "unit_id": a},
        {"kind": "in", "cadre_id": outsider.cadre_id, "unit_id": a, "leadership": "deputy"},
        {"kind": "swap", "cadre_id": team_a[0].cadre_id, "unit_id": a, "other_cadre_id": team_b[0].cadre_id,
         "other_unit_id": b}]}
    r = await town.client.post("/api/v1/teams/what-if", json=moves, headers=town.auth())
    assert r.status_code == 200, r.text
    after_a = next(t["after"] for t in r.json()["teams"] if t["unit_id"] == a)
    assert after_a["structure"]["size"] == len(team_a)  # one out, one in, one swapped
    assert [await _checksum(e) for e in engines] == before
