"""The city state of ``bench/city_state.py`` (issue 22), built small: a copied cadre reads, through the gateway of
the production wiring, exactly as the original it was copied from (its own ids and units aside), its units are
the city's, and the services run on it without republishing or re-applying what the store holds."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx

from bench import city_state
from bench.loads import metric_sum
from services.scoring.facts import cadres_under, load_facts
from services.scoring.model import summing_for_totals
from services.scoring.ranking import rank_group, ranking_groups
from services.scoring.rules import RuleBook
from shared.db import make_engine
from shared.settings import today
from tests.conftest import KAFKA, PG, require_server

READS = ("", "/dossier", "/score", "/screening")


async def rankings_of_everyone(scoring_database: str) -> dict[str, list[tuple[str, int, float]]]:
    """Each class group's ranking today made as it was before issue 22: of the facts of every cadre of the city."""
    day = today()
    rules = RuleBook.load().for_date(day)
    engine = make_engine(PG.url(scoring_database))
    try:
        async with engine.connect() as conn:
            ids = await cadres_under(conn, None, day, dt.datetime.now(dt.UTC))
            facts = await load_facts(conn, ids, None, summing=summing_for_totals(day, rules))
    finally:
        await engine.dispose()
    return {group: [(r.candidate.cadre_id, r.rank, float(r.candidate.total)) for r in rank_group(facts, ids_, day, rules)]
            for group, ids_ in ranking_groups(facts, day).items() if group.startswith("class:")}


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
                # Every class's ranking (asked with its candidates narrowed first) is the one made of everyone's facts.
                whole = await rankings_of_everyone(dbs["scoring"])
                assert whole, "the slice ranks nobody"
                for group, expected in whole.items():
                    _, unit_class, leadership = group.split(":")
                    r = await client.get("/api/v1/rankings", params={"class": unit_class, "leadership": leadership})
                    assert r.status_code == 200, r.text
                    assert [(x["cadre_id"], x["rank"], x["total"]) for x in r.json()["ranking"]] == expected, group
                # The copies' profile history (copied by SQL) decides a search as their folded facts do (a search as
                # known at a moment folds).
                asked = {"age_min": 35, "age_max": 55, "education_min": "bachelor", "sort": "-age", "limit": 500}
                moment = dt.datetime.now(dt.UTC).isoformat()
                by_sql, by_fold = [(await client.get("/api/v1/cadre-search", params=p)).json()
                                   for p in (asked, {**asked, "known_at": moment})]
                assert by_sql["matched"] == by_fold["matched"] > shape.slice_cadres // 10, (by_sql, by_fold)
                assert [c["cadre_id"] for c in by_sql["cadres"]] == [c["cadre_id"] for c in by_fold["cadres"]]
                # Written now: published (and only that: the relay starts at the store's end) and scored.
                before = (await client.get(f"/api/v1/cadres/{originals[0]}/score")).json()["total"]
                day = (dt.date.today() - dt.timedelta(days=1)).isoformat()
                written = await client.post(f"/api/v1/cadres/{originals[0]}/entries", headers={
                    "Idempotency-Key": str(uuid.uuid4())}, json={
                    "kind": "positive", "category": "honour", "title": "city state", "points": 1,
                    "effective_date": day, "basis": {"reason": "test", "document": "test"}})
                assert written.status_code == 201, written.text
                for _ in range(40):  # the relay's first publish waits for its producer to connect (~15 s here)
                    scored = await client.get(f"/api/v1/cadres/{originals[0]}/score", params={
                        "min_position": written.json()["position"]}, headers={"Prefer": "wait=5"})
                    if scored.status_code != 503:
                        break
                lags = [await metric_sum(system.dossier_url, "shiji_relay_lag_events", system.tls),
                        await metric_sum(system.scoring_url, "shiji_scoring_consumer_lag_messages", system.tls)]
                assert scored.status_code == 200, (scored.text, lags, system.log("scoring")[-2000:])
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
