"""Units (city -> county/district -> unit) and the positive/negative-list catalogue."""

from __future__ import annotations

from pydantic import Field

from shared.answers.base import Answer, example
from shared.events import EntryKind, TargetPrize, TeamGrade, UnitLevel

_UNIT = {"unit_id": "qhd-haigang-fgw", "parent_id": "qhd-haigang", "name": "海港区发展和改革局", "level": "unit",
         "unit_class": "economic_development"}


class UnitSummary(Answer):
    unit_id: str
    parent_id: str | None
    name: str
    level: UnitLevel | None
    unit_class: str | None


class Units(Answer):
    model_config = example({"units": [_UNIT]})
    units: list[UnitSummary] = Field(description="the units within the caller's jurisdiction")


class Unit(Answer):
    model_config = example({**_UNIT, "jurisdiction": [], "team_grades": {"2025": "good"},
                            "target_evaluations": {"2025": "first"}, "version": 3})
    unit_id: str
    name: str
    parent_id: str | None
    jurisdiction: list[str] = Field(description="the units under this one, nearest first")
    level: UnitLevel | None
    unit_class: str | None
    team_grades: dict[str, TeamGrade] = Field(description="by year")
    target_evaluations: dict[str, TargetPrize] = Field(description="by year")
    version: int


class Category(Answer):
    code: str
    name: str
    kind: EntryKind
    min_points: float
    max_points: float
    description: str
    sanction: bool = Field(description="whether an entry of it is a sanction with an impact period")


class Categories(Answer):
    model_config = example({"version": 11, "categories": [{
        "code": "honour", "name": "表彰奖励", "kind": "positive", "min_points": 0.5, "max_points": 10.0,
        "description": "", "sanction": False}]})
    version: int = Field(description="the catalogue's version")
    categories: list[Category]
