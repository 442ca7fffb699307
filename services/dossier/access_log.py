"""The access log (访问日志): every dossier read and every write, who, role, what, when, from where,
with what outcome; queried by auditors.

It lives in the dossier's database, not the gateway's: the gateway stays stateless (any instance
behind the load balancer can serve any request), and the dossier's database is already the audited,
backed-up store. The gateway appends one entry per request over the internal API before it answers,
and answers 503 when it cannot, so no read goes unlogged.

Tamper evidence: the log is one hash chain, built with the same ``chain.link`` as the streams (as
stream ``access-log``, version = ``seq``), so ``verify`` names the first altered or missing entry.
Appends are serialised (an advisory lock on PostgreSQL, the service's write lock on SQLite) so
``seq`` has no gaps and each entry links to the one before. Triggers refuse UPDATE, DELETE (and on
PostgreSQL TRUNCATE) for every role (migration 0004).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.dossier.tables import access_log
from shared import chain

STREAM = "access-log"


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One entry, in the shape ``chain.link`` hashes (``Linkable``)."""

    seq: int
    entry_id: str
    recorded_at: dt.datetime
    subject: str
    role: str
    data: dict[str, Any]
    hash: str = ""
    stream_id: str = STREAM
    event_type: str = "access"
    schema_version: int = 1
    effective_date: dt.date | None = field(default=None)

    @property
    def stream_version(self) -> int:
        return self.seq

    @property
    def event_id(self) -> str:
        return self.entry_id

    @property
    def actor(self) -> str:
        return self.subject

    @property
    def actor_role(self) -> str:
        return self.role

    def view(self) -> dict[str, Any]:
        return {"seq": self.seq, "entry_id": self.entry_id, "recorded_at": self.recorded_at.isoformat(),
                "subject": self.subject, "role": self.role, **self.data, "hash": self.hash}


def _entry(row: Any) -> AccessEntry:
    at = row.recorded_at if row.recorded_at.tzinfo else row.recorded_at.replace(tzinfo=dt.UTC)
    return AccessEntry(row.seq, row.entry_id, at, row.subject, row.role, row.data, row.hash)


async def append(conn: AsyncConnection, entries: Sequence[tuple[str, str, dict[str, Any]]],
                 algorithm: str) -> list[AccessEntry]:
    """Append ``entries`` (subject, role, data), in order, at the end of the chain: one lock, one read of
    the head, one INSERT, however many (``shared.group_commit`` gathers concurrent requests' entries)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))"), {"name": STREAM})
    last = (await conn.execute(select(access_log.c.seq, access_log.c.hash)
                               .order_by(access_log.c.seq.desc()).limit(1))).first()
    seq, previous = (last.seq, last.hash) if last else (0, chain.GENESIS)
    now = dt.datetime.now(dt.UTC)
    linked = []
    for subject, role, data in entries:
        seq += 1
        entry = AccessEntry(seq, str(uuid.uuid4()), now, subject, role, data)
        entry = replace(entry, hash=chain.link(previous, entry, algorithm))
        previous = entry.hash
        linked.append(entry)
    await conn.execute(access_log.insert(), [
        {"seq": e.seq, "entry_id": e.entry_id, "recorded_at": e.recorded_at, "subject": e.subject, "role": e.role,
         "data": e.data, "cadre_id": e.data.get("cadre_id"), "hash": e.hash} for e in linked])
    return linked


async def page(conn: AsyncConnection, *, after: int = 0, limit: int = 100, cadre_id: str | None = None,
               subject: str | None = None, since: dt.datetime | None = None,
               until: dt.datetime | None = None) -> list[AccessEntry]:
    """Entries after the cursor ``after`` (a ``seq``), oldest first."""
    query = select(access_log).where(access_log.c.seq > after).order_by(access_log.c.seq).limit(limit)
    if cadre_id is not None:
        query = query.where(access_log.c.cadre_id == cadre_id)
    if subject is not None:
        query = query.where(access_log.c.subject == subject)
    if since is not None:
        query = query.where(access_log.c.recorded_at >= since)
    if until is not None:
        query = query.where(access_log.c.recorded_at < until)
    return [_entry(r) for r in await conn.execute(query)]


async def verify(conn: AsyncConnection) -> tuple[int, chain.Break | None]:
    """(entries, the first broken link or None)."""
    entries = [_entry(r) for r in await conn.execute(select(access_log).order_by(access_log.c.seq))]
    return len(entries), chain.verify_stream(entries)


async def count(conn: AsyncConnection) -> int:
    return await conn.scalar(select(func.count()).select_from(access_log)) or 0
