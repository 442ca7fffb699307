"""A leadership team's structure (班子结构) on a day, and every gap to the ideal model of its unit class. Pure.

A team is the chiefs and deputies of a unit whose posts are open on the day; each member is a search row
(``search.row``: the dossier's facts and scoring's standing on that day). The six dimensions (003 names four:
age, knowledge and professional structure, career features, familiar fields; performance is the sixth, and
knowledge and profession are two):

- age: each member's age, the average (one decimal), the spread (oldest minus youngest), the generations (decade
  of birth: 60后, 70后 …) and the share under each age a model names;
- knowledge: members by highest education, the disciplines and majors;
- professional: members by professional field;
- career: where each came to the post from (first post, same unit, another unit of the class, another class);
- familiar fields: how many members know each field;
- performance: the average three-year total, the last year's grades, screening verdicts, active warnings.

The ideal models (``config/team_models.v1.json``) are versioned and effective-dated: the model of a class on a
day is the one of that class (else of ``*``) with the latest ``effective_from`` not after the day. Each rule is
checked; a rule broken is a gap naming the rule, what it expects and what the team has.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.portraits.facts import highest_level_rank

CONFIG_DIR = Path(__file__).parent / "config"
Member = dict[str, Any]


def _generation(birth_date: str | None) -> str | None:
    return f"{birth_date[2:3]}0后" if birth_date else None


def structure(members: Sequence[Member], as_of: dt.date) -> dict[str, Any]:
    ages = [m["age"] for m in members if m["age"] is not None]
    totals = [m["total"] for m in members if m["total"] is not None]
    last_year = str(as_of.year - 1)
    fields = Counter(f for m in members for f in m["familiar_fields"])
    return {
        "size": len(members),
        "members": [{k: m.get(k) for k in ("cadre_id", "name", "leadership", "position", "age", "rank",
                                          "highest_level", "professional_field", "came_from", "total", "screening")}
                    for m in members],
        "age": {"ages": sorted(ages), "average": round(sum(ages) / len(ages), 1) if ages else None,
                "spread": max(ages) - min(ages) if ages else None, "youngest": min(ages) if ages else None,
                "oldest": max(ages) if ages else None,
                "generations": dict(sorted(Counter(g for m in members if (g := _generation(m["birth_date"]))).items())),
                "unknown": len(members) - len(ages)},
        "knowledge": {"levels": dict(sorted(Counter(m["highest_level"] or "unknown" for m in members).items())),
                      "disciplines": dict(sorted(Counter(d for m in members for d in m["disciplines"]).items())),
                      "majors": sorted({x for m in members for x in m["majors"]})},
        "professional": dict(sorted(Counter(m["professional_field"] or "unknown" for m in members).items())),
        "career": dict(sorted(Counter(m["came_from"] or "unknown" for m in members).items())),
        "familiar_fields": dict(sorted(fields.items())),
        "performance": {"average_total": round(sum(totals) / len(totals), 2) if totals else None,
                        "grades_last_year": dict(sorted(Counter(m["grades"].get(last_year) or "none"
                                                                for m in members).items())),
                        "screening": dict(sorted(Counter(m["screening"] or "unknown" for m in members).items())),
                        "active_warnings": sum(1 for m in members if m["active_warning"])},
    }


# ---------------------------------------------------------------------------------------------- the ideal models


def _share(members: Sequence[Member], keep: Callable[[Member], bool]) -> float:
    return sum(1 for m in members if keep(m)) / len(members) if members else 0.0


def _size_between(ms: Sequence[Member], r: dict[str, Any]) -> tuple[bool, Any, str]:
    return r["min"] <= len(ms) <= r["max"], len(ms), f"{r['min']}..{r['max']} members"


def _has_chief(ms: Sequence[Member], r: dict[str, Any]) -> tuple[bool, Any, str]:
    chiefs = sum(1 for m in ms if m["leadership"] == "chief")
    return chiefs >= 1, chiefs, "a chief (正职)"


def _age_spread(ms: Sequence[Member], r: dict[str, Any]) -> tuple[bool, Any, str]:
    ages = [m["age"] for m in ms if m["age"] is not None]
    spread = max(ages) - min(ages) if ages else None
    return spread is not None and spread >= r["years"], spread, f"ages spread over at least {r['years']} years"


def _generations(ms: Sequence[Member], r: dict[str, Any]) -> tuple[bool, Any, str]:
    found = len({g for m in ms if (g := _generation(m["birth_date"]))})
    return found >= r["count"], found, f"at least {r['count']} generations (老中青)"


def _under_age(ms: Sequence[Member], r: dict[str, Any]) -> tuple[bool, Any, str]:
    share = _share(ms, lambda m: m["age"] is not None and m["age"] < r["age"])
    return share >= r["share"], round(share, 4), f"at least {r['share']:.0%} of members under {r['age']}"


def _education(ms: Sequence[Member], r: dict[str, Any]) -> tuple[bool, Any, str]:
    need = highest_level_rank(r["level"])
    share = _share(ms, lambda m: highest_level_rank(m["highest_level"]) <= need)
    return share >= r["share"], round(share, 4), f"at least {r['share']:.0%} of members with {r['level']} or above"


def _field(ms: Sequence[Member], r: dict[str, Any]) -> tuple[bool, Any, str]:
    who = [m["name"] for m in ms if r["field"] == m["professional_field"] or r["field"] in m["familiar_fields"]]
    return bool(who), who, f"a member whose professional or familiar field is {r['field']}"


def _disciplines(ms: Sequence[Member], r: dict[str, Any]) -> tuple[bool, Any, str]:
    found = len({d for m in ms for d in m["disciplines"]})
    return found >= r["count"], found, f"majors of at least {r['count']} disciplines"


def _from_other_units(ms: Sequence[Member], r: dict[str, Any]) -> tuple[bool, Any, str]:
    found = sum(1 for m in ms if m["came_from"] in ("same_class", "other_class"))
    return found >= r["count"], found, f"at least {r['count']} member(s) from other units"


def _no_warning(ms: Sequence[Member], r: dict[str, Any]) -> tuple[bool, Any, str]:
    who = [m["name"] for m in ms if m["active_warning"]]
    return not who, who, "no member under an active warning"


CHECKS: dict[str, Callable[[Sequence[Member], dict[str, Any]], tuple[bool, Any, str]]] = {
    "size_between": _size_between, "has_chief": _has_chief, "age_spread_at_least": _age_spread,
    "generations_at_least": _generations, "share_under_age_at_least": _under_age,
    "education_share_at_least": _education, "field_present": _field, "disciplines_at_least": _disciplines,
    "members_from_other_units_at_least": _from_other_units, "no_member_with_active_warning": _no_warning,
}


class IdealModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    unit_class: str
    effective_from: dt.date
    reason: str = Field(min_length=1)
    rules: list[dict[str, Any]] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_rules(self) -> IdealModel:
        for r in self.rules:
            if r.get("rule") not in CHECKS:
                raise ValueError(f"{self.unit_class}: unknown rule {r.get('rule')} ({', '.join(CHECKS)})")
        return self


class TeamModels(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    source: str
    models: list[IdealModel]

    def for_class(self, unit_class: str | None, day: dt.date) -> IdealModel | None:
        for wanted in (unit_class, "*"):
            found = [m for m in self.models if m.unit_class == wanted and m.effective_from <= day]
            if found:
                return max(found, key=lambda m: m.effective_from)
        return None


@cache
def load(name: str = "team_models.v1.json") -> TeamModels:
    return TeamModels.model_validate(json.loads((CONFIG_DIR / name).read_text(encoding="utf-8")))


def gaps(members: Sequence[Member], model: IdealModel) -> list[dict[str, Any]]:
    """Every rule of ``model`` the team breaks, with what it expects and what the team has."""
    found = []
    for r in model.rules:
        holds, actual, expected = CHECKS[r["rule"]](members, r)
        if not holds:
            found.append({"rule": r["rule"], "parameters": {k: v for k, v in r.items() if k != "rule"},
                          "expected": expected, "actual": actual})
    return found


def report(unit: dict[str, Any], members: Sequence[Member], as_of: dt.date,
           models: TeamModels | None = None) -> dict[str, Any]:
    """The team of ``unit`` (its id, name and class) on ``as_of``: structure, the model applied, the gaps."""
    models = models or load()
    model = models.for_class(unit.get("unit_class"), as_of)
    ordered = sorted(members, key=lambda m: (m["leadership"] != "chief", m["name"], m["cadre_id"]))
    return {"unit_id": unit["unit_id"], "unit_name": unit.get("name"), "unit_class": unit.get("unit_class"),
            "as_of": as_of.isoformat(), "structure": structure(ordered, as_of),
            "model": None if model is None else {"configuration": models.version, "unit_class": model.unit_class,
                                                 "effective_from": model.effective_from.isoformat(),
                                                 "reason": model.reason},
            "gaps": [] if model is None else gaps(ordered, model)}
