"""A unit's clerk's warnings list holds that unit's warnings from its first page (issue 22): scoring is asked only
the unit's, rather than the whole city's newest first, filtered afterwards to an empty page. On both wirings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.e2e.conftest import System
from tests.e2e.test_dossier_workflows import office
from tests.e2e.test_gateway import BASIS, today
from tests.e2e.test_scoring_features import eventually


async def warnings_of(system: System, unit: str, **params: Any) -> list[tuple[str, str]]:
    r = await system.client.get("/api/v1/warnings", params=params, headers=system.auth(unit=unit))
    assert r.status_code == 200, r.text
    return [(w["cadre_id"], w["key"]) for w in r.json()["warnings"]]


async def test_a_units_clerk_finds_the_units_warnings_on_the_first_page(system: System) -> None:
    o = await office(system)
    # The outsider's (in another unit) is the newer: recorded once the first is raised, so that the two are not
    # raised in one batch with the same time (whose order would be a tie).
    for cadre in (o.cadre, o.outsider):
        await o.ok(f"/cadres/{cadre}/entries", {
            "kind": "negative", "category": "work_style", "title": "通报批评", "points": -2,
            "effective_date": (today() - dt.timedelta(days=200)).isoformat(), "basis": BASIS})

        async def raised(cadre: str = cadre) -> None:
            assert (cadre, "rolling_total_negative") in await warnings_of(system, system.root_unit)

        await eventually(raised)
    assert await warnings_of(system, o.unit_id, limit=1) == [(o.cadre, "rolling_total_negative")]
    assert await warnings_of(system, o.unit_id) == [(o.cadre, "rolling_total_negative")]
    assert (o.cadre, "rolling_total_negative") not in await warnings_of(system, system.unit_id)
    assert (await warnings_of(system, system.root_unit, limit=1))[0] == (o.outsider, "rolling_total_negative")
