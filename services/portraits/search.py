"""Condition search (智能搜索, issue 20): each cadre of a jurisdiction as one row, the conditions a clerk may
combine, the predicate each stands for, the order and the page. Pure.

A row joins the dossier's facts on a day (``facts.cadre_facts``) with scoring's standing on that day (total,
screening verdict, bands, active warning). Every condition is optional; given together they all must hold.

- ``age_min``/``age_max``: whole years on the day, both bounds included (a cadre without a birth date matches
  neither).
- ``rank`` (the current post's, exactly) and ``years_at_rank_min`` (whole years at that level, transfers at the
  level counted, as screening counts them).
- ``education_min``: the highest education of either kind at least this level; ``major`` any part of a major,
  case-insensitively; ``discipline`` one of the majors' disciplines.
- ``professional_field``; ``familiar_field``: one of the familiar fields.
- ``unit_class``: the class of the current post's unit.
- ``grade_at_least`` over ``grade_years`` (default 3): in each of the N complete years before the day's year the
  annual grade is at least that (优秀 > 称职 > 基本称职 > 不称职; a year without a grade, or 不定等次, fails).
- ``points_min``/``points_max``: the three-year total, both bounds included.
- ``screening``: eligible, ineligible or undetermined; ``active_warning``: true or false.
- ``tag``: a two-ends tag (top, bottom, positive_mark, negative_mark).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from services.portraits.dimensions import tags
from services.portraits.facts import highest_level_rank
from shared.events import AnnualGrade

# The conditions the dossier's facts decide alone (the rest need scoring's standing): the dossier applies these
# before answering a search, so only the cadres that meet them travel on and are screened.
FACT_CONDITIONS = ("age_min", "age_max", "rank", "years_at_rank_min", "education_min", "major", "discipline",
                   "professional_field", "familiar_field", "unit_class", "grade_at_least", "grade_years")
GRADE_ORDER = (AnnualGrade.EXCELLENT.value, AnnualGrade.COMPETENT.value, AnnualGrade.BASICALLY_COMPETENT.value,
               AnnualGrade.INCOMPETENT.value)
STANDING_CONDITIONS = ("points_min", "points_max", "screening", "active_warning", "tag")
SORTS = ("name", "age", "total", "years_at_rank")


@dataclass(frozen=True)
class Conditions:
    age_min: int | None = None
    age_max: int | None = None
    rank: str | None = None
    years_at_rank_min: int | None = None
    education_min: str | None = None
    major: str | None = None
    discipline: str | None = None
    professional_field: str | None = None
    familiar_field: str | None = None
    unit_class: str | None = None
    grade_at_least: str | None = None
    grade_years: int = 3
    points_min: float | None = None
    points_max: float | None = None
    screening: str | None = None
    active_warning: bool | None = None
    tag: str | None = None

    def of_facts(self) -> Conditions:
        """Only the conditions the facts decide (``FACT_CONDITIONS``); a row meets ``self`` only if it meets these."""
        return Conditions(**{name: getattr(self, name) for name in FACT_CONDITIONS})

    def given(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) is not None and f.name != "grade_years"}


def row(facts: dict[str, Any], standing: dict[str, Any] | None) -> dict[str, Any]:
    """One cadre as the search, its sort and its workbook read them."""
    standing = standing or {}
    career, education = facts["career"], facts["education"]
    current = career["current"] or {}
    return {"cadre_id": facts["cadre_id"], "name": facts["name"],
            "unit_id": current.get("unit_id") or facts["registered_unit_id"], "unit_class": current.get("unit_class"),
            "position": current.get("position"), "leadership": current.get("leadership"),
            "birth_date": facts["basics"]["birth_date"], "age": facts["basics"]["age"], "rank": career["rank"],
            "years_at_rank": career["years_at_rank"],
            "highest_level": education["highest_level"], "majors": education["majors"],
            "disciplines": education["disciplines"], "professional_field": education["professional_field"],
            "familiar_fields": education["familiar_fields"], "came_from": _came_from(career),
            "grades": {y: v["annual_grade"] for y, v in facts["years"].items()},
            "total": standing.get("total"), "screening": standing.get("screening"),
            "excluded_by": standing.get("excluded_by", []),
            "active_warning": bool(standing.get("active_warning")), "tags": tags(facts, band_of(standing)),
            "as_of": facts["as_of"]}


def band_of(standing: dict[str, Any]) -> str | None:
    bands = [b["band"] for b in standing.get("bands", [])]
    return "top" if "top" in bands else "bottom" if "bottom" in bands else None


def brief(match: dict[str, Any], standing: dict[str, Any] | None) -> dict[str, Any]:
    """A cadre the dossier matched (``cadre_id``, ``name``, ``age``, ``years_at_rank`` and, when folded, the
    ``marks`` of its facts) with what scoring says: enough to check the standing's conditions and to order."""
    standing = standing or {}
    band = band_of(standing)
    return {**match, "total": standing.get("total"), "screening": standing.get("screening"),
            "active_warning": bool(standing.get("active_warning")),
            "tags": ([band] if band else []) + list(match.get("marks") or [])}


def needs_standing(c: Conditions, sort: str) -> bool:
    """Whether ordering or filtering every match needs scoring's standing (else only the page's rows do)."""
    return any(getattr(c, name) is not None for name in STANDING_CONDITIONS) or sort.lstrip("-") == "total"


def _came_from(career: dict[str, Any]) -> str | None:
    """Where the cadre came to the current post from: first_post, same_unit, same_class or other_class."""
    if career["current"] is None:
        return None
    before = career["came_from"]
    if before is None:
        return "first_post"
    if before["same_unit"]:
        return "same_unit"
    return "same_class" if before["unit_class"] == career["current"]["unit_class"] else "other_class"


def between(value: float | None, low: float | None, high: float | None) -> bool:
    if low is None and high is None:
        return True
    return value is not None and (low is None or value >= low) and (high is None or value <= high)


def _grades_hold(r: dict[str, Any], at_least: str, years: int) -> bool:
    last = int(r["as_of"][:4])
    limit = GRADE_ORDER.index(at_least)
    for year in range(last - years, last):
        grade = r["grades"].get(str(year))
        if grade not in GRADE_ORDER or GRADE_ORDER.index(grade) > limit:
            return False
    return True


def matches(r: dict[str, Any], c: Conditions) -> bool:
    """Whether row ``r`` meets every condition given in ``c``."""
    checks = (
        between(r["age"], c.age_min, c.age_max),
        c.rank is None or r["rank"] == c.rank,
        c.years_at_rank_min is None or (r["years_at_rank"] is not None and r["years_at_rank"] >= c.years_at_rank_min),
        c.education_min is None or highest_level_rank(r["highest_level"]) <= highest_level_rank(c.education_min),
        c.major is None or any(c.major.casefold() in m.casefold() for m in r["majors"]),
        c.discipline is None or c.discipline in r["disciplines"],
        c.professional_field is None or r["professional_field"] == c.professional_field,
        c.familiar_field is None or c.familiar_field in r["familiar_fields"],
        c.unit_class is None or r["unit_class"] == c.unit_class,
        c.grade_at_least is None or _grades_hold(r, c.grade_at_least, c.grade_years),
    )
    return all(checks) and meets_standing(r, c)


def meets_standing(r: dict[str, Any], c: Conditions) -> bool:
    """Whether row (or ``brief``) ``r`` meets the conditions of ``STANDING_CONDITIONS`` given in ``c``."""
    return (between(r["total"], c.points_min, c.points_max)
            and (c.screening is None or r["screening"] == c.screening)
            and (c.active_warning is None or r["active_warning"] == c.active_warning)
            and (c.tag is None or c.tag in r["tags"]))


def ordered(rows: Iterable[dict[str, Any]], sort: str = "name") -> list[dict[str, Any]]:
    """By ``sort`` (a name of ``SORTS``, ``-`` first for descending), missing values last, then by name and id."""
    descending, key = sort.startswith("-"), sort.lstrip("-")
    if key not in SORTS:
        raise ValueError(f"sort by one of {', '.join(SORTS)}")
    present = [r for r in rows if r[key] is not None]
    missing = [r for r in rows if r[key] is None]
    tie = sorted(present + missing, key=lambda r: (r["name"], r["cadre_id"]))
    present = sorted((r for r in tie if r[key] is not None), key=lambda r: r[key], reverse=descending)
    return present + [r for r in tie if r[key] is None]


def search(rows: Iterable[dict[str, Any]], c: Conditions, sort: str = "name", offset: int = 0,
           limit: int = 100) -> tuple[list[dict[str, Any]], int, int | None]:
    """The page of matching rows from ``offset``, how many match in all, and the offset of the next page."""
    found = ordered([r for r in rows if matches(r, c)], sort)
    page = found[offset:offset + limit]
    return page, len(found), offset + limit if offset + limit < len(found) else None
