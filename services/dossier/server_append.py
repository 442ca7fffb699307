"""One call of ``shiji_append`` (migration 0006): the stream's lock, the expected head's check, the rows and a
write's Idempotency-Key answer, all in PostgreSQL, in one round trip.

The rows come chained from ``store.chained_rows`` on the head the caller expects (its version and hash). The
function writes nothing when that head, a guarded one (``Guard``) or a kept answer says the caller decided on
something stale; ``Appended.outcome`` says which, and the caller reads again (``DossierService``) or raises
``ConcurrencyError`` (``store.append``). Why one call keeps every guarantee of the statements it replaces:
the migration's docstring.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

APPENDED, MOVED, GUARD, ANSWERED = "appended", "moved", "guard", "answered"

_SQL = ("SELECT outcome, version, hash, positions, tx_id FROM shiji_append("
        "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)")


@dataclass(frozen=True, slots=True)
class Guard:
    """Another stream's head the decision read (the catalogue): the append goes in only while it is this."""

    stream_id: str
    version: int
    hash: str


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer kept for a write's Idempotency-Key, written with its events; ``cutoff``: an answer kept
    for the key since before then has expired (the key is free again)."""

    key: str
    request_hash: str
    status: int
    body: dict[str, Any]
    cutoff: dt.datetime


@dataclass(frozen=True, slots=True)
class Appended:
    outcome: str  # APPENDED, MOVED, GUARD or ANSWERED
    version: int | None  # the stream's head after the call (MOVED: the head found)
    hash: str | None
    positions: Sequence[int] | None  # of the rows, in order (APPENDED)
    tx_id: int | None


async def call(driver: asyncpg.Connection, stream_id: str, expected_version: int, previous_hash: str,
               rows: Sequence[dict[str, Any]], guards: Sequence[Guard] = (), answer: Answer | None = None) -> Appended:
    """Append ``rows`` (all of ``stream_id``, made by ``store.chained_rows`` after ``expected_version`` whose
    hash is ``previous_hash``). Raises ``asyncpg.UniqueViolationError`` when a row or the key's answer
    collides with one committed meanwhile (nothing is written)."""
    first = rows[0]
    context = first["context"]
    row = await driver.fetchrow(
        _SQL, stream_id, expected_version, previous_hash,
        [r["event_id"] for r in rows], [r["event_type"] for r in rows], [r["schema_version"] for r in rows],
        [json.dumps(r["data"]) for r in rows], [r["effective_date"] for r in rows],
        first["recorded_at"], first["actor"], first["actor_role"], json.dumps(context) if context is not None else None,
        [r["hash"] for r in rows],
        [g.stream_id for g in guards] or None, [g.version for g in guards] or None, [g.hash for g in guards] or None,
        *((answer.key, answer.request_hash, answer.status, json.dumps(answer.body), answer.cutoff)
          if answer is not None else (None, None, None, None, None)))
    return Appended(*row)
