"""The dossier's use cases: load a stream, decide, append, in one transaction.

This module is the one place the dossier commits. Every write is idempotent (an
``Idempotency-Key`` replays the first answer) or conditional (an expected version), and every
write names the operation of ``shared.commands.OPERATIONS`` it carries out.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.dossier import access_log, chain, directory, domain, store, units
from services.dossier import catalogue as cat
from services.dossier.sealing import Sealer, SealingUnavailable
from services.dossier.store import Actor, ConcurrencyError, StoredEvent, StoredResponse
from shared import commands as c
from shared.db import make_engine, write_transaction
from shared.events import CategoryDefined, DeclarationKind, DomainEvent, UnitRegistered
from shared.faults import crash_point
from shared.group_commit import GroupCommit

# Without If-Match a command is re-decided on the newest state when another writer got in first.
MAX_ATTEMPTS = 5
# How long an Idempotency-Key's answer is replayed; after that the key may be used afresh.
IDEMPOTENCY_TTL = dt.timedelta(hours=24)
SYSTEM = Actor("system", "system")


def dossier_engine(url: str, pool_size: int) -> AsyncEngine:
    """The dossier's engine. No ping on checkout: the writes' transactions find a dropped connection at BEGIN
    themselves (``shared.db.write_transaction``), and the ping's three round trips cost a write a fifth of
    its time (``bench/append_rates.py``)."""
    return make_engine(url, pool_size=pool_size, pre_ping=False)


class IdempotencyKeyReused(Exception):
    """The same Idempotency-Key came with a different request."""


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    key: str
    request_hash: str

    @classmethod
    def of(cls, actor: Actor, key: str, operation: str, params: dict[str, str], command: c.Command) -> IdempotentRequest:
        # Keys are scoped by who sent them: two clerks may pick the same key.
        payload = json.dumps([operation, params, command.model_dump(mode="json")], sort_keys=True)
        return cls(f"{actor.subject}:{key}", hashlib.sha256(payload.encode()).hexdigest())


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool = False


@dataclass
class Plan:
    """How one operation runs: which stream, how to fold it, what to look up, what to decide."""

    stream_id: str
    decide: Callable[[Any, domain.Context], list[DomainEvent]]
    ids: dict[str, Any]  # what the answer names besides the version
    fold: Callable[[str, Sequence[DomainEvent]], Any] = domain.fold
    catalogue: bool = False
    superiors: bool = False
    unit_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One command of a batch: what ``execute`` takes, with the row's own idempotency key and, when
    the source system chose it, the id of what the command creates."""

    operation: str
    command: c.Command
    params: dict[str, str]
    idempotency: IdempotentRequest
    new_id: str | None = None


@dataclass(frozen=True, slots=True)
class StreamHead:
    """A stream as last seen: its folded state, version, last hash and recorded time."""

    state: Any
    version: int
    hash: str
    recorded_at: dt.datetime
    events: tuple[DomainEvent, ...]  # kept only for streams folded whole each time (units, the catalogue)

    @classmethod
    def start(cls, plan: Plan) -> StreamHead:
        return cls(plan.fold(plan.stream_id, ()), 0, chain.GENESIS, dt.datetime.min.replace(tzinfo=dt.UTC), ())

    def after(self, plan: Plan, new_events: Sequence[DomainEvent], last: StoredEvent | dict[str, Any]) -> StreamHead:
        """The head once ``new_events`` follow, ``last`` being the stored row of the last of them."""
        if not new_events:
            return self
        if plan.fold is domain.fold:  # a cadre: evolve, rather than keep and fold hundreds of events again
            events, state = (), self.state
            for event in new_events:
                state = domain.evolve(state, event)
        else:  # units and the catalogue hold few events
            events = (*self.events, *new_events)
            state = plan.fold(plan.stream_id, events)
        if isinstance(last, StoredEvent):
            return StreamHead(state, last.stream_version, last.hash or chain.GENESIS, last.recorded_at, events)
        return StreamHead(state, last["stream_version"], last["hash"], last["recorded_at"], events)

    def followed_by(self, plan: Plan, stored: Sequence[StoredEvent]) -> StreamHead:
        return self.after(plan, [e.domain_event() for e in stored], stored[-1]) if stored else self


class StreamHeads:
    """The heads of the streams this process wrote or read lately, newest last (least recently used
    dropped first). A command reads only the events after the head it finds here (usually none),
    instead of reading and folding the whole stream: a busy cadre's hundreds of events made every
    write cost milliseconds of parsing and folding. A head is put here only once what it holds is
    committed, and it is only ever behind the store, never ahead (the tail read catches it up), so
    several dossier instances may write the same streams. Bounded: a folded dossier of a few hundred
    entries takes a few hundred kilobytes."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._heads: OrderedDict[str, StreamHead] = OrderedDict()

    def get(self, stream_id: str) -> StreamHead | None:
        head = self._heads.get(stream_id)
        if head is not None:
            self._heads.move_to_end(stream_id)
        return head

    def put(self, stream_id: str, head: StreamHead) -> None:
        if self._size <= 0:
            return
        self._heads[stream_id] = head
        self._heads.move_to_end(stream_id)
        while len(self._heads) > self._size:
            self._heads.popitem(last=False)

    def forget(self, stream_id: str) -> None:
        self._heads.pop(stream_id, None)


# The catalogue's stream, read as a plan of its own wherever a decision needs the categories.
CATALOGUE = Plan(cat.STREAM_ID, lambda state, ctx: [], {}, fold=lambda stream_id, events: cat.fold(events))


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
        plan = self._plan(operation, command, params, actor)
        idempotency = (IdempotentRequest.of(actor, idempotency_key, operation, params, command)
                       if idempotency_key else None)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return await self._attempt(plan, actor, idempotency, expected_version, context)
            except ConcurrencyError:
                self._heads.forget(plan.stream_id)  # in case the store went back (a restore): read it whole
                if expected_version is not None or attempt == MAX_ATTEMPTS:
                    raise
            except IntegrityError:
                # A twin request with the same key committed first; the next attempt replays its answer.
                if attempt == MAX_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    async def _attempt(self, plan: Plan, actor: Actor, idempotency: IdempotentRequest | None,
                       expected_version: int | None, context: dict[str, str] | None) -> Outcome:
        async with self._transaction() as conn:
            await store.lock_stream(conn, plan.stream_id)
            if idempotency is not None:
                earlier = await store.find_response(conn, idempotency.key)
                if earlier is not None and earlier.recorded_at is not None \
                        and earlier.recorded_at < dt.datetime.now(dt.UTC) - IDEMPOTENCY_TTL:
                    await store.forget_response(conn, idempotency.key)
                    earlier = None
                if earlier is not None:
                    if earlier.request_hash != idempotency.request_hash:
                        raise IdempotencyKeyReused(idempotency.key)
                    return Outcome(earlier.status_code, earlier.body, replayed=True)
            head = await self._current(conn, plan)
            if expected_version is not None and expected_version != head.version:
                raise ConcurrencyError(plan.stream_id, expected_version, head.version)
            today = self._today()
            ctx = domain.Context(
                actor=actor.subject,
                today=today,
                catalogue=(await self._current(conn, CATALOGUE)).state if plan.catalogue else cat.Catalogue(),
                superiors=await directory.superiors(conn, plan.stream_id, today) if plan.superiors else frozenset(),
                unit_levels={u: await directory.unit_level(conn, u) for u in plan.unit_ids},
            )
            new_events = plan.decide(head.state, ctx)
            # Recorded times never run backwards within a stream, so "as known at T" is a prefix.
            now = max(dt.datetime.now(dt.UTC), head.recorded_at)
            appended = await store.append(conn, plan.stream_id, head.version, new_events, actor, now, context,
                                          self._algorithm)
            await directory.apply(conn, appended)
            body = {**plan.ids, "version": appended[-1].stream_version}
            if idempotency is not None:
                await store.save_response(conn, idempotency.key, StoredResponse(idempotency.request_hash, 201, body))
            crash_point("dossier.before_commit")
        crash_point("dossier.after_commit")
        self._heads.put(plan.stream_id, head.after(plan, new_events, appended[-1]))
        self.appended += len(appended)
        self._on_append()
        return Outcome(201, body)

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

    async def execute_batch(self, items: Sequence[BatchItem], actor: Actor,
                            context: dict[str, str] | None = None) -> list[Outcome | Exception]:
        """Carry out many commands on many streams in ONE transaction (bulk import).

        Each item is decided as ``execute`` would, in order, on the state its predecessors in the batch
        left; an item the domain refuses gets its ``DomainError`` (or ``IdempotencyKeyReused``) in the
        answer and appends nothing, and the others go on. Every stream of the batch is locked first,
        its events are chained like any append, and all rows go in with one INSERT. A database error
        aborts the whole batch (nothing is written) and propagates: the caller retries item by item.
        Items needing a superior's standing (``Plan.superiors``) are not batched: see ``importer``.

        A stream whose newest event in the store is still the one of its kept head (``StreamHeads``: same
        version and hash) is not read again: a cadre with thousands of entries spans many batches, and
        reading its whole history for each would make an import quadratic."""
        plans = [self._plan(i.operation, i.command, i.params, actor, i.new_id) for i in items]
        results: list[Outcome | Exception] = []
        async with self._transaction() as conn:
            stream_ids = sorted({p.stream_id for p in plans})
            await store.lock_streams(conn, stream_ids)
            earlier = await store.find_responses(conn, [i.idempotency.key for i in items])
            kept = {s: head for s in stream_ids if (head := self._heads.get(s)) is not None}
            heads = await store.stream_heads(conn, list(kept))
            streams = {s: kept[s] for s, head in heads.items() if (kept[s].version, kept[s].hash) == head}
            histories = await store.read_streams(conn, [s for s in stream_ids if s not in streams])
            catalogue = ((await self._current(conn, CATALOGUE)).state if any(p.catalogue for p in plans)
                         else cat.Catalogue())
            levels: dict[str, Any] = await directory.unit_levels(conn, [u for p in plans for u in p.unit_ids])
            today, now = self._today(), dt.datetime.now(dt.UTC)
            rows: list[dict[str, Any]] = []
            directory_writes: list[Any] = []
            responses: list[tuple[str, StoredResponse]] = []
            for item, plan in zip(items, plans, strict=True):
                key = item.idempotency
                if (first := earlier.get(key.key)) is not None:
                    results.append(Outcome(first.status_code, first.body, replayed=True)
                                   if first.request_hash == key.request_hash else IdempotencyKeyReused(key.key))
                    continue
                head = streams.get(plan.stream_id) or StreamHead.start(plan).followed_by(
                    plan, histories.get(plan.stream_id, []))
                ctx = domain.Context(actor=actor.subject, today=today, catalogue=catalogue,
                                     unit_levels={u: levels.get(u) for u in plan.unit_ids})
                try:
                    new_events = plan.decide(head.state, ctx)
                except (domain.DomainError, SealingUnavailable) as exc:
                    results.append(exc)
                    continue
                appended = store.chained_rows(plan.stream_id, head.version, head.hash, new_events, actor,
                                              max(now, head.recorded_at), context, self._algorithm)
                streams[plan.stream_id] = head.after(plan, new_events, appended[-1])
                for event in new_events:
                    directory_writes.extend(directory.statements(plan.stream_id, event))
                    if isinstance(event, UnitRegistered):
                        levels[event.unit_id] = event.level
                rows.extend(appended)
                body = {**plan.ids, "version": appended[-1]["stream_version"]}
                stored = StoredResponse(key.request_hash, 201, body)
                earlier[key.key] = stored  # a second row with the same key replays this one
                responses.append((key.key, stored))
                results.append(Outcome(201, body))
            await store.insert_rows(conn, rows)
            for statement in directory_writes:
                await conn.execute(statement)
            await store.save_responses(conn, responses)
        for stream_id, head in streams.items():
            self._heads.put(stream_id, head)
        self.appended += len(rows)
        if rows:
            self._on_append()
        return results

    def _seal(self, cadre_id: str, kind: DeclarationKind, details: str) -> tuple[str, str]:
        if self._sealer is None:
            raise SealingUnavailable("no declaration key is configured (SHIJI_DOSSIER_DECLARATION_KEY)")
        return self._sealer.seal(details, f"{cadre_id}/{kind}"), self._sealer.key_id

    def _plan(self, operation: str, cmd: Any, params: dict[str, str], actor: Actor, new_id: str | None = None) -> Plan:
        """``new_id``: the id of what the command creates (cadre, post, entry...), when the caller chose it
        (an import carries the ids of the system it comes from); a fresh UUID otherwise."""
        cadre = params.get("cadre_id", "")
        year = int(params.get("year", 0) or 0)
        period = params.get("period", "")
        new_id = new_id or str(uuid.uuid4())
        match operation:
            case "register_unit":
                return Plan(units.stream_id(cmd.unit_id),
                            lambda s, ctx: units.register_unit(s, cmd, ctx.unit_levels.get(cmd.parent_id or "")),
                            {"unit_id": cmd.unit_id}, fold=lambda sid, ev: units.fold(cmd.unit_id, ev),
                            unit_ids=[cmd.parent_id] if cmd.parent_id else [])
            case "record_team_grade" | "record_target_evaluation":
                unit_id, decide = params["unit_id"], getattr(units, operation)
                return Plan(units.stream_id(unit_id), lambda s, ctx: decide(s, year, cmd, ctx.today.year),
                            {"unit_id": unit_id, "year": year}, fold=lambda sid, ev: units.fold(unit_id, ev))
            case "define_category":
                definition = CategoryDefined(**cmd.model_dump())
                return Plan(cat.STREAM_ID, lambda s, ctx: cat.define_category(s, definition), {"code": cmd.code},
                            fold=CATALOGUE.fold)
            case "register_cadre":
                return Plan(new_id, lambda s, ctx: domain.register_cadre(s, cmd, ctx), {"id": new_id},
                            unit_ids=[cmd.unit_id])
            case "record_basics":
                return Plan(cadre, lambda s, ctx: domain.record_basics(s, cmd, ctx), {})
            case "write_self_evaluation":
                return Plan(cadre, lambda s, ctx: domain.write_self_evaluation(s, cmd, ctx), {})
            case "assign_post":
                return Plan(cadre, lambda s, ctx: domain.assign_post(s, cmd, new_id, ctx), {"post_id": new_id},
                            unit_ids=[cmd.unit_id])
            case "end_post":
                return Plan(cadre, lambda s, ctx: domain.end_post(s, params["post_id"], cmd, ctx),
                            {"post_id": params["post_id"]})
            case "transfer":
                return Plan(cadre, lambda s, ctx: domain.transfer(s, cmd, new_id, ctx), {"post_id": new_id},
                            unit_ids=[cmd.unit_id])
            case "claim_achievement":
                return Plan(cadre, lambda s, ctx: domain.claim_achievement(s, cmd, new_id, ctx),
                            {"achievement_id": new_id})
            case "verify_achievement" | "reject_achievement":
                decide = domain.verify_achievement if operation == "verify_achievement" else domain.reject_achievement
                aid = params["achievement_id"]
                return Plan(cadre, lambda s, ctx: decide(s, aid, cmd, ctx), {"achievement_id": aid},
                            catalogue=True, superiors=True)
            case "save_report":
                return Plan(cadre, lambda s, ctx: domain.save_report(s, period, cmd, ctx),
                            {"period": period, "status": "draft"})
            case "submit_report":
                return Plan(cadre, lambda s, ctx: domain.submit_report(s, period, ctx),
                            {"period": period, "status": "submitted"})
            case "endorse_report":
                return Plan(cadre, lambda s, ctx: domain.endorse_report(s, period, cmd, ctx),
                            {"period": period, "status": "endorsed"}, superiors=True)
            case "return_report":
                return Plan(cadre, lambda s, ctx: domain.return_report(s, period, cmd, ctx),
                            {"period": period, "status": "returned"}, superiors=True)
            case "record_entry":
                return Plan(cadre, lambda s, ctx: domain.record_entry(s, cmd, new_id, ctx), {"entry_id": new_id},
                            catalogue=True)
            case "amend_entry":
                eid = params["entry_id"]
                return Plan(cadre, lambda s, ctx: domain.amend_entry(s, eid, cmd, ctx), {"entry_id": eid}, catalogue=True)
            case "revoke_entry":
                eid = params["entry_id"]
                return Plan(cadre, lambda s, ctx: domain.revoke_entry(s, eid, cmd), {"entry_id": eid, "revoked": True})
            case "file_appeal":
                eid = params["entry_id"]
                return Plan(cadre, lambda s, ctx: domain.file_appeal(s, eid, cmd, new_id, ctx),
                            {"appeal_id": new_id, "entry_id": eid})
            case "decide_appeal":
                aid = params["appeal_id"]
                return Plan(cadre, lambda s, ctx: domain.decide_appeal(s, aid, cmd, ctx),
                            {"appeal_id": aid, "outcome": cmd.outcome.value})
            case "record_annual_grade" | "record_appraisal_level" | "record_democratic_evaluation" \
                    | "record_scores" | "record_integrity_veto":
                decide = getattr(domain, operation)
                return Plan(cadre, lambda s, ctx: decide(s, year, cmd, ctx), {"year": year})
            case "record_declaration":
                kind = DeclarationKind(params["declaration"])

                def declare(s: domain.Dossier, ctx: domain.Context) -> list[DomainEvent]:
                    domain.require_cadre(s)
                    sealed, key_id = self._seal(cadre, kind, cmd.details)
                    return domain.record_declaration(s, kind, cmd.flagged, sealed, key_id)

                return Plan(cadre, declare, {"declaration": kind.value})
        raise KeyError(operation)

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
