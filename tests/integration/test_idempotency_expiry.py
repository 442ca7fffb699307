"""An Idempotency-Key's answer is replayed for 24 hours; after that the key is free again."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from services.dossier.service import DossierService, IdempotencyKeyReused
from services.dossier.store import Actor
from shared.commands import RegisterUnit

CLERK = Actor("clerk-1", "clerk")


def unit(unit_id: str) -> RegisterUnit:
    return RegisterUnit(unit_id=unit_id, name=unit_id, level="city", unit_class="city")


async def test_a_key_replays_for_a_day_then_is_free_again(database_url_factory) -> None:
    from shared.db import make_engine

    engine = make_engine(await database_url_factory("dossier"))
    service = DossierService(engine, today=dt.date.today)
    try:
        first = await service.execute("register_unit", unit("a"), {}, CLERK, "k-1")
        again = await service.execute("register_unit", unit("a"), {}, CLERK, "k-1")
        assert again.replayed and again.body == first.body
        with pytest.raises(IdempotencyKeyReused):
            await service.execute("register_unit", unit("b"), {}, CLERK, "k-1")
        async with engine.begin() as conn:  # a day and an hour later
            await conn.execute(text("UPDATE idempotency_keys SET recorded_at = :t"),
                               {"t": dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)})
        later = await service.execute("register_unit", unit("b"), {}, CLERK, "k-1")
        assert not later.replayed and later.body["unit_id"] == "b"
        replay = await service.execute("register_unit", unit("b"), {}, CLERK, "k-1")
        assert replay.replayed
    finally:
        await engine.dispose()
