"""A deterministic demo city for ``shiji demo generate``: rows of commands for ``shiji import``.

Shaped after the sources: about 34 cadres per unit (Dongying's 68,553 cadres in ~2,000 units,
003) in 20 counties, the unit classes of 001 (departments, institutions and enterprises of
several types), posts and transfers over six years, entries per cadre skewed (a lognormal draw:
most cadres have tens, a few hundreds or more), positive to negative entries 225 : 71 (000),
annual grades in the proportions of 001 (416 / 1,388 / 3 / 2 / 38 of 1,847) with appraisal levels
that respect 002's constraints, late corrections: amendments and revocations recorded after
the entries they correct, and what portraits need (birth dates given at registration, education, fields, results of other
sources: ``services.demo_profiles``, drawn apart so that they change no other row's draws).

Each row is one command exactly as the public API takes it (``operation``, its path ``params``,
its ``body``) plus a ``row_key`` that makes re-importing the file record nothing new. Ids of new
cadres, posts and entries are given in ``params`` so later rows can name them.

Everything comes from one ``random.Random(seed)`` consumed in a fixed order, and rows are
yielded one at a time: the same arguments give the same bytes, in constant memory per cadre.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from services import demo_profiles as profiles
from services.demo_assessment import demo_assessment
from services.dossier.catalogue import DEFAULT_CATEGORIES
from shared.events import AnnualGrade, AppraisalLevel, EntryKind

# The six years end here unless told otherwise: a fixed day, so a file does not depend on when it was made.
DEFAULT_END = dt.date(2026, 9, 30)
YEARS = 6
COUNTIES = 20
CADRES_PER_UNIT = 34  # 68,553 cadres / ~2,000 units (003)

# 001: unit classes. Departments of 4 types, institutions of 2, enterprises of 3; weights are a guess
# at a city's mix (most units are departments and institutions).
UNIT_CLASSES = [
    ("comprehensive_department", 12), ("economic_department", 18), ("social_development_department", 18),
    ("other_department", 12), ("university_research_institution", 5), ("other_institution", 25),
    ("industrial_commercial_enterprise", 6), ("financial_enterprise", 2), ("cultural_enterprise", 2),
]
# 001: 1,847 cadres graded 416 / 1,388 / 3 / 2 / 38.
GRADE_WEIGHTS = [(AnnualGrade.EXCELLENT, 416), (AnnualGrade.COMPETENT, 1388), (AnnualGrade.BASICALLY_COMPETENT, 3),
                 (AnnualGrade.INCOMPETENT, 2), (AnnualGrade.UNGRADED, 38)]
# Appraisal levels (002) each grade allows: 较好/一般 exclude 优秀; 差 caps the grade below 称职.
LEVELS_FOR_GRADE = {
    AnnualGrade.EXCELLENT: [(AppraisalLevel.GOOD, 1)],
    AnnualGrade.COMPETENT: [(AppraisalLevel.GOOD, 60), (AppraisalLevel.FAIRLY_GOOD, 35), (AppraisalLevel.AVERAGE, 5)],
    AnnualGrade.BASICALLY_COMPETENT: [(AppraisalLevel.AVERAGE, 2), (AppraisalLevel.POOR, 1)],
    AnnualGrade.INCOMPETENT: [(AppraisalLevel.POOR, 1)],
    AnnualGrade.UNGRADED: [(AppraisalLevel.AVERAGE, 1), (AppraisalLevel.FAIRLY_GOOD, 1)],
}
POSITIVE, NEGATIVE = 225, 71  # 000: positive and negative entries of city-managed cadres
ACHIEVEMENT_SHARE = 0.25  # verified key achievements among all entries (a guess; the sources give none)
AMEND_SHARE, REVOKE_SHARE = 0.02, 0.015  # late corrections among entries
TRANSFER_CHANCE = 0.35  # a cadre transferred at least once in six years
ENTRY_SIGMA = 1.6  # lognormal spread of entries per cadre: median ~ mean / 3.6

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国志文斌宁"
POSITIONS = [("局长", "正处级", "chief", 1), ("副局长", "副处级", "deputy", 3), ("科长", "正科级", "member", 6),
             ("副科长", "副科级", "member", 6)]


@dataclass(frozen=True)
class CityShape:
    cadres: int
    events: int
    seed: int
    end: dt.date = DEFAULT_END
    years: int = YEARS

    def __post_init__(self) -> None:
        if self.end is None:
            object.__setattr__(self, "end", DEFAULT_END)

    @property
    def start(self) -> dt.date:
        return _years_before(self.end, self.years) + dt.timedelta(days=1)

    @property
    def units(self) -> int:
        return max(1, round(self.cadres / CADRES_PER_UNIT))

    @property
    def counties(self) -> int:
        return max(1, min(COUNTIES, self.units // 5))


def _years_before(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year - years, day=28 if (day.month, day.day) == (2, 29) else day.day)


def _weighted(rng: random.Random, pairs: list[tuple[Any, int]]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _day(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _points(rng: random.Random, lo: Decimal, hi: Decimal) -> float:
    """Points in halves within [lo, hi] (the source sheets use halves)."""
    halves = rng.randint(math.ceil(lo * 2), math.floor(hi * 2))
    return halves / 2


def _row(key: str, operation: str, params: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    return {"row_key": key, "operation": operation, "params": params, "body": body}


def unit_rows(shape: CityShape, rng: random.Random) -> tuple[list[dict[str, Any]], list[str]]:
    """The city, its counties and units: the rows, and the ids of the units cadres work in."""
    rows = [_row("unit-city", "register_unit", {}, {"unit_id": "city", "name": "示范市", "level": "city",
                                                     "unit_class": "city"})]
    for c in range(1, shape.counties + 1):
        rows.append(_row(f"unit-c{c:02d}", "register_unit", {}, {
            "unit_id": f"c{c:02d}", "name": f"示范市第{c}县区", "parent_id": "city", "level": "county",
            "unit_class": "district" if c % 3 else "county"}))
    units = []
    for u in range(1, shape.units + 1):
        # One unit in ten is a city department; the rest belong to a county.
        parent = "city" if u % 10 == 0 else f"c{rng.randint(1, shape.counties):02d}"
        unit_class = _weighted(rng, UNIT_CLASSES)
        unit_id = f"{parent}-u{u:04d}"
        rows.append(_row(f"unit-{unit_id}", "register_unit", {}, {
            "unit_id": unit_id, "name": f"{parent}单位{u}", "parent_id": parent, "level": "unit",
            "unit_class": unit_class}))
        units.append(unit_id)
    return rows, units


def entries_per_cadre(shape: CityShape, rng: random.Random, overhead: float) -> list[int]:
    """How many entries each cadre gets: lognormal weights scaled so the city holds about ``events``."""
    budget = max(0.0, shape.events - overhead)
    weights = [rng.lognormvariate(0, ENTRY_SIGMA) for _ in range(shape.cadres)]
    total = sum(weights) or 1.0
    # Late corrections are events too: leave room for them.
    scale = budget / (1 + AMEND_SHARE + REVOKE_SHARE) / total
    return [round(w * scale) for w in weights]


def _entry_body(rng: random.Random, shape: CityShape, title_no: int) -> dict[str, Any]:
    r = rng.random()
    if r < ACHIEVEMENT_SHARE:
        kind = EntryKind.ACHIEVEMENT
    else:
        kind = EntryKind.POSITIVE if rng.random() < POSITIVE / (POSITIVE + NEGATIVE) else EntryKind.NEGATIVE
    category = rng.choice([c for c in DEFAULT_CATEGORIES if c.kind is kind])
    effective = _day(rng, shape.start, shape.end)
    body: dict[str, Any] = {
        "kind": kind.value, "category": category.code, "title": f"{category.name}（第{title_no}项）",
        "points": _points(rng, category.min_points, category.max_points), "effective_date": effective.isoformat(),
        "basis": {"reason": category.name, "document": f"示组字〔{effective.year}〕{rng.randint(1, 400)}号"},
    }
    if category.sanction:
        months = rng.choice([6, 12, 18, 24])
        body["impact_period"] = {"start": effective.isoformat(),
                                 "end": (effective + dt.timedelta(days=months * 30)).isoformat()}
    return body


def cadre_rows(shape: CityShape, rng: random.Random, n: int, unit_id: str, entries: int,
               all_units: list[str]) -> Iterator[dict[str, Any]]:
    cadre_id = _uuid(rng)
    key = f"cadre-{n}"
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
    position, rank, leadership, _ = _weighted(rng, [(p, p[3]) for p in POSITIONS])
    first_post = _day(rng, shape.start - dt.timedelta(days=3 * 365), shape.start + dt.timedelta(days=365))
    own = profiles.draws(shape.seed, n)  # what portraits need, from draws of its own (services/demo_profiles.py)
    born = profiles.birth_date(own, rank, shape.end)
    yield _row(f"{key}-registered", "register_cadre", {"cadre_id": cadre_id}, {"name": name, "unit_id": unit_id,
                                                                                "birth_date": born.isoformat()})
    yield _row(f"{key}-post", "assign_post", {"cadre_id": cadre_id, "post_id": _uuid(rng)}, {
        "unit_id": unit_id, "position": position, "rank": rank, "leadership": leadership,
        "start_date": first_post.isoformat()})
    if rng.random() < TRANSFER_CHANCE:
        moved = _day(rng, max(first_post + dt.timedelta(days=400), shape.start), shape.end - dt.timedelta(days=30))
        if moved > first_post:
            yield _row(f"{key}-transfer", "transfer", {"cadre_id": cadre_id, "post_id": _uuid(rng)}, {
                "unit_id": rng.choice(all_units), "position": position, "rank": rank, "leadership": leadership,
                "start_date": moved.isoformat(), "reason": "工作需要调任"})
    yield from profiles.profile_rows(own, key, cadre_id, born, first_post, shape.end)
    for year in range(shape.start.year, shape.end.year):
        grade = _weighted(rng, GRADE_WEIGHTS)
        level = _weighted(rng, LEVELS_FOR_GRADE[grade])
        params = {"cadre_id": cadre_id, "year": year}
        yield _row(f"{key}-{year}-appraisal", "record_appraisal_level", params, {"level": level.value})
        yield _row(f"{key}-{year}-grade", "record_annual_grade", params, {"grade": grade.value})
    recorded: list[tuple[str, dict[str, Any]]] = []
    for m in range(entries):
        entry_id = _uuid(rng)
        body = _entry_body(rng, shape, m + 1)
        recorded.append((entry_id, body))
        yield _row(f"{key}-entry-{m}", "record_entry", {"cadre_id": cadre_id, "entry_id": entry_id}, body)
    # Late corrections, after every entry: amendments first (an amended entry may be revoked later).
    corrected = rng.sample(recorded, k=min(len(recorded), round(len(recorded) * (AMEND_SHARE + REVOKE_SHARE))))
    amend_count = round(len(corrected) * AMEND_SHARE / (AMEND_SHARE + REVOKE_SHARE))
    for m, (entry_id, body) in enumerate(corrected[:amend_count]):
        category = next(c for c in DEFAULT_CATEGORIES if c.code == body["category"])
        points = _points(rng, category.min_points, category.max_points)
        if points == body["points"]:
            points = float(category.max_points) if points != float(category.max_points) else float(category.min_points)
        yield _row(f"{key}-amend-{m}", "amend_entry", {"cadre_id": cadre_id, "entry_id": entry_id},
                   {"points": points, "reason": "复核后更正分值"})
    for m, (entry_id, _) in enumerate(corrected[amend_count:]):
        yield _row(f"{key}-revoke-{m}", "revoke_entry", {"cadre_id": cadre_id, "entry_id": entry_id},
                   {"reason": "申诉成立，撤销该条记录"})


def generate(shape: CityShape) -> Iterator[dict[str, Any]]:
    """Every row of the city, units first, then cadre by cadre (each cadre's rows together, so an
    importer's batch touches few streams)."""
    rng = random.Random(shape.seed)
    rows, units = unit_rows(shape, rng)
    yield from rows
    overhead = len(rows) + shape.cadres * (2 + TRANSFER_CHANCE * 2 + 2 * (shape.end.year - shape.start.year)
                                           + profiles.EVENTS_PER_CADRE)
    counts = entries_per_cadre(shape, rng, overhead)
    for n, entries in enumerate(counts):
        yield from cadre_rows(shape, rng, n, units[n % len(units)], entries, units)


def write_ndjson(shape: CityShape, out: IO[str]) -> int:
    """Write the city as NDJSON to ``out``; the number of rows."""
    written = 0
    for row in generate(shape):
        out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
        out.write("\n")
        written += 1
    return written


# The county ``shiji up`` loads (services/embedded.py): small enough to load in seconds, rich enough that
# every read answers with something. Four districts of 秦皇岛 with ten units each in three classes; eight
# cadres a unit (one chief, two deputies, five members), so each class ranks at least ten chiefs and twenty
# deputies and has both ends (the top 30 % and the bottom 10 %); four years of history to the day it loads.
DEMO_ROOT = "qhd"
DEMO_YEARS = 4
DEMO_COUNTIES = [("haigang", "海港区"), ("beidaihe", "北戴河区"), ("shanhaiguan", "山海关区"), ("funing", "抚宁区")]
DEMO_UNITS = [  # (id suffix, name, unit class)
    ("fgw", "发展和改革局", "economic_department"), ("czj", "财政局", "economic_department"),
    ("swj", "商务局", "economic_department"),
    ("jyj", "教育局", "social_development_department"), ("wjj", "卫生健康局", "social_development_department"),
    ("mzj", "民政局", "social_development_department"), ("rsj", "人力资源和社会保障局", "social_development_department"),
    ("rmt", "融媒体中心", "other_institution"), ("dag", "档案馆", "other_institution"),
    ("cjfw", "城市建设服务中心", "other_institution"),
]
DEMO_POSTS = [("局长", "正处级", "chief")] + [("副局长", "副处级", "deputy")] * 2 + [("科长", "正科级", "member")] * 5
DEMO_ENTRIES_PER_CADRE = 12  # on average; a lognormal spread, as in the city
PRIZES = [("first", 3), ("second", 5), ("none", 3), ("third", 1)]


def demo_county(on: dt.date, seed: int = 15) -> Iterator[dict[str, Any]]:
    """The demo county's rows as of ``on`` (its last day); the same ``on`` and ``seed``, the same rows."""
    rng = random.Random(seed)
    shape = CityShape(cadres=len(DEMO_COUNTIES) * len(DEMO_UNITS) * len(DEMO_POSTS), events=0, seed=seed, end=on,
                      years=DEMO_YEARS)
    years = range(shape.start.year, on.year)
    yield _row("unit-qhd", "register_unit", {}, {"unit_id": DEMO_ROOT, "name": "秦皇岛市", "level": "city",
                                                 "unit_class": "city"})
    units = []
    for county, county_name in DEMO_COUNTIES:
        county_id = f"{DEMO_ROOT}-{county}"
        yield _row(f"unit-{county_id}", "register_unit", {}, {
            "unit_id": county_id, "name": county_name, "parent_id": DEMO_ROOT, "level": "county",
            "unit_class": "district"})
        for suffix, name, unit_class in DEMO_UNITS:
            unit_id = f"{county_id}-{suffix}"
            units.append(unit_id)
            yield _row(f"unit-{unit_id}", "register_unit", {}, {
                "unit_id": unit_id, "name": county_name + name, "parent_id": county_id, "level": "unit",
                "unit_class": unit_class})
            for year in years:  # 年度目标考评: a third prize bars the unit's heads for a year
                yield _row(f"unit-{unit_id}-{year}-prize", "record_target_evaluation", {"unit_id": unit_id,
                                                                                      "year": year},
                           {"prize": _weighted(rng, PRIZES)})
    n = 0
    for unit_id in units:
        for position, rank, leadership in DEMO_POSTS:
            yield from _demo_cadre(shape, rng, n, unit_id, position, rank, leadership)
            n += 1
    # Last year's comprehensive assessment of the units (issue 16), from its own random draws.
    classes = {f"{DEMO_ROOT}-{county}-{suffix}": unit_class for county, _ in DEMO_COUNTIES
               for suffix, _, unit_class in DEMO_UNITS}
    yield from demo_assessment([(u, classes[u]) for u in units], on.year - 1, seed + 16)


def _demo_cadre(shape: CityShape, rng: random.Random, n: int, unit_id: str, position: str, rank: str,
                leadership: str) -> Iterator[dict[str, Any]]:
    cadre_id = _uuid(rng)
    key = f"demo-cadre-{n}"
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
    yield _row(f"{key}-registered", "register_cadre", {"cadre_id": cadre_id}, {"name": name, "unit_id": unit_id})
    # In post from one to seven years: some have the three years promotion asks for, some not yet.
    started = _day(rng, _years_before(shape.end, 7), _years_before(shape.end, 1))
    yield _row(f"{key}-post", "assign_post", {"cadre_id": cadre_id, "post_id": _uuid(rng)}, {
        "unit_id": unit_id, "position": position, "rank": rank, "leadership": leadership,
        "start_date": started.isoformat()})
    for year in range(shape.start.year, shape.end.year):
        grade = _weighted(rng, GRADE_WEIGHTS)
        params = {"cadre_id": cadre_id, "year": year}
        yield _row(f"{key}-{year}-appraisal", "record_appraisal_level", params,
                   {"level": _weighted(rng, LEVELS_FOR_GRADE[grade]).value})
        yield _row(f"{key}-{year}-grade", "record_annual_grade", params, {"grade": grade.value})
        yield _row(f"{key}-{year}-scores", "record_scores", params, {
            "mass_satisfaction": rng.choice([72, 81, 85, 88, 90, 92, 95]),
            # 002: a political-quality score below 90 excludes 优秀
            "political_quality": rng.choice([90, 93, 96] if grade is AnnualGrade.EXCELLENT else [86, 90, 93, 96])})
    if rng.random() < 0.9:  # a few have not declared yet: their screening stays undetermined
        for declaration, chance in (("relatives", 0.04), ("naked_official", 0.01)):
            flagged = rng.random() < chance
            yield _row(f"{key}-{declaration}", "record_declaration", {"cadre_id": cadre_id,
                                                                       "declaration": declaration},
                       {"flagged": flagged, "details": "有亲属在本系统任职" if flagged else "无"})
    recorded = []
    for m in range(max(1, round(rng.lognormvariate(0, 0.8) * DEMO_ENTRIES_PER_CADRE / 1.38))):
        entry_id = _uuid(rng)
        body = _entry_body(rng, shape, m + 1)
        recorded.append(entry_id)
        yield _row(f"{key}-entry-{m}", "record_entry", {"cadre_id": cadre_id, "entry_id": entry_id}, body)
    if recorded and rng.random() < REVOKE_SHARE * 4:
        yield _row(f"{key}-revoke", "revoke_entry", {"cadre_id": cadre_id, "entry_id": rng.choice(recorded)},
                   {"reason": "申诉成立，撤销该条记录"})
