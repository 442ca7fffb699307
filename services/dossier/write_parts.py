"""The parts of a write that every path shares (``DossierService._write`` and ``single_write``): what the
decisions read of the world (``Lookups``), and what a transaction appends (``Appends``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.dossier import catalogue as cat
from services.dossier import directory, domain, store
from services.dossier.heads import StreamHead
from services.dossier.idempotency import IdempotentRequest, Outcome
from services.dossier.plans import Plan
from services.dossier.store import Actor, StoredResponse
from shared.assessment_scheme import parse_scheme
from shared.events import AssessmentSchemePublished, DomainEvent, UnitLevel, UnitRegistered
from shared.positions import position


@dataclass
class Lookups:
    """What one transaction's decisions need to know of the world beyond their own streams, read once."""

    catalogue: cat.Catalogue
    superiors: dict[str, frozenset[str]]  # by cadre stream, for the plans that need them
    unit_levels: dict[str, UnitLevel]
    schemes: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # assessment schemes' versions (issue 16)

    def context(self, plan: Plan, actor: Actor, today: dt.date) -> domain.Context:
        return domain.Context(actor=actor.subject, today=today, catalogue=self.catalogue,
                              superiors=self.superiors.get(plan.stream_id, frozenset()),
                              unit_levels={u: self.unit_levels.get(u) for u in plan.unit_ids},
                              schemes={s: self.schemes.get(s, ()) for s in plan.schemes})

    def learn(self, new_events: Sequence[DomainEvent]) -> None:
        """A unit registered (a scheme published) earlier in the transaction is known to the decisions after it."""
        for event in new_events:
            if isinstance(event, UnitRegistered):
                self.unit_levels[event.unit_id] = event.level
            if isinstance(event, AssessmentSchemePublished):
                self.schemes[event.scheme_id] = (*self.schemes.get(event.scheme_id, ()), parse_scheme(event.scheme))


@dataclass
class Appends:
    """What one transaction appends: each decision's events chained on its stream's head, the directory rows
    they imply, and the answers kept for their Idempotency-Keys; all written by ``write``."""

    actor: Actor
    context: dict[str, str] | None
    now: dt.datetime
    algorithm: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    index: list[Any] = field(default_factory=list)
    answers: list[tuple[str, StoredResponse]] = field(default_factory=list)

    def add(self, plan: Plan, head: StreamHead, new_events: Sequence[DomainEvent]) -> tuple[StreamHead, Outcome]:
        # Recorded times never run backwards within a stream, so "as known at T" is a prefix.
        rows = store.chained_rows(plan.stream_id, head.version, head.hash, new_events, self.actor,
                                  max(self.now, head.recorded_at), self.context, self.algorithm)
        self.rows.extend(rows)
        for event in new_events:
            self.index.extend(directory.statements(plan.stream_id, event, rows[0]["recorded_at"]))
        version = rows[-1]["stream_version"]  # and its position, for reading one's own writes (shared/positions.py)
        return head.after(plan, new_events, rows[-1]), Outcome(201, {**plan.ids, "version": version,
                                                                     "position": position(plan.stream_id, version)})

    def answer(self, request: IdempotentRequest, outcome: Outcome) -> StoredResponse:
        kept = StoredResponse(request.request_hash, outcome.status, outcome.body)
        self.answers.append((request.key, kept))
        return kept

    async def write(self, conn: AsyncConnection) -> None:
        await store.insert_rows(conn, self.rows)
        for statement in self.index:
            await conn.execute(statement)
        await store.save_responses(conn, self.answers)
