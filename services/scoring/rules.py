"""Rule sets: versioned, effective-dated, kept in the repo (``rulesets/*.json``) and loadable at run time.

The rule set in force on an as-of date is the newest whose ``effective_from`` is not after it.
Changing a rule set never rewrites history: a new file with a later ``effective_from`` (or a
higher version) takes over from then on, and every answer names the rule set that produced it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from shared.rule_sets import RankingRules, RuleSet, ScreeningRules, WarningRules

__all__ = ["BUILT_IN", "RankingRules", "RuleBook", "RuleSet", "ScreeningRules", "WarningRules"]

BUILT_IN = Path(__file__).resolve().parent / "rulesets"


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
