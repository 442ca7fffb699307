"""Keeping warnings and published totals current, and answering screenings and rankings.

``refresh`` runs inside the consumer's transaction for the cadres a batch touched, and in the
daily job for every cadre (points leave the window as days pass, with no new event). Every state
change writes its message to the outbox in the same transaction, and only when the row really
changed (INSERT ... ON CONFLICT DO NOTHING / UPDATE ... WHERE still active, checked by rowcount),
so a redelivery, a second scoring instance or a rebuild never announces anything twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scoring import ranking, warnings
from services.scoring.facts import CadreFacts, Summing, load_entries, load_facts
from services.scoring.projection import cents
from services.scoring.rules import RuleBook, RuleSet
from services.scoring.screening import Screening, screen
from services.scoring.tables import outbox, published_totals
from services.scoring.tables import warnings as warnings_table
from services.scoring.window import Points, rolling_window, summarize
from shared.calendar import Quarter
from shared.db import insert_ignore, upsert
from shared.scoring_topics import TOTALS_TOPIC, WARNINGS_TOPIC, TotalsChanged, WarningChanged, cloudevent


@dataclass(frozen=True, slots=True)
class Refreshed:
    cadres: int
    raised: int
    cleared: int
    totals_published: int


def summing_for_totals(as_of: dt.date, rules: RuleSet) -> Summing:
    """Enough for window totals, rankings and warnings (the quarter so far, the rolling window, sanctions)."""
    cuts = {rolling_window(as_of, rules.window_years).start, Quarter.of(as_of).first_day}
    return Summing(tuple(sorted(cuts)), as_of, by_category=bool(rules.category_weights))


def summing_for_screening(as_of: dt.date, *rule_sets: RuleSet, evidence: bool = False) -> Summing:
    """Window totals under each rule set, with sanctions and the execution-capability negative list kept one
    by one; with ``evidence`` the negative entries too (a failed net-negative rule cites each of them)."""
    return Summing(tuple(sorted({rolling_window(as_of, r.window_years).start for r in rule_sets})), as_of,
                   keep_negative=evidence,
                   keep_categories=frozenset(c for r in rule_sets for c in r.screening.execution_negative_categories))


def screening_years(as_of: dt.date, *rule_sets: RuleSet) -> range:
    """The years whose results screening reads: the three before the as-of year (or as many as a third
    prize bars heads for), and the as-of year itself (a veto recorded this year already bars)."""
    back = max([3, *(r.screening.third_prize_bar_years for r in rule_sets)])
    return range(as_of.year - back, as_of.year + 1)


def summing_for_breakdowns(as_of: dt.date, rules: RuleSet) -> Summing:
    """The score's breakdowns: the rolling window, every calendar quarter from the first of the three years
    before the as-of year on (the yearly sheets and the last 12 quarters are sums of quarters). Totals
    only, so everything is summed (sanctions too), and by category only when the rule set weighs one."""
    window = rolling_window(as_of, rules.window_years)
    since = min(window.start, dt.date(as_of.year - 3, 1, 1))
    cuts, quarter = {since, window.start}, Quarter.of(since)
    while quarter.first_day <= as_of:
        cuts.add(max(quarter.first_day, since))
        quarter = quarter.next()
    return Summing(tuple(sorted(cuts)), as_of, keep_sanctions=False, by_category=bool(rules.category_weights))


def weighted(facts: CadreFacts, rules: RuleSet) -> list[Points]:
    return [(e.effective_date, e.points * rules.weight(e.category), e.count) for e in facts.entries]


def ranking_groups(all_facts: dict[str, CadreFacts], as_of: dt.date) -> dict[str, list[str]]:
    """Class groups ("class:<unit class>:<chief|deputy>") and deputies' teams ("team:<unit>:deputy")."""
    groups: dict[str, list[str]] = defaultdict(list)
    for facts in all_facts.values():
        for post in facts.posts:
            if post.open_on(as_of) and post.leadership in ("chief", "deputy"):
                unit_class = facts.unit_classes.get(post.unit_id)
                if unit_class:
                    groups[f"class:{unit_class}:{post.leadership}"].append(facts.cadre_id)
                if post.leadership == "deputy":
                    groups[f"team:{post.unit_id}:deputy"].append(facts.cadre_id)
    return {g: sorted(set(ids)) for g, ids in groups.items()}


def rank_group(all_facts: dict[str, CadreFacts], ids: Sequence[str], as_of: dt.date, rules: RuleSet) -> list[ranking.Ranked]:
    candidates = [ranking.Candidate(i, all_facts[i].name, all_facts[i].unit_id,
                                    summarize(weighted(all_facts[i], rules), as_of, rules.window_years).overall.total)
                  for i in ids]
    return ranking.rank(candidates, rules.ranking)


class Evaluator:
    def __init__(self, rules: RuleBook, *, totals_topic: str = TOTALS_TOPIC, warnings_topic: str = WARNINGS_TOPIC) -> None:
        self.rules = rules
        self._totals_topic = totals_topic
        self._warnings_topic = warnings_topic
        # By this process, for /metrics. Counted when decided: a batch whose transaction then fails (and is
        # retried) counts its warnings again, so the counters may run slightly ahead of the table.
        self.raised = self.cleared = 0

    async def refresh(self, conn: AsyncConnection, cadre_ids: Sequence[str], as_of: dt.date, now: dt.datetime,
                      *, with_rankings: bool = False, all_facts: dict[str, CadreFacts] | None = None) -> Refreshed:
        """Bring warnings and published totals of ``cadre_ids`` up to ``as_of``. With ``with_rankings``
        (the daily job, over every cadre) the bottom-of-ranking warnings are evaluated too."""
        rules = self.rules.for_date(as_of)
        if all_facts is not None:
            facts = all_facts
        else:  # warnings per cadre and totals ask only for entries, as held now: one query, in the consumer's hot path
            found = await load_entries(conn, cadre_ids, None, summing=summing_for_totals(as_of, rules))
            facts = {i: CadreFacts(i, entries=found.get(i, [])) for i in cadre_ids}
        holding: dict[str, list[warnings.Condition]] = {i: warnings.per_cadre(facts[i], as_of, rules) for i in cadre_ids}
        kinds = list(warnings.PER_CADRE)
        if with_rankings and rules.warnings.bottom_of_ranking:
            kinds.append(warnings.RANKING)
            for group, ids in ranking_groups(facts, as_of).items():
                ranked = rank_group(facts, ids, as_of, rules)
                for r in ranking.bottom(ranked, rules.warnings.bottom_of_ranking):
                    holding[r.candidate.cadre_id].append(
                        warnings.bottom_of_ranking(group, r.candidate.total, r.rank, len(ranked)))
        raised = cleared = 0
        active = await self._active(conn, cadre_ids, kinds)
        last_published = await self._published(conn, cadre_ids)
        changed_totals = []
        for cadre_id in cadre_ids:
            now_holding = {c.key: c for c in holding[cadre_id]}
            for key, condition in now_holding.items():
                if key not in active[cadre_id]:
                    raised += await self._raise(conn, cadre_id, condition, as_of, now, rules)
            for key, row in active[cadre_id].items():
                if key not in now_holding:
                    cleared += await self._clear(conn, cadre_id, row, as_of, now)
            totals = self._totals(facts[cadre_id], last_published.get(cadre_id), as_of, now, rules)
            if totals is not None:
                changed_totals.append(totals)
        published = await self._publish_totals(conn, changed_totals)
        self.raised += raised
        self.cleared += cleared
        return Refreshed(len(cadre_ids), raised, cleared, published)

    @staticmethod
    async def _active(conn: AsyncConnection, cadre_ids: Sequence[str], kinds: list[str]) -> dict[str, dict[str, object]]:
        found: dict[str, dict[str, object]] = defaultdict(dict)
        for i in range(0, len(cadre_ids), 5000):
            rows = await conn.execute(select(warnings_table).where(
                warnings_table.c.cadre_id.in_(cadre_ids[i:i + 5000]), warnings_table.c.cleared_at.is_(None),
                warnings_table.c.kind.in_(kinds)))
            for r in rows:
                found[r.cadre_id][r.key] = r
        return found

    @staticmethod
    async def _published(conn: AsyncConnection, cadre_ids: Sequence[str]) -> dict[str, object]:
        found = {}
        for i in range(0, len(cadre_ids), 5000):
            for r in await conn.execute(select(published_totals).where(
                    published_totals.c.cadre_id.in_(cadre_ids[i:i + 5000]))):
                found[r.cadre_id] = r
        return found

    @staticmethod
    async def _emit(conn: AsyncConnection, topic: str, key: str, value: bytes) -> None:
        await conn.execute(outbox.insert().values(topic=topic, key=key, value=value))

    async def _raise(self, conn: AsyncConnection, cadre_id: str, c: warnings.Condition, on: dt.date, now: dt.datetime,
                     rules: RuleSet) -> int:
        result = await conn.execute(insert_ignore(conn.dialect.name, warnings_table).values(
            cadre_id=cadre_id, key=c.key, raised_on=on, kind=c.kind, level=c.level, detail=c.detail,
            rule_set=rules.name, raised_at=now))
        if result.rowcount != 1:
            return 0
        message = WarningChanged(cadre_id=cadre_id, key=c.key, kind=c.kind, level=c.level, status="raised", on=on,
                                 detail=c.detail, rule_set=rules.name)
        await self._emit(conn, self._warnings_topic, cadre_id, cloudevent(message, now))
        return 1

    async def _clear(self, conn: AsyncConnection, cadre_id: str, row, on: dt.date, now: dt.datetime) -> int:
        result = await conn.execute(update(warnings_table).where(and_(
            warnings_table.c.cadre_id == cadre_id, warnings_table.c.key == row.key,
            warnings_table.c.raised_on == row.raised_on, warnings_table.c.cleared_at.is_(None),
        )).values(cleared_on=on, cleared_at=now))
        if result.rowcount != 1:
            return 0
        message = WarningChanged(cadre_id=cadre_id, key=row.key, kind=row.kind, level=row.level, status="cleared",
                                 on=on, detail=row.detail, rule_set=row.rule_set)
        await self._emit(conn, self._warnings_topic, cadre_id, cloudevent(message, now))
        return 1

    def _totals(self, facts: CadreFacts, before, as_of: dt.date, now: dt.datetime,
                rules: RuleSet) -> tuple[dict, bytes] | None:
        """The cadre's totals row and its message, or None when they are what was last published."""
        summary = summarize(weighted(facts, rules), as_of, rules.window_years)
        values = {"cadre_id": facts.cadre_id, "as_of": as_of, "total_cents": cents(summary.overall.total),
                  "positive_cents": cents(summary.overall.positive), "negative_cents": cents(summary.overall.negative),
                  "rule_set": rules.name}
        fields = ("total_cents", "positive_cents", "negative_cents", "rule_set")
        if before is not None and all(getattr(before, f) == values[f] for f in fields):
            return None
        message = TotalsChanged(cadre_id=facts.cadre_id, as_of=as_of, window_start=summary.window.start,
                                window_end=summary.window.end, total=summary.overall.total,
                                positive=summary.overall.positive, negative=summary.overall.negative,
                                rule_set=rules.name)
        return values, cloudevent(message, now)

    async def _publish_totals(self, conn: AsyncConnection, changed: list[tuple[dict, bytes]]) -> int:
        """Store and announce the changed totals: two statements for the whole batch, however many cadres."""
        if changed:
            await conn.execute(upsert(conn.dialect.name, published_totals, None, ["cadre_id"],
                                      ["as_of", "total_cents", "positive_cents", "negative_cents", "rule_set"]),
                               [values for values, _ in changed])
            await conn.execute(outbox.insert(), [{"topic": self._totals_topic, "key": values["cadre_id"], "value": message}
                                                 for values, message in changed])
        return len(changed)

    # ------------------------------------------------------------------------------------ answers

    async def screening(self, conn: AsyncConnection, cadre_ids: Sequence[str], as_of: dt.date,
                        known_at: dt.datetime | None) -> list[Screening]:
        """Every rule for each cadre, with its evidence, as known at ``known_at`` (None: as held now).
        Negative entries are summed at first: few cadres fail a rule that cites them one by one, and only
        those cadres' entries are loaded again, unsummed."""
        rules = self.rules.for_date(as_of)
        facts = await load_facts(conn, cadre_ids, known_at, summing=summing_for_screening(as_of, rules),
                                 result_years=screening_years(as_of, rules))
        results = {i: screen(facts[i], as_of, rules) for i in cadre_ids}
        citing_sums = [i for i, s in results.items() if any("" in r.evidence for r in s.results)]
        if citing_sums:
            found = await load_entries(conn, citing_sums, known_at,
                                       summing=summing_for_screening(as_of, rules, evidence=True))
            for i in citing_sums:
                facts[i].entries = found.get(i, [])
                results[i] = screen(facts[i], as_of, rules)
        return [results[i] for i in cadre_ids]
