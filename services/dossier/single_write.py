"""A single write in one round trip: decided on the heads this process keeps, checked and appended by
PostgreSQL in one call (``server_append``, migration 0006).

``DossierService._write`` reads before it decides: the stream's lock, the key's earlier answer, the stream's
tail after the kept head, the catalogue's tail, then the inserts and the key's answer; with BEGIN and COMMIT
nine round trips for one entry, on a shared two-core machine more client CPU in the sockets' sends than in
the decision. Here the write is decided first, optimistically, on what is kept: the stream's head (its
folded state, version and hash) and, when the decision reads it, the catalogue's. ``shiji_append`` then
takes the stream's lock and writes only if both heads are still the stored ones and no live answer is kept
for the key; otherwise it writes nothing and the caller takes the reading path, which decides again on the
stored state. So a decision is only ever stored when it was taken on the stored state, as before.

Only the writes that need nothing else of the world go this way: no superiors, no unit levels, no
assessment schemes, no directory rows (those are statements of their own), a stream already kept. The others, and every write on
SQLite, take the reading path.
"""

from __future__ import annotations

import datetime as dt

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from services.dossier import catalogue as cat
from services.dossier import server_append
from services.dossier.heads import StreamHeads
from services.dossier.idempotency import IDEMPOTENCY_TTL, IdempotentRequest, Outcome
from services.dossier.plans import CATALOGUE, Plan
from services.dossier.store import Actor
from services.dossier.write_parts import Appends, Lookups
from shared.db import one_statement
from shared.faults import crash_point


async def write_at_once(engine: AsyncEngine, heads: StreamHeads, plan: Plan, request: IdempotentRequest | None,
                        actor: Actor, context: dict[str, str] | None, expected_version: int | None, today: dt.date,
                        algorithm: str) -> tuple[Outcome, int] | None:
    """The write's outcome and how many events it appended; None when it must take the reading path
    (nothing was written)."""
    if engine.dialect.name != "postgresql" or plan.superiors or plan.unit_ids or plan.schemes:
        return None
    head = heads.get(plan.stream_id)
    if head is None or head.version == 0 or expected_version not in (None, head.version):
        return None
    guards, catalogue = [], cat.Catalogue()
    if plan.catalogue:
        kept = heads.get(CATALOGUE.stream_id)
        if kept is None or kept.version == 0:
            return None
        guards.append(server_append.Guard(CATALOGUE.stream_id, kept.version, kept.hash))
        catalogue = kept.state
    try:
        new_events = plan.decide(head.state, Lookups(catalogue, {}, {}).context(plan, actor, today))
    except Exception:
        return None
    appends = Appends(actor, context, dt.datetime.now(dt.UTC), algorithm)
    if not new_events:
        return None
    new_head, outcome = appends.add(plan, head, new_events)
    if appends.index:
        return None
    answer = None
    if request is not None:
        answer = server_append.Answer(request.key, request.request_hash, outcome.status, outcome.body,
                                      appends.now - IDEMPOTENCY_TTL)
    crash_point("dossier.before_commit")
    try:
        async with one_statement(engine) as driver:
            result = await server_append.call(driver, plan.stream_id, head.version, head.hash, appends.rows, guards,
                                              answer)
    except asyncpg.UniqueViolationError:  # a twin with the same key committed first: the reading path replays it
        return None
    if result.outcome != server_append.APPENDED:
        return None
    crash_point("dossier.after_commit")
    heads.put(plan.stream_id, new_head)
    return outcome, len(appends.rows)
