"""Content negotiation through the gateway: each read answers the media types its OpenAPI states for its 200 and
refuses any other ``Accept`` with 406 problem+json naming what it offers (after the token is checked)."""

from __future__ import annotations

import uuid

from tests.e2e.conftest import System
from tests.e2e.test_documents import dossier_of_a_year
from tests.e2e.test_spreadsheets import XLSX

PDF = "application/pdf"
JSON = "application/json"


def concrete(path: str) -> str:
    return (path.replace("{cadre_id}", str(uuid.uuid4())).replace("{unit_id}", "e2e-unit")
            .replace("{scheme_id}", "scheme").replace("{subject_id}", "subject"))


async def test_every_read_states_its_media_types_and_refuses_any_other_accept(system: System) -> None:
    spec = (await system.client.get("/openapi.json")).json()["paths"]
    reads = {path: ops["get"] for path, ops in spec.items() if "get" in ops}
    assert len(reads) >= 20
    for path, op in reads.items():
        offered = set(op["responses"]["200"]["content"])
        assert JSON in offered and "406" in op["responses"], path
        unwanted = ", ".join(m for m in ("text/html", PDF, XLSX) if m not in offered)
        r = await system.client.get(concrete(path), headers={**system.auth(), "Accept": unwanted})
        assert r.status_code == 406 and r.headers["content-type"].startswith("application/problem+json"), (path, r.text)
        body = r.json()
        assert body["rule"] == "acceptable_media_type" and set(body["offered"]) == offered, (path, body)
        anonymous = await system.client.get(concrete(path), headers={"Accept": unwanted})
        assert anonymous.status_code == 401, path  # who asks is checked first


async def test_the_chosen_media_type_follows_the_quality_and_json_wins_a_tie(system: System) -> None:
    cadre_id = await dossier_of_a_year(system, "周协商")
    sheet = f"/api/v1/cadres/{cadre_id}/appraisal-sheet"
    year = {"year": 2025}

    async def answer(path: str, accept: str) -> tuple[int, str]:
        r = await system.client.get(path, params=year, headers={**system.auth(), "Accept": accept})
        return r.status_code, r.headers["content-type"].split(";")[0]

    assert await answer(sheet, f"{PDF};q=0.9, {JSON};q=0.5") == (200, PDF)
    assert await answer(sheet, f"{JSON}, {PDF}") == (200, JSON)
    assert await answer(sheet, "*/*") == (200, JSON)
    assert await answer(sheet, f"{PDF};q=0, */*;q=0.1") == (200, JSON)
    assert (await answer(sheet, XLSX))[0] == 406
    assert (await answer(f"/api/v1/cadres/{cadre_id}/dossier", PDF))[0] == 406
    assert await answer(f"/api/v1/cadres/{cadre_id}/dossier", "application/*") == (200, JSON)
