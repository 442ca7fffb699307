"""The city state of ``bench/city_state.py`` (issue 22), built small: a copied cadre reads, through the gateway of
the production wiring, exactly as the original it was copied from (its own ids and units aside), its units are
the city's, and the services run on it without republishing or re-applying what the store holds."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx

from bench import city_state
from tests.conftest import KAFKA, PG, require_server

READS = ("", "/dossier", "/score", "/screening")


def strings(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(strings(v) for v in value.values()), set())
    if isinstance(value, list):
        return set().union(*(strings(v) for v in value), set())
    return {value} if isinstance(value, str) else set()


def as_original(value: Any, k: int, originals: dict[str, str]) -> Any:
    """``value`` (an answer about copy ``k``) with the copy's ids and units put back to the original's, and
    without ``known_at`` (the moment of the answer)."""
    if isinstance(value, dict):
        return {key: as_original(v, k, originals) for key, v in value.items() if key != "known_at"}
    if isinstance(value, list):
        return [as_original(v, k, originals) for v in value]
    if isinstance(value, str):
        stream, colon, version = value.rpartition(":")  # a position: "<stream>:<version>"
        if colon and stream in originals:
            return f"{originals[stream]}:{version}"
        return originals.get(value, value.removesuffix(f"-k{k}"))
    return value


async def test_a_copied_cadre_reads_as_its_original_and_the_services_go_on_from_the_store() -> None:
    require_server("PostgreSQL", PG.hostport)
    require_server("Kafka", KAFKA.bootstrap)
    name = f"t_city_{uuid.uuid4().hex[:10]}"
    shape = city_state.SMALL
    try:
        dbs = await city_state.build(name, shape)
        conn = await city_state.connect(dbs["dossier"])
        try:
            originals = [r["stream_id"] for r in await conn.fetch(
                "SELECT stream_id FROM events WHERE event_type = 'cadre_registered' ORDER BY position LIMIT 3")]
            cadres, units, copy_units = await conn.fetchrow(
                "SELECT (SELECT count(*) FROM cadre_directory), (SELECT count(DISTINCT unit_id) FROM cadre_directory),"
                " (SELECT count(*) FROM unit_directory WHERE unit_id LIKE '%-k%')")
            held = await conn.fetchval("SELECT count(*) FROM events")
        finally:
            await conn.close()
        assert cadres == shape.cadres
        assert units > units - copy_units > 0 and copy_units > 0  # the copies live in units of their own

        async with city_state.city_system(name) as system:
            headers = {"Authorization": f"Bearer {system.token(unit='city')}"}
            async with httpx.AsyncClient(base_url=system.gateway_url, headers=headers, timeout=60) as client:
                for original in originals:
                    for k in (1, shape.copies):
                        for read in READS:
                            mine = await client.get(f"/api/v1/cadres/{original}{read}")
                            copy = await client.get(f"/api/v1/cadres/{city_state.copied_id(original, k)}{read}")
                            assert mine.status_code == copy.status_code == 200, (read, mine.text, copy.text)
                            back = {city_state.copied_id(s, k): s for s in strings(mine.json())}
                            assert as_original(copy.json(), k, back) == as_original(mine.json(), k, {}), (read, k)
                # Written now: published (and only that: the relay starts at the store's end) and scored.
                before = (await client.get(f"/api/v1/cadres/{originals[0]}/score")).json()["total"]
                day = (dt.date.today() - dt.timedelta(days=1)).isoformat()
                written = await client.post(f"/api/v1/cadres/{originals[0]}/entries", headers={
                    "Idempotency-Key": str(uuid.uuid4())}, json={
                    "kind": "positive", "category": "honour", "title": "city state", "points": 1,
                    "effective_date": day, "basis": {"reason": "test", "document": "test"}})
                assert written.status_code == 201, written.text
                for _ in range(12):  # the relay's first publish waits for its producer to connect (~15 s here)
                    scored = await client.get(f"/api/v1/cadres/{originals[0]}/score", params={
                        "min_position": written.json()["position"]}, headers={"Prefer": "wait=10"})
                    if scored.status_code != 503:
                        break
                assert scored.status_code == 200, scored.text
                assert scored.json()["total"] == before + 1
        conn = await city_state.connect(dbs["scoring"])
        try:
            applied = await conn.fetchval("SELECT max(version) FROM applied_versions WHERE stream_id = $1", originals[0])
            facts = await conn.fetchval("SELECT count(*) FROM entries")
        finally:
            await conn.close()
        assert applied is not None and facts > 0 and held > 0
    finally:
        await city_state.drop(name)
