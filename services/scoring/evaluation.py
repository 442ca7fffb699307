"""Keeping warnings and published totals current, and answering screenings, within a caller's transaction.

``Evaluator.refresh`` runs inside the consumer's transaction for the cadres a batch touched, and in the
daily refresh (``service.py``) for every cadre (points leave the window as days pass, with no new event).
It loads the facts and what was announced, lets ``announcements.decide`` (pure) say what to raise, clear
and publish, and has ``repository.apply`` make those changes with their outbox messages in the same
transaction: applied once, announced once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from services.scoring import announcements, repository
from services.scoring.announcements import Refreshed
from services.scoring.facts import load_entries, load_facts
from services.scoring.model import CadreFacts, screening_years, summing_for_screening, summing_for_totals
from services.scoring.rules import RuleBook
from services.scoring.screening import Screening, screen
from shared.scoring_topics import TOTALS_TOPIC, WARNINGS_TOPIC


class Evaluator:
    def __init__(self, rules: RuleBook, *, totals_topic: str = TOTALS_TOPIC, warnings_topic: str = WARNINGS_TOPIC) -> None:
        self.rules = rules
        self._totals_topic = totals_topic
        self._warnings_topic = warnings_topic
        # By this process, for /metrics. Counted when decided: a batch whose transaction then fails (and is
        # retried) counts its warnings again, so the counters may run slightly ahead of the table.
        self.raised = self.cleared = 0

    async def refresh(self, conn: AsyncConnection, cadre_ids: Sequence[str], as_of: dt.date, now: dt.datetime,
                      *, with_rankings: bool = False, all_facts: dict[str, CadreFacts] | None = None,
                      versions: Mapping[str, int] | None = None) -> Refreshed:
        """Bring warnings and published totals of ``cadre_ids`` up to ``as_of``. With ``with_rankings``
        (the daily job, over every cadre, whose facts it passes as ``all_facts``) the bottom-of-ranking
        warnings are evaluated too. ``versions``: the stream version of each cadre's last event the
        consumer's batch applied (what the totals messages' ids rest on)."""
        rules = self.rules.for_date(as_of)
        if all_facts is not None:
            facts = all_facts
        else:  # warnings per cadre and totals ask only for entries, as held now: one query, in the consumer's hot path
            found = await load_entries(conn, cadre_ids, None, summing=summing_for_totals(as_of, rules))
            facts = {i: CadreFacts(i, entries=found.get(i, [])) for i in cadre_ids}
        active, occurrences = await repository.known_warnings(conn, cadre_ids,
                                                              announcements.kinds_evaluated(rules, with_rankings))
        published = await repository.last_published(conn, cadre_ids)
        changes = announcements.decide(facts, cadre_ids, active, published, as_of, now, rules,
                                       with_rankings=with_rankings, occurrences=occurrences, versions=versions)
        done = await repository.apply(conn, changes, totals_topic=self._totals_topic,
                                      warnings_topic=self._warnings_topic)
        self.raised += done.raised
        self.cleared += done.cleared
        return Refreshed(len(cadre_ids), done.raised, done.cleared, done.totals_published)

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
