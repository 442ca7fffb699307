"""A cadre's portrait (干部画像): eight dimensions, each with its figures and the records behind them. Pure.

Which eight, their order, what figures each shows and which event types are the records behind it are a
configuration (``config/portrait.v1.json``: versioned, with the reason for every dimension), checked when loaded
against what this module can compute (``FIGURES``): a dimension may drop or reorder its figures, never name
one nobody computes. The figures come from two owners: the dossier's facts as of the day and as known at the
moment asked (``facts.cadre_facts``), and scoring's answers for the same day and moment (points, screening,
warnings, the ranking band).

Two-ends tags (正负标注, 003): ``top``/``bottom`` of the ranking band; ``positive_mark`` for a positive result
of another source, ``negative_mark`` for a negative one or for a sanction in its impact period.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

CONFIG_DIR = Path(__file__).parent / "config"
Figures = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]


def _basics(f: dict[str, Any], s: dict[str, Any]) -> dict[str, Any]:
    unit = (f["career"]["current"] or {}).get("unit_id") or f["registered_unit_id"]
    return {"name": f["name"], "unit_id": unit, **f["basics"], **f["education"]}


def _points(f: dict[str, Any], s: dict[str, Any]) -> dict[str, Any]:
    score = s.get("score") or {}
    years = score.get("years", [])
    return {"total": score.get("total"), "positive": score.get("positive"), "negative": score.get("negative"),
            "window_start": score.get("window_start"), "window_end": score.get("window_end"),
            "years": years, "quarters": score.get("quarters", []),
            "trend": [{"period": y["period"], "total": y["total"]} for y in years]}


def _grades(f: dict[str, Any], s: dict[str, Any]) -> dict[str, Any]:
    years = f["years"]
    by_year = {y: {"annual_grade": v["annual_grade"], "appraisal_level": v["appraisal_level"]} for y, v in years.items()}
    last = [str(int(f["as_of"][:4]) - n) for n in (3, 2, 1)]
    return {"by_year": by_year, "last_three_years": [{"year": int(y), **by_year.get(y, {"annual_grade": None,
                                                                                        "appraisal_level": None})}
                                                     for y in last]}


def _evaluations(f: dict[str, Any], s: dict[str, Any]) -> dict[str, Any]:
    years = f["years"]
    return {"democratic": {y: v["democratic"] for y, v in years.items() if v["democratic"]},
            "mass_satisfaction": {y: v["mass_satisfaction"] for y, v in years.items()
                                  if v["mass_satisfaction"] is not None}}


def _integrity(f: dict[str, Any], s: dict[str, Any]) -> dict[str, Any]:
    years = f["years"]
    return {"political_quality": {y: v["political_quality"] for y, v in years.items()
                                  if v["political_quality"] is not None},
            "vetoes": {y: v["vetoes"] for y, v in years.items() if v["vetoes"]},
            "active_sanctions": f["lists"]["active_sanctions"], "external_results": f["external_results"]}


def tags(f: dict[str, Any], band: str | None) -> list[str]:
    """The two-ends tags of a cadre (正负标注): the ranking band, and the marks of other sources and sanctions."""
    found = [band] if band in ("top", "bottom") else []
    conclusions = {r["conclusion"] for r in f["external_results"]}
    if "positive" in conclusions:
        found.append("positive_mark")
    if "negative" in conclusions or f["lists"]["active_sanctions"]:
        found.append("negative_mark")
    return found


def ranked(bands: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The band a portrait shows: the cadre's place in its class group, else in its first group (a team's)."""
    return next((b for b in bands if b["group"].startswith("class:")), bands[0] if bands else None)


def _standing(f: dict[str, Any], s: dict[str, Any]) -> dict[str, Any]:
    screening = s.get("screening") or {}
    ranked = s.get("ranked")
    return {"screening": screening.get("verdict"), "excluded_by": screening.get("excluded_by", []),
            "rules": screening.get("rules", []),
            "warnings": [{k: w.get(k) for k in ("kind", "level", "detail", "raised_on")} for w in s.get("warnings", [])],
            "ranking": None if ranked is None else {"group": ranked["group"], "rank": ranked["rank"],
                                                    "size": ranked["size"], "band": ranked["band"]},
            "tags": tags(f, ranked["band"] if ranked else None)}


FIGURES: dict[str, Figures] = {
    "basics": _basics,
    "career": lambda f, s: f["career"],
    "points": _points,
    "lists": lambda f, s: f["lists"],
    "grades": _grades,
    "evaluations": _evaluations,
    "integrity": _integrity,
    "standing": _standing,
}


class Dimension(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    name_zh: str
    name_en: str
    figures: list[str] = Field(min_length=1)
    records: list[str]
    reason: str = Field(min_length=1)


class PortraitConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    effective_from: dt.date
    source: str
    dimensions: list[Dimension] = Field(min_length=1)

    @model_validator(mode="after")
    def _known(self) -> PortraitConfig:
        for d in self.dimensions:
            if d.code not in FIGURES:
                raise ValueError(f"dimension {d.code}: no such dimension is computed ({', '.join(FIGURES)})")
        return self


@cache
def load(name: str = "portrait.v1.json") -> PortraitConfig:
    return PortraitConfig.model_validate(json.loads((CONFIG_DIR / name).read_text(encoding="utf-8")))


def portrait(facts: dict[str, Any], scoring: dict[str, Any], config: PortraitConfig | None = None) -> dict[str, Any]:
    """The portrait of the cadre ``facts`` describe; ``scoring``: its ``score``, ``screening``, ``warnings`` and
    ``ranked`` (its line of the ranking, with the group and size) for the same day and moment."""
    config = config or load()
    dimensions = []
    for d in config.dimensions:
        computed = FIGURES[d.code](facts, scoring)
        missing = [name for name in d.figures if name not in computed]
        if missing:
            raise ValueError(f"dimension {d.code} has no figure {', '.join(missing)}")
        wanted = set(d.records)
        dimensions.append({"code": d.code, "name_zh": d.name_zh, "name_en": d.name_en,
                           "figures": {name: computed[name] for name in d.figures},
                           "records": [r for r in facts["records"] if r["type"] in wanted]})
    return {"cadre_id": facts["cadre_id"], "as_of": facts["as_of"], "version": facts["version"],
            "configuration": config.version, "dimensions": dimensions}
