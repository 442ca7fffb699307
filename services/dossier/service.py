"""The dossier's use cases: load a stream, decide, append, in one transaction.

Every write runs one pipeline (``_write``), for a single command (``execute``) as for a bulk import's
batch of many (``execute_batch``): lock the streams; replay what an Idempotency-Key first answered
(``idempotency``); read each stream's head (``heads``); look up what the decisions need of the world
(``Lookups``, the context); decide each command in order; then append the rows, index the directory
and keep the answers (``Appends``). Every write names the operation of ``shared.commands.OPERATIONS``
it carries out (its ``Plan``, ``plans.py``) and is idempotent (a key) or conditional (an expected version).

The dossier's writes (commands, the catalogue's seed, the access log) begin and commit here
(``_transaction``); the relay commits its checkpoints itself (``relay.py``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.dossier import access_log, assessment_plans, directory, domain, plans, store, units
from services.dossier import catalogue as cat
from services.dossier.heads import StreamHead, StreamHeads
from services.dossier.idempotency import (
    IDEMPOTENCY_TTL,
    IdempotencyKeyReused,
    IdempotentRequest,
    Outcome,
    earlier_answers,
    replay,
)
from services.dossier.plans import CATALOGUE, Plan
from services.dossier.sealing import Sealer, SealingUnavailable
from services.dossier.single_write import write_at_once
from services.dossier.store import Actor, ConcurrencyError, StoredEvent
from services.dossier.write_parts import Appends, Lookups
from shared import chain
from shared import commands as c
from shared.db import make_engine, write_transaction
from shared.events import DeclarationKind
from shared.faults import crash_point
from shared.group_commit import GroupCommit

__all__ = ["IDEMPOTENCY_TTL", "BatchItem", "DossierService", "IdempotencyKeyReused", "IdempotentRequest", "Outcome",
           "StreamHead", "StreamHeads", "dossier_engine"]

# Without If-Match a command is re-decided on the newest state when another writer got in first.
MAX_ATTEMPTS = 5
SYSTEM = Actor("system", "system")
# What a batch answers for one of its items instead of failing the whole batch.
BATCH_REFUSALS = (domain.DomainError, SealingUnavailable, IdempotencyKeyReused)


def dossier_engine(url: str, pool_size: int) -> AsyncEngine:
    """The dossier's engine. No ping on checkout: the writes' transactions find a dropped connection at BEGIN
    themselves (``shared.db.write_transaction``), and the ping's three round trips cost a write a fifth of
    its time (``bench/append_rates.py``)."""
    return make_engine(url, pool_size=pool_size, pre_ping=False)


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One command of a batch: what ``execute`` takes, with the row's own idempotency key and, when
    the source system chose it, the id of what the command creates."""

    operation: str
    command: c.Command
    params: dict[str, str]
    idempotency: IdempotentRequest
    new_id: str | None = None


class DossierService:
    def __init__(self, engine: AsyncEngine, *, today: Callable[[], dt.date],
                 on_append: Callable[[], None] = lambda: None, sealer: Sealer | None = None,
                 hash_algorithm: str = "sm3", head_cache_size: int = 1000) -> None:
        self._engine = engine
        self._today = today
        self._on_append = on_append
        self._sealer = sealer
        self._algorithm = hash_algorithm
        # SQLite has one writer at a time; queue our own writers instead of spinning on SQLITE_BUSY.
        self._write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        self.appended = 0  # events this process appended (for /metrics)
        # Every gateway request appends to the access log, and its chain makes the appends take turns.
        self._access_log = GroupCommit(self._append_access_entries)
        self._heads = StreamHeads(head_cache_size)
        self._units = directory.UnitTree()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncConnection]:
        if self._write_lock is None:
            async with write_transaction(self._engine) as conn:
                yield conn
        else:
            async with self._write_lock, self._engine.begin() as conn:
                yield conn

    # ------------------------------------------------------------------------------------------ writes
    # ``context``: the request's trace context and request id, stored with the events for operators
    # (see shared/tracing.py); never part of an event or of the idempotency hash.

    async def execute(self, operation: str, command: c.Command, params: dict[str, str], actor: Actor,
                      idempotency_key: str | None = None, expected_version: int | None = None,
                      context: dict[str, str] | None = None) -> Outcome:
        """Carry out ``operation`` (a name of ``shared.commands.OPERATIONS``) with its path ``params``."""
        plan = plans.plan(operation, command, params, self._seal)
        idempotency = (IdempotentRequest.of(actor, idempotency_key, operation, params, command)
                       if idempotency_key else None)
        at_once = await write_at_once(self._engine, self._heads, plan, idempotency, actor, context, expected_version,
                                      self._today(), self._algorithm)
        if at_once is not None:
            outcome, appended = at_once
            self.appended += appended
            self._on_append()
            return outcome
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                (outcome,) = await self._write([(plan, idempotency)], actor, context, expected_version)
                return outcome  # type: ignore[return-value]  # nothing is refused as an answer here
            except ConcurrencyError:
                self._heads.forget(plan.stream_id)  # in case the store went back (a restore): read it whole
                if expected_version is not None or attempt == MAX_ATTEMPTS:
                    raise
            except IntegrityError:
                # A twin request with the same key committed first; the next attempt replays its answer.
                if attempt == MAX_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    async def execute_batch(self, items: Sequence[BatchItem], actor: Actor,
                            context: dict[str, str] | None = None) -> list[Outcome | Exception]:
        """Carry out many commands on many streams in ONE transaction (bulk import).

        Each item is decided as ``execute`` would, in order, on the state its predecessors in the batch
        left; an item the domain refuses gets its ``DomainError`` (or ``IdempotencyKeyReused``) in the
        answer and appends nothing, and the others go on. Every stream of the batch is locked first,
        its events are chained like any append, and all rows go in with one statement. A database error
        aborts the whole batch (nothing is written) and propagates: the caller retries item by item.
        Items needing a superior's standing (``Plan.superiors``) are not imported: see ``importer``."""
        planned = [(plans.plan(i.operation, i.command, i.params, self._seal, i.new_id), i.idempotency) for i in items]
        return await self._write(planned, actor, context, refusals=BATCH_REFUSALS)

    async def _write(self, items: Sequence[tuple[Plan, IdempotentRequest | None]], actor: Actor,
                     context: dict[str, str] | None, expected_version: int | None = None,
                     refusals: tuple[type[Exception], ...] = ()) -> list[Outcome | Exception]:
        """The one write pipeline: decide ``items`` in order in one transaction and append what they decide.
        An exception of ``refusals`` is the answer of its item; any other aborts the transaction."""
        results: list[Outcome | Exception] = []
        async with self._transaction() as conn:
            await store.lock_streams(conn, sorted({plan.stream_id for plan, _ in items}))
            answers = await earlier_answers(conn, [request.key for _, request in items if request is not None])
            # A replayed answer reads nothing more (and a conditional retry replays, whatever the version now).
            to_decide = [plan for plan, request in items if request is None or request.key not in answers]
            heads = await self._read_heads(conn, to_decide)
            if expected_version is not None and to_decide:
                stream_id = to_decide[0].stream_id
                if expected_version != heads[stream_id].version:
                    raise ConcurrencyError(stream_id, expected_version, heads[stream_id].version)
            today = self._today()
            lookups = await self._look_up(conn, to_decide, today)
            appends = Appends(actor, context, dt.datetime.now(dt.UTC), self._algorithm)
            for plan, request in items:
                try:
                    if request is not None and (first := answers.get(request.key)) is not None:
                        results.append(replay(first, request))
                        continue
                    new_events = plan.decide(heads[plan.stream_id].state, lookups.context(plan, actor, today))
                except refusals as exc:
                    results.append(exc)
                    continue
                heads[plan.stream_id], outcome = appends.add(plan, heads[plan.stream_id], new_events)
                lookups.learn(new_events)
                if request is not None:  # a second item with the same key replays this one
                    answers[request.key] = appends.answer(request, outcome)
                results.append(outcome)
            await appends.write(conn)
            crash_point("dossier.before_commit")
        crash_point("dossier.after_commit")
        for stream_id, head in heads.items():
            if head.version:
                self._heads.put(stream_id, head)
        self.appended += len(appends.rows)
        if appends.rows:
            self._on_append()
        return results

    async def _read_heads(self, conn: AsyncConnection, to_decide: Sequence[Plan]) -> dict[str, StreamHead]:
        """The head of each stream of ``to_decide`` as committed. One stream (every single write): its kept head
        caught up with the events after it (``_current``). Many (a batch): the kept heads still the newest in
        the store are checked in one query and the other streams read whole in one more; a cadre with
        thousands of entries spans many batches, and reading its whole history for each would make an
        import quadratic."""
        stream_plans: dict[str, Plan] = {}  # each stream with the plan of its first item
        for plan in to_decide:
            stream_plans.setdefault(plan.stream_id, plan)
        if len(stream_plans) == 1:
            ((stream_id, plan),) = stream_plans.items()
            return {stream_id: await self._current(conn, plan)}
        kept = {s: head for s in stream_plans if (head := self._heads.get(s)) is not None}
        newest = await store.stream_heads(conn, list(kept))
        heads = {s: kept[s] for s, head in newest.items() if (kept[s].version, kept[s].hash) == head}
        histories = await store.read_streams(conn, [s for s in stream_plans if s not in heads])
        for stream_id, plan in stream_plans.items():
            if stream_id not in heads:
                heads[stream_id] = StreamHead.start(plan).followed_by(plan, histories.get(stream_id, []))
        return heads

    async def _current(self, conn: AsyncConnection, plan: Plan) -> StreamHead:
        """The stream's head as committed: the one kept from earlier caught up with the events after it.
        The kept head's own event is read again and must be the one kept (its hash): a store put back by a
        restore, and written since, would otherwise have a command decided on events it no longer holds."""
        kept = self._heads.get(plan.stream_id)
        if kept is not None and kept.version > 0:
            tail = await store.read_stream(conn, plan.stream_id, after=kept.version - 1)
            if tail and tail[0].stream_version == kept.version and tail[0].hash == kept.hash:
                if len(tail) == 1:
                    return kept
                head = kept.followed_by(plan, tail[1:])
                self._heads.put(plan.stream_id, head)
                return head
        head = StreamHead.start(plan).followed_by(plan, await store.read_stream(conn, plan.stream_id))
        if head.version:
            self._heads.put(plan.stream_id, head)
        return head

    async def _look_up(self, conn: AsyncConnection, wanted: Sequence[Plan], today: dt.date) -> Lookups:
        """The context builder's reads: the catalogue, superiors and unit levels the plans ask for."""
        catalogue = (await self._current(conn, CATALOGUE)).state if any(p.catalogue for p in wanted) else cat.Catalogue()
        superiors = {s: await directory.superiors(conn, s, today)
                     for s in dict.fromkeys(p.stream_id for p in wanted if p.superiors)}
        levels = await directory.unit_levels(conn, [u for p in wanted for u in p.unit_ids])
        schemes = {s: (await self._current(conn, assessment_plans.scheme_plan(s))).state
                   for s in dict.fromkeys(s for p in wanted for s in p.schemes)}
        return Lookups(catalogue, superiors, levels, schemes)

    def _seal(self, cadre_id: str, kind: DeclarationKind, details: str) -> tuple[str, str]:
        if self._sealer is None:
            raise SealingUnavailable("no declaration key is configured (SHIJI_DOSSIER_DECLARATION_KEY)")
        return self._sealer.seal(details, f"{cadre_id}/{kind}"), self._sealer.key_id

    async def seed_catalogue(self) -> None:
        """Append the default catalogue once, on a fresh system; a concurrent seeder's win is fine."""
        async with self._transaction() as conn:
            if await store.stream_version(conn, cat.STREAM_ID):
                return
            try:
                seeded = await store.append(conn, cat.STREAM_ID, 0, cat.DEFAULT_CATEGORIES, SYSTEM,
                                            dt.datetime.now(dt.UTC), algorithm=self._algorithm)
            except ConcurrencyError:
                return
        # Kept, so that the first writes that read the catalogue can take the one-call path (single_write.py).
        self._heads.put(CATALOGUE.stream_id, StreamHead.start(CATALOGUE).followed_by(CATALOGUE, seeded))
        self.appended += len(seeded)
        self._on_append()

    # ------------------------------------------------------------------------------------------ reads

    async def history(self, stream_id: str, known_at: dt.datetime | None = None) -> list[StoredEvent]:
        async with self._engine.connect() as conn:
            events = await store.read_stream(conn, stream_id)
        return [e for e in events if known_at is None or e.recorded_at <= known_at]

    async def cadre_history(self, cadre_id: str, known_at: dt.datetime | None = None) -> list[StoredEvent]:
        events = await self.history(cadre_id, known_at)
        if not events or events[0].event_type != "cadre_registered":
            raise domain.CadreNotFound(f"no cadre {cadre_id}" + (f" as known at {known_at}" if known_at else ""),
                                       rule="cadre_exists")
        return events

    async def cadre_card(self, cadre_id: str) -> tuple[str, str, int]:
        """The cadre's name, unit and stream version without reading their stream (``directory.cadre_card``)."""
        async with self._engine.connect() as conn:
            card = await directory.cadre_card(conn, cadre_id)
        if card is None:
            raise domain.CadreNotFound(f"no cadre {cadre_id}", rule="cadre_exists")
        return card

    async def catalogue(self) -> cat.Catalogue:
        async with self._engine.connect() as conn:
            return (await self._current(conn, CATALOGUE)).state

    async def unit(self, unit_id: str) -> units.Unit:
        state = units.fold(unit_id, [e.domain_event() for e in await self.history(units.stream_id(unit_id))])
        if not state.exists:
            raise domain.NotFound(f"no unit {unit_id}", field="unit_id", rule="unit_exists")
        return state

    async def relations(self, subject: str, unit: str | None, cadre_ids: Sequence[str], unit_ids: Sequence[str] = (),
                        whole_jurisdiction: bool = False) -> dict[str, Any]:
        """How a caller (``subject`` with their token's ``unit``) stands to each cadre of ``cadre_ids``,
        for the gateway's authorization (services/gateway/policy.py). Unknown cadres are left out.
        ``jurisdiction``: those of ``unit_ids`` that lie in the caller's jurisdiction, or with
        ``whole_jurisdiction`` all its units (a city's are thousands: asked only to list or filter)."""
        day = self._today()
        async with self._engine.connect() as conn:
            tree = await self._units.current(conn)
            serving = await directory.cadre_units(conn, cadre_ids, day)
            # Only a cadre holding a chief's or deputy's post can be anyone's superior: a clerk is not
            # asked about each cadre's superiors.
            may_lead = bool(serving) and await directory.leads(conn, subject, day)
            cadres: dict[str, list[str]] = {}
            for cadre, where in serving.items():
                found = []
                if cadre == subject:
                    found.append("self")
                if may_lead and subject in await directory.superiors(conn, cadre, day):
                    found.append("subordinate")
                if any(tree.within(unit, u) for u in where):
                    found.append("in_jurisdiction")
                cadres[cadre] = found
        units_in = (tree.jurisdiction(unit) if whole_jurisdiction
                    else [u for u in dict.fromkeys(unit_ids) if tree.within(unit, u)])
        return {"jurisdiction": units_in, "top_level": tree.is_top_level(unit), "cadres": cadres}

    async def relations_version(self) -> str:
        """Changes whenever an answer of ``relations`` may (the gateway keeps those answers until it does)."""
        async with self._engine.connect() as conn:
            return await directory.version(conn, self._today())

    async def log_access(self, entries: list[tuple[str, str, dict[str, Any]]]) -> list[access_log.AccessEntry]:
        """Append ``entries`` (subject, role, data) to the access log, in order, all or none."""
        return await self._access_log.submit(entries)

    async def _append_access_entries(self, batches: list[list[tuple[str, str, dict[str, Any]]]]
                                     ) -> list[list[access_log.AccessEntry]]:
        async with self._transaction() as conn:
            written = await access_log.append(conn, [entry for batch in batches for entry in batch], self._algorithm)
        results, start = [], 0
        for batch in batches:
            results.append(written[start:start + len(batch)])
            start += len(batch)
        return results

    async def access_log(self, **filters: Any) -> list[access_log.AccessEntry]:
        async with self._engine.connect() as conn:
            return await access_log.page(conn, **filters)

    async def verify_access_log(self) -> tuple[int, chain.Break | None]:
        async with self._engine.connect() as conn:
            return await access_log.verify(conn)

    async def units(self) -> list[dict[str, Any]]:
        async with self._engine.connect() as conn:
            return await directory.units(conn)

    def open_declaration(self, cadre_id: str, kind: DeclarationKind, sealed: str) -> str:
        if self._sealer is None:
            raise SealingUnavailable("no declaration key is configured")
        return self._sealer.open(sealed, f"{cadre_id}/{kind}")

    async def verify(self) -> tuple[int, int, list[chain.Break]]:
        """Check every stream's hash chain: (streams, events, breaks)."""
        streams = events = 0
        breaks: list[chain.Break] = []
        async with self._engine.connect() as conn:
            async for stream in store.streams_in_order(conn):
                streams += 1
                events += len(stream)
                if broken := chain.verify_stream(stream):
                    breaks.append(broken)
        return streams, events, breaks
