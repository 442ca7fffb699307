"""The dossier's use cases: load a cadre's stream, decide, append, in one transaction.

This module is the one place the dossier commits. Every write is idempotent (an
``Idempotency-Key`` replays the first answer) or conditional (an expected version).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.dossier import domain, store
from services.dossier.store import Actor, ConcurrencyError, StoredEvent, StoredResponse
from shared.commands import Command, RecordEntry, RegisterCadre, RevokeEntry
from shared.events import DomainEvent
from shared.faults import crash_point

# Without If-Match a command is re-decided on the newest state when another writer got in first.
MAX_ATTEMPTS = 5


class IdempotencyKeyReused(Exception):
    """The same Idempotency-Key came with a different request."""


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    key: str
    request_hash: str

    @classmethod
    def of(cls, actor: Actor, key: str, operation: str, command: Command | None) -> IdempotentRequest:
        # Keys are scoped by who sent them: two clerks may pick the same key.
        payload = json.dumps([operation, command.model_dump(mode="json") if command else None], sort_keys=True)
        return cls(f"{actor.subject}:{key}", hashlib.sha256(payload.encode()).hexdigest())


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool = False


class DossierService:
    def __init__(self, engine: AsyncEngine, *, today: Callable[[], dt.date],
                 on_append: Callable[[], None] = lambda: None) -> None:
        self._engine = engine
        self._today = today
        self._on_append = on_append
        # SQLite has one writer at a time; queue our own writers instead of spinning on SQLITE_BUSY.
        self._write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncConnection]:
        if self._write_lock is None:
            async with self._engine.begin() as conn:
                yield conn
        else:
            async with self._write_lock, self._engine.begin() as conn:
                yield conn

    async def _execute(
        self,
        stream_id: str,
        decide: Callable[[domain.Dossier], list[DomainEvent]],
        respond: Callable[[Sequence[StoredEvent]], dict[str, Any]],
        actor: Actor,
        idempotency: IdempotentRequest | None,
        expected_version: int | None,
    ) -> Outcome:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                async with self._transaction() as conn:
                    if idempotency is not None:
                        earlier = await store.find_response(conn, idempotency.key)
                        if earlier is not None:
                            if earlier.request_hash != idempotency.request_hash:
                                raise IdempotencyKeyReused(idempotency.key)
                            return Outcome(earlier.status_code, earlier.body, replayed=True)
                    history = await store.read_stream(conn, stream_id)
                    state = domain.fold(stream_id, (e.domain_event() for e in history))
                    if expected_version is not None and expected_version != state.version:
                        raise ConcurrencyError(stream_id, expected_version, state.version)
                    new_events = decide(state)
                    appended = await store.append(conn, stream_id, state.version, new_events, actor, dt.datetime.now(dt.UTC))
                    body = respond(appended)
                    if idempotency is not None:
                        await store.save_response(conn, idempotency.key, StoredResponse(idempotency.request_hash, 201, body))
                    crash_point("dossier.before_commit")
                crash_point("dossier.after_commit")
                self._on_append()
                return Outcome(201, body)
            except ConcurrencyError:
                if expected_version is not None or attempt == MAX_ATTEMPTS:
                    raise
            except IntegrityError:
                # A twin request with the same key committed first; the next attempt replays its answer.
                if attempt == MAX_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    async def register_cadre(self, command: RegisterCadre, actor: Actor, idempotency_key: str | None) -> Outcome:
        cadre_id = str(uuid.uuid4())
        return await self._execute(
            cadre_id,
            lambda state: domain.register_cadre(state, command),
            lambda appended: {"id": cadre_id, "version": appended[-1].stream_version},
            actor,
            IdempotentRequest.of(actor, idempotency_key, "register_cadre", command) if idempotency_key else None,
            expected_version=0,
        )

    async def record_entry(self, cadre_id: str, command: RecordEntry, actor: Actor,
                           idempotency_key: str | None, expected_version: int | None = None) -> Outcome:
        entry_id = str(uuid.uuid4())
        return await self._execute(
            cadre_id,
            lambda state: domain.record_entry(state, command, entry_id, self._today()),
            lambda appended: {"entry_id": entry_id, "version": appended[-1].stream_version},
            actor,
            IdempotentRequest.of(actor, idempotency_key, f"record_entry:{cadre_id}", command) if idempotency_key else None,
            expected_version,
        )

    async def revoke_entry(self, cadre_id: str, entry_id: str, command: RevokeEntry, actor: Actor,
                           idempotency_key: str | None, expected_version: int | None = None) -> Outcome:
        return await self._execute(
            cadre_id,
            lambda state: domain.revoke_entry(state, entry_id, command),
            lambda appended: {"entry_id": entry_id, "revoked": True, "version": appended[-1].stream_version},
            actor,
            IdempotentRequest.of(actor, idempotency_key, f"revoke_entry:{cadre_id}:{entry_id}", command)
            if idempotency_key else None,
            expected_version,
        )

    async def dossier(self, cadre_id: str) -> domain.Dossier:
        async with self._engine.connect() as conn:
            history = await store.read_stream(conn, cadre_id)
        state = domain.fold(cadre_id, (e.domain_event() for e in history))
        if not state.exists:
            raise domain.CadreNotFound(f"no cadre {cadre_id}", rule="cadre_exists")
        return state

    async def history(self, cadre_id: str) -> list[StoredEvent]:
        async with self._engine.connect() as conn:
            history = await store.read_stream(conn, cadre_id)
        if not history:
            raise domain.CadreNotFound(f"no cadre {cadre_id}", rule="cadre_exists")
        return history
