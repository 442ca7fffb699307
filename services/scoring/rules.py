"""Rule sets: versioned, effective-dated, kept in the repo (``rulesets/*.json``) and loadable at run time.

The rule set in force on an as-of date is the newest whose ``effective_from`` is not after it.
Changing a rule set never rewrites history: a new file with a later ``effective_from`` (or a
higher version) takes over from then on, and every answer names the rule set that produced it.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

BUILT_IN = Path(__file__).resolve().parent / "rulesets"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScreeningRules(Frozen):
    mass_satisfaction_min: Decimal = Decimal(85)
    years_in_post_min: int = 3
    # Categories that stand for the execution-capability negative list (003).
    execution_negative_categories: tuple[str, ...] = ()
    third_prize_bar_years: int = 1


class RankingRules(Frozen):
    top_share: Decimal = Field(Decimal("0.3"), gt=0, lt=1)
    bottom_share: Decimal = Field(Decimal("0.1"), gt=0, lt=1)


class WarningRules(Frozen):
    quarter_points_below: Decimal | None = Decimal(-3)  # yellow
    rolling_total_below: Decimal | None = Decimal(0)  # red
    sanction_in_impact_period: bool = True  # red
    bottom_of_ranking: int | None = 3  # yellow: the bottom N of a ranking


class RuleSet(Frozen):
    id: str
    version: int = Field(ge=1)
    effective_from: dt.date
    description: str = ""
    window_years: int = Field(3, ge=1, le=10)
    category_weights: dict[str, Decimal] = Field(default_factory=dict)
    screening: ScreeningRules = ScreeningRules()
    ranking: RankingRules = RankingRules()
    warnings: WarningRules = WarningRules()

    @property
    def name(self) -> str:
        return f"{self.id}@{self.version}"

    def weight(self, category: str | None) -> Decimal:
        return self.category_weights.get(category or "", Decimal(1))


class RuleBook:
    """All known rule sets; ``for_date`` picks the one in force."""

    def __init__(self, rule_sets: list[RuleSet]) -> None:
        if not rule_sets:
            raise ValueError("no rule sets")
        self._sets = sorted(rule_sets, key=lambda r: (r.effective_from, r.version))

    @classmethod
    def load(cls, *folders: Path | None) -> RuleBook:
        found = []
        for folder in (BUILT_IN, *folders):
            if folder is not None:
                found += [RuleSet.model_validate(json.loads(p.read_text("utf-8"))) for p in sorted(folder.glob("*.json"))]
        return cls(found)

    def for_date(self, day: dt.date) -> RuleSet:
        in_force = [r for r in self._sets if r.effective_from <= day]
        return in_force[-1] if in_force else self._sets[0]

    def __iter__(self):
        return iter(self._sets)
