"""What the reads of issue 20 answer: a cadre's portrait, a condition search, a team's structure report and a
what-if on teams. The figures of a dimension and a team's structure are named by their configurations
(``services/portraits/config/``), so they are objects whose keys those documents list."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.answers.base import ID, KNOWN_AT, RECORDED_AT, Answer, example

_RECORD = {"version": 3, "type": "education_recorded", "effective_date": "1992-07-01", "recorded_at": RECORDED_AT}
_ROW = {"cadre_id": ID, "name": "张伟", "unit_id": "qhd-haigang-fgw", "unit_class": "economic_department",
        "position": "局长", "leadership": "chief", "birth_date": "1970-03-15", "age": 55, "rank": "正处级",
        "years_at_rank": 6, "highest_level": "master", "majors": ["公共管理", "经济学"],
        "disciplines": ["economics", "management"], "professional_field": "economy", "familiar_fields": ["finance"],
        "came_from": "other_class", "grades": {"2024": "excellent"}, "total": 12.5, "screening": "eligible",
        "excluded_by": [], "active_warning": False, "tags": ["top"], "as_of": "2025-12-31"}
_TEAM = {"unit_id": "qhd-haigang-fgw", "unit_name": "海港区发展和改革局", "unit_class": "economic_department",
         "as_of": "2025-12-31", "known_at": None,
         "structure": {"size": 3, "age": {"ages": [40, 47, 55], "average": 47.3, "spread": 15}},
         "model": {"configuration": "team-2026.1", "unit_class": "economic_department", "effective_from": "2020-01-01",
                   "reason": "经济部门"},
         "gaps": [{"rule": "field_present", "parameters": {"field": "finance"},
                   "expected": "a member whose professional or familiar field is finance", "actual": []}]}


class PortraitDimension(Answer):
    code: str
    name_zh: str
    name_en: str
    figures: dict[str, Any] = Field(description="the figures the configuration names for this dimension")
    records: list[dict[str, Any]] = Field(description="the events behind them: version, type, effective date, "
                                                      "recorded time")


class Portrait(Answer):
    model_config = example({"cadre_id": ID, "as_of": "2025-12-31", "known_at": KNOWN_AT, "version": 12,
                            "configuration": "portrait-2026.1", "dimensions": [
                                {"code": "basics", "name_zh": "基本情况与素质", "name_en": "Basics, age, education and fields",
                                 "figures": {"name": "张伟", "age": 55, "highest_level": "master"},
                                 "records": [_RECORD]}]})
    cadre_id: str
    as_of: dt.date
    known_at: dt.datetime | None
    version: int = Field(description="how many events of the cadre's stream the portrait is made of")
    configuration: str = Field(description="the version of the dimensions' configuration")
    dimensions: list[PortraitDimension]


class CadreSearch(Answer):
    model_config = example({"unit": "qhd-haigang", "as_of": "2025-12-31", "known_at": None,
                            "conditions": {"familiar_field": "finance"}, "sort": "-age", "matched": 1,
                            "next_offset": None, "cadres": [_ROW]})
    unit: str
    as_of: dt.date
    known_at: dt.datetime | None
    conditions: dict[str, Any] = Field(description="the conditions given")
    sort: str
    matched: int = Field(description="how many cadres meet every condition")
    next_offset: int | None = Field(description="the `offset` of the next page; null on the last")
    cadres: list[dict[str, Any]]


class TeamReport(Answer):
    model_config = example(_TEAM)
    unit_id: str
    unit_name: str | None
    unit_class: str | None
    as_of: dt.date
    known_at: dt.datetime | None = None
    structure: dict[str, Any]
    model: dict[str, Any] | None = Field(description="the ideal model applied: configuration, class, effective date")
    gaps: list[dict[str, Any]] = Field(description="every rule of the model the team breaks")


class Move(BaseModel):
    """One move tried on paper."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["out", "in", "swap"]
    cadre_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    unit_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    leadership: Literal["chief", "deputy"] | None = Field(None, description="in: the post taken (default deputy)")
    other_cadre_id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    other_unit_id: str | None = Field(None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")


class TeamMoves(BaseModel):
    model_config = ConfigDict(extra="forbid")

    moves: list[Move] = Field(min_length=1, max_length=20)
    as_of: dt.date | None = None


class TeamWhatIf(Answer):
    model_config = example({"as_of": "2025-12-31", "moves": [{"kind": "in", "cadre_id": ID, "unit_id": "qhd-haigang-fgw"}],
                            "teams": [{"unit_id": "qhd-haigang-fgw", "before": _TEAM, "after": {**_TEAM, "gaps": []}}],
                            "candidates": [{"cadre_id": ID, "name": "张伟", "unit_id": "qhd-haigang-czj",
                                            "screening": "eligible", "excluded_by": []}]})
    as_of: dt.date
    moves: list[dict[str, Any]]
    teams: list[dict[str, Any]] = Field(description="each team named by a move: its report before and after")
    candidates: list[dict[str, Any]] = Field(description="each cadre a move brings into a team, with their "
                                                         "screening verdict and the rules that excluded them")
