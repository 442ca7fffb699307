"""A single write decided on the kept heads and appended in one call (``single_write``): taken when what is
kept is still what is stored, and otherwise nothing is written and the reading path decides again; two
dossier instances on one PostgreSQL database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from services.dossier import domain, plans
from services.dossier.idempotency import IdempotentRequest
from services.dossier.service import DossierService
from services.dossier.single_write import write_at_once
from services.dossier.store import Actor
from services.dossier.tables import events
from shared import chain
from shared.commands import DefineCategory, RecordEntry, RegisterCadre, RegisterUnit, RevokeEntry

CLERK = Actor("clerk-1", "clerk")
DAY = dt.date.today() - dt.timedelta(days=3)


def entry(points: str) -> RecordEntry:
    return RecordEntry(kind="positive", category="honour", title="表彰", points=Decimal(points), effective_date=DAY,
                       basis={"reason": "r", "document": "d"})


async def at_once(service: DossierService, cadre: str, command: RecordEntry, key: str | None = None):
    plan = plans.plan("record_entry", command, {"cadre_id": cadre}, service._seal)
    request = IdempotentRequest.of(CLERK, key, "record_entry", {"cadre_id": cadre}, command) if key else None
    return await write_at_once(service._engine, service._heads, plan, request, CLERK, None, None, dt.date.today(),
                               "sm3")


async def with_cadre(service: DossierService, name: str) -> str:
    """A cadre with one entry recorded: ``service`` now keeps the cadre's head and the catalogue's."""
    await service.seed_catalogue()
    await service.execute("register_unit", RegisterUnit(unit_id="u", name="局", level="city", unit_class="c"), {}, CLERK)
    cadre = (await service.execute("register_cadre", RegisterCadre(name=name, unit_id="u"), {}, CLERK)).body["id"]
    await service.execute("record_entry", entry("2"), {"cadre_id": cadre}, CLERK)
    return cadre


async def stored(service: DossierService) -> int:
    async with service._engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(events))


async def test_a_write_on_kept_heads_goes_in_one_call_and_a_moved_stream_takes_the_reading_path(
        two_dossiers_on_postgresql) -> None:
    one, other = two_dossiers_on_postgresql
    cadre = await with_cadre(one, "张伟")

    outcome, appended = await at_once(one, cadre, entry("3"))
    assert (outcome.status, outcome.body["version"], appended) == (201, 3, 1)

    revoked = await other.execute("revoke_entry", RevokeEntry(reason="申诉成立"),
                                  {"cadre_id": cadre, "entry_id": outcome.body["entry_id"]}, CLERK)
    before = await stored(one)
    assert await at_once(one, cadre, entry("1")) is None  # ``one`` keeps version 3; the stream is at 4
    assert await stored(one) == before
    # The reading path decides on the revocation made by ``other``
    with pytest.raises(domain.AlreadyDone):
        await one.execute("revoke_entry", RevokeEntry(reason="again"),
                          {"cadre_id": cadre, "entry_id": outcome.body["entry_id"]}, CLERK)
    assert (await one.execute("record_entry", entry("1"), {"cadre_id": cadre}, CLERK)).body["version"] == \
        revoked.body["version"] + 1
    assert chain.verify_stream(await other.cadre_history(cadre)) is None


async def test_a_catalogue_changed_elsewhere_stops_a_write_decided_on_the_kept_one(two_dossiers_on_postgresql) -> None:
    one, other = two_dossiers_on_postgresql
    cadre = await with_cadre(one, "李娜")
    # ``other`` narrows the category; ``one`` still keeps the catalogue that allows 8 points
    await other.execute("define_category", DefineCategory(code="honour", name="表彰奖励", kind="positive",
                                                          min_points=Decimal("0.5"), max_points=Decimal("5")), {}, CLERK)
    before = await stored(one)
    assert await at_once(one, cadre, entry("8")) is None
    assert await stored(one) == before
    with pytest.raises(domain.DomainError, match="outside"):
        await one.execute("record_entry", entry("8"), {"cadre_id": cadre}, CLERK)
    assert await stored(one) == before


async def test_a_kept_answer_is_replayed_not_written_again(two_dossiers_on_postgresql) -> None:
    one, _ = two_dossiers_on_postgresql
    cadre = await with_cadre(one, "王芳")

    first, _ = await at_once(one, cadre, entry("3"), key="k-1")
    before = await stored(one)
    assert await at_once(one, cadre, entry("3"), key="k-1") is None
    again = await one.execute("record_entry", entry("3"), {"cadre_id": cadre}, CLERK, idempotency_key="k-1")
    assert again.replayed and again.body == first.body
    assert await stored(one) == before


async def test_the_seeding_instance_keeps_the_catalogue_and_its_first_entry_goes_in_one_call(
        two_dossiers_on_postgresql) -> None:
    one, _ = two_dossiers_on_postgresql
    await one.seed_catalogue()
    await one.execute("register_unit", RegisterUnit(unit_id="u", name="局", level="city", unit_class="c"), {}, CLERK)
    cadre = (await one.execute("register_cadre", RegisterCadre(name="王芳", unit_id="u"), {}, CLERK)).body["id"]

    # No write has read the catalogue yet: the head the seeding kept is what the decision is taken on.
    outcome, appended = await at_once(one, cadre, entry("2"), key="k-first")
    assert (outcome.status, outcome.body["version"], appended) == (201, 2, 1)
    assert await stored(one) == len(one._heads.get("catalogue").events) + 3  # the catalogue, unit, cadre, entry
