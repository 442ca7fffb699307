"""What a refresh changes and announces: warnings to raise and clear, totals to publish. Pure.

``decide`` compares the conditions holding for each cadre (``warnings``, ``ranking``) and its totals with
what the scoring database holds as announced (the active warnings, the totals last published) and returns
the difference as plain data, each change with the message that announces it. The repository applies it
(``repository.apply``): a change it finds already made (by a redelivery, another instance, a rebuild)
is neither made nor announced again.

A warning key is raised and cleared as often as its condition starts and stops holding: each raising is a
new *occurrence* of the key (1, 2, ...), the row that the clearing closes, and part of both messages' ids.
The ids of the messages are derived from what caused them (``shared/scoring_topics.py`` says why they are
stable and unique): a warning's cadre, key, status and occurrence; a cadre's totals' as-of day, rule set and
the dossier stream version of the cadre's last applied event they rest on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, NamedTuple

from services.scoring import ranking, warnings
from services.scoring.model import CadreFacts, cents, weighted
from services.scoring.rules import RuleSet
from services.scoring.window import summarize
from shared.scoring_topics import TotalsChanged, WarningChanged, cloudevent, totals_cause, warning_cause

TOTALS_FIELDS = ("total_cents", "positive_cents", "negative_cents", "rule_set")


@dataclass(frozen=True, slots=True)
class ActiveWarning:
    """A warning raised and not cleared, as the scoring database holds it."""

    cadre_id: str
    key: str
    raised_on: dt.date
    kind: str
    level: str
    detail: str
    rule_set: str
    occurrence: int = 1  # the how-many-th raising of ``key`` for the cadre
    figure: Decimal | None = None  # the condition's number on ``raised_on``, and what it was held against
    threshold: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PublishedTotals:
    """The totals last published for a cadre."""

    cadre_id: str
    total_cents: int
    positive_cents: int
    negative_cents: int
    rule_set: str
    stream_version: int | None = None  # the version of the cadre's dossier stream they rest on


@dataclass(frozen=True, slots=True)
class WarningChange:
    """Raise (a row to insert) or clear (the active row, to close) one warning, and its message."""

    status: Literal["raised", "cleared"]
    warning: ActiveWarning
    on: dt.date  # the day raised or cleared
    at: dt.datetime  # when
    message: bytes


class TotalsChange(NamedTuple):
    """A cadre's totals row (the ``published_totals`` values) and the message that publishes it."""

    values: dict
    message: bytes


@dataclass(frozen=True, slots=True)
class Changes:
    warnings: list[WarningChange] = field(default_factory=list)  # per cadre: raised, then cleared
    totals: list[TotalsChange] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Refreshed:
    cadres: int
    raised: int
    cleared: int
    totals_published: int


def kinds_evaluated(rules: RuleSet, with_rankings: bool) -> list[str]:
    """The warning kinds a refresh decides (and so may clear): the per-cadre ones, and with
    ``with_rankings`` (the daily job, over every cadre) the bottom-of-ranking one when the rules raise it."""
    kinds = list(warnings.PER_CADRE)
    if with_rankings and rules.warnings.bottom_of_ranking:
        kinds.append(warnings.RANKING)
    return kinds


def holding(facts: Mapping[str, CadreFacts], cadre_ids: Sequence[str], as_of: dt.date, rules: RuleSet,
                    with_rankings: bool) -> dict[str, list[warnings.Condition]]:
    """The warning conditions holding for each of ``cadre_ids`` on ``as_of``. The bottom N of a ranking are
    warned only in a class large enough (``WarningRules.bottom_of_ranking_applies_to``) and never when in
    the top band (a tie that spans the class)."""
    found = {i: warnings.per_cadre(facts[i], as_of, rules) for i in cadre_ids}
    if warnings.RANKING in kinds_evaluated(rules, with_rankings):
        for group, ids in ranking.ranking_groups(facts, as_of).items():
            if not rules.warnings.bottom_of_ranking_applies_to(len(ids)):
                continue
            ranked = ranking.rank_group(facts, ids, as_of, rules)
            for r in ranking.bottom(ranked, rules.warnings.bottom_of_ranking):
                if r.band != "top" and r.candidate.cadre_id in found:
                    found[r.candidate.cadre_id].append(
                        warnings.bottom_of_ranking(group, r.candidate.total, r.rank, len(ranked), as_of))
    return found


def totals_change(facts: CadreFacts, before: PublishedTotals | None, as_of: dt.date, now: dt.datetime,
                  rules: RuleSet, version: int | None = None) -> TotalsChange | None:
    """The cadre's totals row and its message, or None when they are what was last published. ``version``:
    the dossier stream version of the cadre's last event applied (None: the daily job, which applies none:
    the version the last published totals rested on)."""
    if version is None:
        version = before.stream_version if before is not None else None
    summary = summarize(weighted(facts, rules), as_of, rules.window_years)
    values = {"cadre_id": facts.cadre_id, "as_of": as_of, "total_cents": cents(summary.overall.total),
              "positive_cents": cents(summary.overall.positive), "negative_cents": cents(summary.overall.negative),
              "rule_set": rules.name, "stream_version": version}
    if before is not None and all(getattr(before, f) == values[f] for f in TOTALS_FIELDS):
        return None
    message = TotalsChanged(cadre_id=facts.cadre_id, as_of=as_of, window_start=summary.window.start,
                            window_end=summary.window.end, total=summary.overall.total,
                            positive=summary.overall.positive, negative=summary.overall.negative,
                            rule_set=rules.name)
    return TotalsChange(values, cloudevent(message, now, cause=totals_cause(version)))


def _announced(status: Literal["raised", "cleared"], w: ActiveWarning, on: dt.date, now: dt.datetime) -> WarningChange:
    message = WarningChanged(cadre_id=w.cadre_id, key=w.key, kind=w.kind, level=w.level, status=status, on=on,
                             detail=w.detail, rule_set=w.rule_set)
    return WarningChange(status, w, on, now, cloudevent(message, now, cause=warning_cause(w.occurrence)))


def decide(facts: Mapping[str, CadreFacts], cadre_ids: Sequence[str], active: Mapping[str, Mapping[str, ActiveWarning]],
           published: Mapping[str, PublishedTotals], as_of: dt.date, now: dt.datetime, rules: RuleSet, *,
           with_rankings: bool = False, occurrences: Mapping[str, Mapping[str, int]] | None = None,
           versions: Mapping[str, int] | None = None) -> Changes:
    """What to raise, clear and publish for ``cadre_ids`` as of ``as_of``, given the warnings ``active``
    (of the kinds ``kinds_evaluated``, by cadre and key), the last ``occurrences`` of every key raised before
    (active or cleared, by cadre and key), the totals last ``published`` (by cadre) and the ``versions`` of
    the cadres' last applied dossier events (the consumer's batch; the daily job has none)."""
    occurrences = occurrences or {}
    versions = versions or {}
    conditions = holding(facts, cadre_ids, as_of, rules, with_rankings)
    changes = Changes()
    for cadre_id in cadre_ids:
        now_holding = {c.key: c for c in conditions[cadre_id]}
        was_active = active.get(cadre_id, {})
        for key, c in now_holding.items():
            if key not in was_active:
                occurrence = max(occurrences.get(cadre_id, {}).get(key, 0), 0) + 1
                raised = ActiveWarning(cadre_id, c.key, as_of, c.kind, c.level, c.detail, rules.name, occurrence,
                                       c.figure, c.threshold)
                changes.warnings.append(_announced("raised", raised, as_of, now))
        for key, row in was_active.items():
            if key not in now_holding:
                changes.warnings.append(_announced("cleared", row, as_of, now))
        totals = totals_change(facts[cadre_id], published.get(cadre_id), as_of, now, rules, versions.get(cadre_id))
        if totals is not None:
            changes.totals.append(totals)
    return changes
