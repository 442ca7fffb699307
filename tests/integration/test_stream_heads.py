"""The dossier keeps the heads of the streams it wrote (``StreamHeads``) and reads only what came after:
two dossier instances writing the same cadre must still decide on everything committed."""

from __future__ import annotations

import datetime as dt

import pytest

from services.dossier import domain
from services.dossier.service import DossierService, StreamHead, StreamHeads
from services.dossier.store import Actor
from shared.commands import RecordEntry, RegisterCadre, RegisterUnit, RevokeEntry
from tests.support.tamper import tamper

CLERK = Actor("clerk-1", "clerk")
DAY = dt.date.today() - dt.timedelta(days=3)


async def put_back(service: DossierService, cadre: str, version: int) -> None:
    """What restoring a backup taken before ``version`` does to that cadre's stream."""
    await tamper(service._engine, f"DELETE FROM events WHERE stream_id = '{cadre}' AND stream_version >= {version}")


async def with_cadre(service: DossierService, name: str) -> str:
    await service.seed_catalogue()
    await service.execute("register_unit", RegisterUnit(unit_id="u", name="局", level="city", unit_class="c"), {},
                          CLERK)
    return (await service.execute("register_cadre", RegisterCadre(name=name, unit_id="u"), {}, CLERK)).body["id"]


def entry(points: int) -> RecordEntry:
    return RecordEntry(kind="positive", category="honour", title="表彰", points=points, effective_date=DAY,
                       basis={"reason": "r", "document": "d"})


async def test_an_instance_decides_on_what_another_instance_committed(two_dossiers) -> None:
    one, other = two_dossiers
    cadre = await with_cadre(one, "张伟")
    params = {"cadre_id": cadre}
    first = (await one.execute("record_entry", entry(2), params, CLERK)).body
    assert first["version"] == 2  # ``one`` now keeps this cadre's head at version 2

    revoked = await other.execute("revoke_entry", RevokeEntry(reason="申诉成立"),
                                  {**params, "entry_id": first["entry_id"]}, CLERK)
    assert revoked.body["version"] == 3

    # ``one`` keeps a head behind the store: a caller who read version 3 (If-Match) is served, not refused.
    second = (await one.execute("record_entry", entry(3), params, CLERK, expected_version=3)).body
    assert second["version"] == 4
    await other.execute("record_entry", entry(1), params, CLERK)
    # ... and it decides on the revocation made elsewhere
    with pytest.raises(domain.AlreadyDone, match="revoked"):
        await one.execute("revoke_entry", RevokeEntry(reason="again"), {**params, "entry_id": first["entry_id"]}, CLERK)
    await one.execute("record_entry", entry(1), params, CLERK, expected_version=5)
    history = await other.cadre_history(cadre)
    assert [e.stream_version for e in history] == [1, 2, 3, 4, 5, 6]


async def test_a_store_put_back_is_read_whole_again(two_dossiers) -> None:
    """A restore may take a stream back behind a kept head, or to another event at the kept version (written
    since by another instance): either way the kept head is not trusted, the stream is read whole."""
    service, other = two_dossiers
    cadre = await with_cadre(service, "李娜")
    lost = (await service.execute("record_entry", entry(2), {"cadre_id": cadre}, CLERK)).body
    await put_back(service, cadre, 2)  # the backup restored was taken before that entry
    after = await service.execute("record_entry", entry(5), {"cadre_id": cadre}, CLERK)
    assert after.body["version"] == 2
    with pytest.raises(domain.EntryNotFound):
        await service.execute("revoke_entry", RevokeEntry(reason="r"), {"cadre_id": cadre, "entry_id": lost["entry_id"]},
                              CLERK)

    # ``service`` keeps version 2 (``after``); put back again, and another instance writes a version 2 of its own
    await put_back(service, cadre, 2)
    assert (await other.execute("record_entry", entry(1), {"cadre_id": cadre}, CLERK)).body["version"] == 2
    with pytest.raises(domain.EntryNotFound):
        await service.execute("revoke_entry", RevokeEntry(reason="r"),
                              {"cadre_id": cadre, "entry_id": after.body["entry_id"]}, CLERK)


def test_kept_heads_are_bounded_least_recently_used_first() -> None:
    heads = StreamHeads(2)
    head = StreamHead(domain.Dossier("c"), 1, "h", dt.datetime.now(dt.UTC), ())
    heads.put("a", head)
    heads.put("b", head)
    assert heads.get("a") is head  # "a" is now the most recently used
    heads.put("c", head)
    assert heads.get("b") is None and heads.get("a") is head and heads.get("c") is head
    nothing = StreamHeads(0)
    nothing.put("a", head)
    assert nothing.get("a") is None
