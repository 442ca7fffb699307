"""What a generated city's portraits need (issue 20), for ``shiji demo generate`` (``services.demo_city``): each
cadre's birth date (given at registration, as the department's personnel file has it: the basics are the cadre's
own to fill in, and an import is the department's), full-time education and for some an in-service one,
professional and familiar fields, and for a few a result from another source.

The sources give no distribution for any of these; the spreads below are this generator's guesses, chosen to look
like a city's cadres and to give every search condition and team rule something to find:

- age at the city's last day by rank: 正处级 46-58, 副处级 38-55, 正科级 30-52, 副科级 26-48 (uniform within);
- full-time education by age: the older more often associate or secondary, the younger more often master; the
  completion date follows the birth date (a bachelor at 22, a master at 25...); a third of those without a
  master's studied again in service (a master in management, law or economics) some years after;
- a professional field from the organization department's vocabulary (the team models name economy, finance,
  law and social_affairs), with one to three familiar fields besides it, from the year of the first post;
- one cadre in twelve with a political patrol's or a special inspection's result (positive, neutral or negative).

Every draw comes from a generator of its own for each cadre (seeded by the city's seed and the cadre's number),
so the city's other rows are drawn exactly as before: adding these rows changes no other row's draws (the
registration row gains the birth date), only how many entries are left for the events asked (``--events`` stays
the total). About ``EVENTS_PER_CADRE`` events a cadre.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from typing import Any

FIELDS = [("economy", 16), ("finance", 9), ("law", 8), ("social_affairs", 12), ("planning", 7),
          ("urban_construction", 8), ("agriculture", 8), ("education", 8), ("health", 6), ("culture", 5),
          ("environment", 5), ("party_affairs", 8)]
# (discipline, majors): the 学科门类 of the national catalogue most cadres studied, weighted.
MAJORS = [
    ("economics", ["经济学", "金融学", "财政学", "国际经济与贸易"], 18),
    ("management", ["行政管理", "工商管理", "会计学", "公共管理"], 22),
    ("law", ["法学", "政治学与行政学", "思想政治教育"], 16),
    ("engineering", ["土木工程", "计算机科学与技术", "机械工程"], 14),
    ("literature", ["汉语言文学", "新闻学", "英语"], 10),
    ("science", ["数学与应用数学", "化学", "地理科学"], 6),
    ("agriculture", ["农学", "农林经济管理"], 5),
    ("education", ["教育学"], 4),
    ("medicine", ["临床医学", "预防医学"], 3),
    ("history", ["历史学"], 2),
]
AGE_BY_RANK = {"正处级": (46, 58), "副处级": (38, 55), "正科级": (30, 52), "副科级": (26, 48)}
FINISHED_AT = {"doctorate": 29, "master": 25, "bachelor": 22, "associate": 21, "secondary": 18}
DEGREE = {"doctorate": "doctor", "master": "master", "bachelor": "bachelor"}
IN_SERVICE_SHARE, RESULT_SHARE = 0.33, 1 / 12
RESULTS = [("political_patrol", "市委巡察组政治巡察"), ("special_inspection", "专项巡查")]
CONCLUSIONS = [("positive", 3), ("neutral", 6), ("negative", 1)]
FINDINGS = {"positive": ["主体责任落实到位", "工作成效明显"], "neutral": ["未发现明显问题", "整改按期完成"],
            "negative": ["落实整改不力", "存在违规问题"]}
# education and expertise; in service (for the ~80 % without a master's); a result
EVENTS_PER_CADRE = 2 + IN_SERVICE_SHARE * 0.8 + RESULT_SHARE
BASIS = {"reason": "干部任免审批表", "document": "干部人事档案"}


def _weighted(rng: random.Random, pairs: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    return rng.choices(pairs, weights=[p[-1] for p in pairs])[0]


def _full_time_level(rng: random.Random, age: int) -> str:
    """Older cadres studied when fewer went to university; younger ones more often went on to a master's."""
    if age >= 50:
        weights = {"master": 6, "bachelor": 50, "associate": 34, "secondary": 10}
    elif age >= 40:
        weights = {"master": 14, "bachelor": 62, "associate": 20, "secondary": 4}
    else:
        weights = {"doctorate": 2, "master": 30, "bachelor": 62, "associate": 6}
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _on(day: dt.date, years: int, last: dt.date) -> dt.date:
    """1 July ``years`` after ``day``, not after ``last``."""
    return min(dt.date(day.year + years, 7, 1), last)


def draws(seed: int, n: int) -> random.Random:
    """Cadre ``n``'s own generator: its draws leave the city's other rows as they were."""
    return random.Random(f"{seed}-profile-{n}")


def birth_date(rng: random.Random, rank: str, end: dt.date) -> dt.date:
    """A birth date for a cadre of ``rank`` (the personnel file's, given at registration), by ``AGE_BY_RANK``."""
    youngest, oldest = AGE_BY_RANK.get(rank, (28, 55))
    return end - dt.timedelta(days=rng.randint(youngest * 365, oldest * 365 + 364))


def profile_rows(rng: random.Random, key: str, cadre_id: str, born: dt.date, first_post: dt.date,
                 end: dt.date) -> Iterator[dict[str, Any]]:
    """The rows of the cadre ``cadre_id`` (its row keys start with ``key``), born on ``born``, in post since
    ``first_post``; the city's last day ``end``."""
    params = {"cadre_id": cadre_id}
    age = end.year - born.year
    level = _full_time_level(rng, age)
    discipline, majors, _ = _weighted(rng, MAJORS)
    graduated = _on(born, FINISHED_AT[level], end)
    yield _row(f"{key}-education-full-time", "record_education", params, {
        "kind": "full_time", "level": level, "degree": DEGREE.get(level, "none"), "major": rng.choice(majors),
        "discipline": discipline, "institution": f"{rng.choice('山河海华东西南北')}{rng.choice(['大学', '学院'])}",
        "completed_on": graduated.isoformat(), "basis": BASIS})
    if rng.random() < IN_SERVICE_SHARE and level not in ("master", "doctorate"):
        discipline, majors, _ = _weighted(rng, MAJORS[:3])  # economics, management, law
        yield _row(f"{key}-education-in-service", "record_education", params, {
            "kind": "in_service", "level": "master", "degree": "master", "major": rng.choice(majors),
            "discipline": discipline, "institution": "省委党校", "basis": BASIS,
            "completed_on": _on(graduated, rng.randint(4, 15), end).isoformat()})
    field = _weighted(rng, FIELDS)[0]
    familiar = []
    for _ in range(rng.randint(1, 3)):
        if (other := _weighted(rng, FIELDS)[0]) != field and other not in familiar:
            familiar.append(other)
    yield _row(f"{key}-expertise", "record_expertise", params, {
        "professional_field": field, "familiar_fields": familiar, "effective_date": first_post.isoformat(),
        "basis": BASIS})
    if rng.random() < RESULT_SHARE:
        source, title = rng.choice(RESULTS)
        conclusion = _weighted(rng, CONCLUSIONS)[0]
        day = first_post + dt.timedelta(days=rng.randint(0, max(0, (end - first_post).days)))
        result_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        yield _row(f"{key}-result", "record_external_result", {**params, "result_id": result_id}, {
            "source": source, "title": f"{day.year}年{title}", "effective_date": day.isoformat(),
            "conclusion": conclusion, "findings": [rng.choice(FINDINGS[conclusion])],
            "basis": {"reason": title, "document": f"巡察反馈〔{day.year}〕{rng.randint(1, 60)}号"}})


def _row(key: str, operation: str, params: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    return {"row_key": key, "operation": operation, "params": params, "body": body}
