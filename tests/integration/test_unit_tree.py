"""The dossier keeps the unit tree in memory (``directory.UnitTree``) for authorization: a unit another
instance registers must be in the caller's jurisdiction at once, and the tree must answer like the directory."""

from __future__ import annotations

from services.dossier.store import Actor
from shared.commands import RegisterUnit

CLERK = Actor("clerk-1", "clerk")


def unit(unit_id: str, parent_id: str | None, level: str = "unit") -> RegisterUnit:
    return RegisterUnit(unit_id=unit_id, name=unit_id, level=level, unit_class="c", parent_id=parent_id)


async def test_relations_see_units_registered_elsewhere(two_dossiers) -> None:
    one, other = two_dossiers
    await one.execute("register_unit", unit("city", None, "city"), {}, CLERK)
    await one.execute("register_unit", unit("county", "city", "county"), {}, CLERK)
    await one.execute("register_unit", unit("bureau", "county"), {}, CLERK)
    asked = ["city", "county", "bureau", "nowhere"]
    assert await one.relations("clerk-1", "county", [], asked) == {
        "jurisdiction": ["county", "bureau"], "top_level": False, "cadres": {}}
    assert (await one.relations("clerk-1", "city", [], asked))["top_level"] is True

    await other.execute("register_unit", unit("office", "county"), {}, CLERK)
    seen = await one.relations("clerk-1", "county", [], ["office"])
    assert seen["jurisdiction"] == ["office"]
    whole = await one.relations("clerk-1", "county", [], [], whole_jurisdiction=True)
    assert whole["jurisdiction"] == ["county", "bureau", "office"]  # nearest first, then by id
    assert (await one.relations("clerk-1", "nowhere", [], asked, whole_jurisdiction=True))["jurisdiction"] == []
