"""The rule-set document: what a rule set may say, as a contract.

Scoring loads rule sets in this shape (``services/scoring/rulesets/*.json``), and the public API
accepts one for a what-if simulation, so the shape lives here beside the other contracts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScreeningRules(Frozen):
    mass_satisfaction_min: Decimal = Decimal(85)  # a score at or below it bars promotion (85分以下 includes 85)
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
    bottom_of_ranking: int | None = 3  # yellow: the bottom N of a ranking (000: 倒数后三名)
    # The smallest class whose bottom N are warned; None: 2 N + 1 (7 for the bottom 3). 000 speaks of the
    # bottom 3 of a province's dozen cities: being "at the bottom" means something only when the bottom N are
    # below the middle of the class, i.e. the class has more than twice N members. Then the bottom N never
    # reach the top band (the top 30 %) either; in a smaller class (the only chief of a class, a two-deputy
    # team) no one gets this warning. A cadre in the top band (a tie across the whole class) never gets it.
    bottom_of_ranking_min_size: int | None = Field(None, ge=2)

    def bottom_of_ranking_applies_to(self, size: int) -> bool:
        """Whether the bottom-of-ranking warning applies in a class of ``size`` members."""
        if not self.bottom_of_ranking:
            return False
        least = self.bottom_of_ranking_min_size or 2 * self.bottom_of_ranking + 1
        return size >= least


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
