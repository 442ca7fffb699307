"""What the reads of issue 20 answer: a cadre's portrait, a condition search, a team's structure report and a
what-if on teams. The figures of a dimension and a team's structure are named by their configurations
(``services/portraits/config/``), so they are objects whose keys those documents list."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.answers.base import Answer


class PortraitDimension(Answer):
    code: str
    name_zh: str
    name_en: str
    figures: dict[str, Any] = Field(description="the figures the configuration names for this dimension")
    records: list[dict[str, Any]] = Field(description="the events behind them: version, type, effective date, "
                                                      "recorded time")


class Portrait(Answer):
    cadre_id: str
    as_of: dt.date
    known_at: dt.datetime | None
    version: int = Field(description="how many events of the cadre's stream the portrait is made of")
    configuration: str = Field(description="the version of the dimensions' configuration")
    dimensions: list[PortraitDimension]


class CadreSearch(Answer):
    unit: str
    as_of: dt.date
    known_at: dt.datetime | None
    conditions: dict[str, Any] = Field(description="the conditions given")
    sort: str
    matched: int = Field(description="how many cadres meet every condition")
    next_offset: int | None = Field(description="the `offset` of the next page; null on the last")
    cadres: list[dict[str, Any]]


class TeamReport(Answer):
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
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"moves": [
        {"kind": "out", "cadre_id": "c74c06f3-7bbc-442b-9971-498e6ab6d484", "unit_id": "qhd-haigang-fgw"}]}]})

    moves: list[Move] = Field(min_length=1, max_length=20)
    as_of: dt.date | None = None


class TeamWhatIf(Answer):
    as_of: dt.date
    moves: list[dict[str, Any]]
    teams: list[dict[str, Any]] = Field(description="each team named by a move: its report before and after")
    candidates: list[dict[str, Any]] = Field(description="each cadre a move brings into a team, with their "
                                                         "screening verdict and the rules that excluded them")
