"""Writing past the event store's append-only triggers, as a superuser (or a restored backup) could."""

from __future__ import annotations

from sqlalchemy import text

from services.dossier import store
from shared import chain


async def tamper(engine, *statements: str) -> None:
    """Raw SQL as a superuser would run it, past the append-only triggers (again and again on SQLite too)."""
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("SET LOCAL session_replication_role = replica"))  # triggers off
        else:
            await conn.execute(text("DROP TRIGGER IF EXISTS events_no_update"))
            await conn.execute(text("DROP TRIGGER IF EXISTS events_no_delete"))
        for statement in statements:
            await conn.execute(text(statement))


async def rechain(engine, stream_id: str) -> None:
    """Hash ``stream_id``'s chain again over what its rows now hold: a stream edited *and* re-hashed, as a store
    written by an older dossier holds it (its events hashed as they were then), not a broken one."""
    async with engine.connect() as conn:
        events = await store.read_stream(conn, stream_id)
    previous, updates = chain.GENESIS, []
    for event in events:
        previous = chain.link(previous, event, chain.algorithm_of(event.hash or "sm3:"))
        if previous != event.hash:  # only the edited event and those after it: an UPDATE moves a row on disk
            updates.append(f"UPDATE events SET hash = '{previous}' WHERE position = {event.position}")
    await tamper(engine, *updates)
