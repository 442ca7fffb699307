"""How far scoring is current, per stream: the newest version of each stream it has applied.

The decision (see shared/positions.py and the README's "Reading your own writes"): a position is a
stream and a version. The consumer, in the same transaction as a batch's rows, upserts for every stream the
batch touched the newest version it carried: one statement per batch, never one per event. The version
only grows (a greater one wins), so a batch delivered again, or late by a consumer that has lost its
partition, cannot move it back. With the version goes its event's chain hash, which the stream's next event
must link to (stream_check.py). Events that follow their stream but that scoring cannot apply (a type it does
not know) count as applied too: scoring has done all it will do with them, and a reader waiting for them must
not wait for ever. Events that do not follow their stream (stream_check.py) do not count: they are not the
stream's.

Every scoring instance reads the same table, so an instance answers for partitions another one consumes.
An answer reads the version *before* it reads the facts: under READ COMMITTED (and SQLite's snapshots) the
facts it then reads hold at least what that version says, so the position it states is a true lower bound.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scoring.tables import applied_versions
from shared.db import upsert_greatest
from shared.envelope import Envelope


def newest(envelopes: Iterable[Envelope]) -> dict[str, int]:
    """The newest version of each stream among ``envelopes``."""
    versions: dict[str, int] = {}
    for env in envelopes:
        if env.streamversion > versions.get(env.subject, 0):
            versions[env.subject] = env.streamversion
    return versions


async def record(conn: AsyncConnection, versions: dict[str, int], hashes: dict[str, str | None] | None = None) -> None:
    """Upsert ``versions`` (stream -> newest applied version) and their chain ``hashes``, keeping the greater
    of stored and given version (and the hash that goes with it)."""
    if not versions:
        return
    hashes = hashes or {}
    await conn.execute(upsert_greatest(conn.dialect.name, applied_versions, ["stream_id"], "version", ["chain_hash"]),
                       [{"stream_id": s, "version": v, "chain_hash": hashes.get(s)} for s, v in sorted(versions.items())])


async def applied(conn: AsyncConnection, stream: str) -> int:
    """The newest version of ``stream`` applied; 0 when none is."""
    found = await conn.scalar(select(applied_versions.c.version).where(applied_versions.c.stream_id == stream))
    return int(found or 0)

