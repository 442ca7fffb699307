"""Writing past the event store's append-only triggers, as a superuser (or a restored backup) could."""

from __future__ import annotations

from sqlalchemy import text


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
