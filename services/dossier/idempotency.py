"""Idempotency keys: a write sent again with its ``Idempotency-Key`` gets the first answer back, for
24 hours; after that the key is free for a new request. One replay step for every write, single or
batched (``DossierService``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.dossier import store
from services.dossier.store import Actor, StoredResponse
from shared import commands as c

# How long an Idempotency-Key's answer is replayed; after that the key may be used afresh.
IDEMPOTENCY_TTL = dt.timedelta(hours=24)
# ``json.dumps(..., sort_keys=True)``'s bytes (the hashes kept for earlier requests stay valid) from an encoder made
# once: ``dumps`` makes a new one per call when given an option, a sixth of the hash's cost on a bulk import's row.
_REQUEST_JSON = json.JSONEncoder(sort_keys=True).encode


class IdempotencyKeyReused(Exception):
    """The same Idempotency-Key came with a different request."""


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    key: str
    request_hash: str

    @classmethod
    def of(cls, actor: Actor, key: str, operation: str, params: dict[str, str], command: c.Command) -> IdempotentRequest:
        # Keys are scoped by who sent them: two clerks may pick the same key.
        payload = _REQUEST_JSON([operation, params, command.model_dump(mode="json")])
        return cls(f"{actor.subject}:{key}", hashlib.sha256(payload.encode()).hexdigest())


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool = False


async def earlier_answers(conn: AsyncConnection, keys: Sequence[str]) -> dict[str, StoredResponse]:
    """The answers still replayed for ``keys``. An answer older than ``IDEMPOTENCY_TTL`` is deleted here,
    in the caller's transaction, and its key is free again (the public contract keeps answers 24 hours)."""
    found = await store.find_responses(conn, keys)
    cutoff = dt.datetime.now(dt.UTC) - IDEMPOTENCY_TTL
    expired = [key for key, answer in found.items() if answer.recorded_at is not None and answer.recorded_at < cutoff]
    if expired:
        await store.forget_responses(conn, expired)
        for key in expired:
            del found[key]
    return found


def replay(first: StoredResponse, request: IdempotentRequest) -> Outcome:
    """The first answer, sent again; ``IdempotencyKeyReused`` if the key came with another request."""
    if first.request_hash != request.request_hash:
        raise IdempotencyKeyReused(request.key)
    return Outcome(first.status_code, first.body, replayed=True)
