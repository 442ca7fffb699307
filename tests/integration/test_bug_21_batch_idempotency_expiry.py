"""Issue 21: an Idempotency-Key's 24-hour expiry held only on the single write (``execute``); the batch
(``execute_batch``, bulk import) replayed an answer of any age, and a row reusing an expired key was
refused instead of recorded. Modelled on ``test_idempotency_expiry.py``, through the batch path."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from services.dossier.idempotency import IdempotencyKeyReused, IdempotentRequest, Outcome
from services.dossier.service import BatchItem, DossierService
from services.dossier.store import Actor
from shared.commands import RegisterUnit

CLERK = Actor("clerk-1", "clerk")


def row(unit_id: str, key: str) -> BatchItem:
    command = RegisterUnit(unit_id=unit_id, name=unit_id, level="city", unit_class="city")
    return BatchItem("register_unit", command, {}, IdempotentRequest.of(CLERK, key, "register_unit", {}, command))


async def test_bug_21_a_batch_replays_a_key_for_a_day_then_it_is_free_again(database_url_factory) -> None:
    from shared.db import make_engine

    engine = make_engine(await database_url_factory("dossier"))
    service = DossierService(engine, today=dt.date.today)
    try:
        first = await service.execute_batch([row("a", "k-1"), row("x", "k-2")], CLERK)
        again = await service.execute_batch([row("a", "k-1"), row("x", "k-2")], CLERK)
        assert all(isinstance(o, Outcome) and o.replayed for o in again)
        assert [o.body for o in again] == [o.body for o in first]  # type: ignore[union-attr]
        (reused,) = await service.execute_batch([row("b", "k-1")], CLERK)
        assert isinstance(reused, IdempotencyKeyReused)
        async with engine.begin() as conn:  # a day and an hour later
            await conn.execute(text("UPDATE idempotency_keys SET recorded_at = :t"),
                               {"t": dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)})
        later, other = await service.execute_batch([row("b", "k-1"), row("y", "k-2")], CLERK)
        assert isinstance(later, Outcome) and not later.replayed and later.body["unit_id"] == "b"
        assert isinstance(other, Outcome) and not other.replayed and other.body["unit_id"] == "y"
        (single,) = await service.execute_batch([row("c", "k-3")], CLERK)  # one row: the single key's lookup
        assert isinstance(single, Outcome) and not single.replayed
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE idempotency_keys SET recorded_at = :t WHERE key = :k"),
                               {"t": dt.datetime.now(dt.UTC) - dt.timedelta(hours=25), "k": "clerk-1:k-3"})
        (renewed,) = await service.execute_batch([row("d", "k-3")], CLERK)
        assert isinstance(renewed, Outcome) and not renewed.replayed and renewed.body["unit_id"] == "d"
        replay = await service.execute_batch([row("b", "k-1"), row("d", "k-3")], CLERK)
        assert all(isinstance(o, Outcome) and o.replayed for o in replay)
    finally:
        await engine.dispose()
