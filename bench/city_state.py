"""A whole city (68,553 cadres, 13.3 M events) on the production wiring in minutes, not hours (issue 22).

Importing 13.3 M events takes ~50 min here and scoring them by the consumer over an hour, so nobody had
measured what a clerk waits for at city size. This module builds the same state with shortcuts, each one
written down here, into two databases kept between runs (``<name>_dossier``, ``<name>_scoring``):

1. **A slice, imported for real.** ``shiji demo generate --cadres 1000`` with the city's events per cadre
   (13.3 M / 68,553 ≈ 194), imported with ``shiji import``: validated, chained, directories kept, as ever.
2. **The city's units, imported for real.** The slice has ~29 units in 5 counties; the city ~2,000 in 20. Each
   copy ``k`` of the slice gets units of its own: ``<slice unit>-k<k>``, of the slice unit's class and level,
   under county ``c<(its county + k) mod 20>`` (the counties the slice lacks are registered too), all through
   ``shiji import`` (``register_unit``), so unit streams, chain and unit directory are the service's own.
3. **Copies of the cadres, made by PostgreSQL** (``INSERT ... SELECT`` on the events table, as
   ``bench/rebuild_city.py``): copy ``k`` of a cadre is the same stream with every id replaced by
   ``md5(id || '.' || k)`` written as a UUID (``copied_id``) (cadre, entry, post and achievement ids keep their UUID shape,
   so every path parameter validates), and every ``unit_id`` of its events replaced by the copy's unit.
   Copies 1..67 take every slice cadre; the last one the first 553, so the city holds 68,553 cadres.
   Event ids are mapped the same way (answers cite them as evidence); ``tx_id`` is the copying
   transaction's; ``recorded_at``, ``actor`` and the rest are the original's.
   *Shortcut: the copies' hash chain is not recomputed* (``hash`` is NULL). Nothing on the read paths measured
   here verifies a chain (the dossier's reads, scoring's facts built from the store); ``shiji verify`` of
   the store, and scoring's stream check of a *new* event on a copied stream, would refuse them: this state is
   for reading, not for writing into copied cadres (writes to the slice's own cadres are checked as ever).
4. **The dossier's read models filled for the copies by SQL**, the rows ``directory.statements`` would make of
   the copied events: ``cadre_directory``, ``post_directory``, ``profile_directory`` and ``profile_history``
   rows are the slice
   cadre's own rows with the copy's ids and units (its events are the slice cadre's with those ids, so they
   make exactly these rows; the post titles and end dates, birth dates, education and fields come along).
   ``task_directory`` stays as the slice made it: the generator records no open tasks, so it is empty
   (asserted; a slice that had some would need their ids mapped too). Ids inside a cadre's own profile
   facts (an external result's id) are not mapped: they are read only within their cadre's stream. The unit
   directory is the service's own (step 2).
5. **Scoring built from the store**: ``shiji rebuild scoring --into <name>_scoring --from-store <name>_dossier``
   (services/scoring/from_store.py, set-based, no Kafka replay), on a scratch topic whose end offsets are 0.
   It stores the consumer's offsets per topic (0 for the scratch one) and, per stream, the newest version
   applied with its chain hash (``applied_versions``; NULL hashes for the copies).
6. **Scoring's day sheet filled** for the services' today (services/scoring/day_sheet), as the daily refresh would
   (``fill_day_sheet``; ``city_system`` fills it again when the state was built on another day).
7. **Statistics**: ``VACUUM ANALYZE`` and ``CHECKPOINT`` on both, as ``bench/loads.py`` does after an import.

Running the services on it (``city_system``): ``production_system`` with these databases and a fresh topic.
Before they start, the dossier's relay checkpoint for that topic is set to the store's last ``(tx_id,
position)`` (``relay:<topic>``), so the relay publishes nothing of the 13.3 M events it holds (it would
otherwise republish the whole store to the new topic: a relay pointed at an empty topic does that by
design). Scoring's consumer has no offsets for the new topic, starts at its beginning, and finds it empty:
nothing is re-applied, and scoring's facts are what step 5 built. Events written during a run are
published and applied as usual (their streams' ``applied_versions`` say where they follow on).

Build: ``.venv/bin/python -m bench.city_state build`` (the servers of ``SHIJI_TEST_PG``/``SHIJI_TEST_KAFKA``;
~10 GB for the dossier, ~7 GB for scoring); drop: ``.venv/bin/python -m bench.city_state drop``;
``--small`` builds a small state (3 copies of a 60-cadre slice) in a minute, for the equality check
(``tests/e2e/test_city_state.py``); ``--cadres N`` a state of N cadres in the city's proportions (a part of a city
where a whole one does not fit the time or the disk).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bench import loads
from services.dossier.relay import checkpoint_name
from tests.conftest import PgDatabases
from tests.support import connections as c
from tests.support.connections import KafkaServer, PgServer
from tests.support.production import ROLES, ProductionSystem, databases_env, production_system

PG = PgServer.from_env()
KAFKA = KafkaServer.from_env()
CITY_CADRES, CITY_EVENTS, COUNTIES = 68_553, 13_300_000, 20
UNLIMITED = {"SHIJI_GATEWAY_RATE_LIMIT_PER_S": "1000000", "SHIJI_GATEWAY_RATE_LIMIT_BURST": "1000000"}


@dataclass(frozen=True)
class Shape:
    """How big: the slice imported for real, then copies of its cadres up to ``cadres``."""

    cadres: int = CITY_CADRES
    events: int = CITY_EVENTS
    slice_cadres: int = 1000

    @property
    def copies(self) -> int:  # copies made besides the slice itself (the last one maybe partial)
        return -(-self.cadres // self.slice_cadres) - 1

    @property
    def slice_events(self) -> int:
        return round(self.events * self.slice_cadres / self.cadres)


SMALL = Shape(cadres=200, events=40_000, slice_cadres=60)


def names(name: str) -> dict[str, str]:
    return {"dossier": f"{name}_dossier", "scoring": f"{name}_scoring"}


async def connect(database: str) -> asyncpg.Connection:
    return await asyncpg.connect(PG.dsn(database), command_timeout=None)


def shiji(*args: str, env: dict[str, str]) -> str:
    return loads.shiji(*args, env={**os.environ, **env})


def step(what: str):
    """Print what is done and how long it took."""
    @contextlib.contextmanager
    def timed():
        started = time.perf_counter()
        print(f"{what}...", flush=True)
        yield
        print(f"  {what}: {time.perf_counter() - started:.0f} s", flush=True)
    return timed()


# ------------------------------------------------------------------------------------------- the build

async def create_databases(name: str) -> dict[str, str]:
    """The two databases, owned by the services' owner roles, migrated (``shiji migrate`` grants the rest)."""
    dbs = names(name)
    conn = await connect("postgres")
    try:
        for service, database in dbs.items():
            owner = f' OWNER "{ROLES[service][1]}"' if PG.secured else ""
            await conn.execute(f'CREATE DATABASE "{database}"{owner}')
    finally:
        await conn.close()
    shiji("migrate", env={**databases_env(PG, dbs), **KAFKA.service_env(c.KAFKA_ADMIN)})
    return dbs


def unit_rows(slice_units: list[dict], counties: set[str], copies: int) -> list[dict]:
    """``register_unit`` rows: the counties the slice lacks, then each copy's units (see the docstring)."""
    rows = [{"row_key": f"unit-c{n:02d}", "operation": "register_unit", "params": {},
             "body": {"unit_id": f"c{n:02d}", "name": f"示范市第{n}县区", "parent_id": "city", "level": "county",
                      "unit_class": "district" if n % 3 else "county"}}
            for n in range(1, COUNTIES + 1) if f"c{n:02d}" not in counties]
    for k in range(1, copies + 1):
        for unit in slice_units:
            parent = unit["parent_id"]
            if parent.startswith("c") and parent[1:].isdigit():
                parent = f"c{(int(parent[1:]) - 1 + k) % COUNTIES + 1:02d}"
            unit_id = copy_unit(unit["unit_id"], k)
            rows.append({"row_key": f"unit-{unit_id}", "operation": "register_unit", "params": {},
                         "body": {"unit_id": unit_id, "name": f"{unit['name']}（{k}）", "parent_id": parent,
                                  "level": unit["level"], "unit_class": unit["unit_class"]}})
    return rows


def copy_unit(unit_id: str, k: int) -> str:
    return f"{unit_id}-k{k}"


def copied_id(original: str, k: int) -> str:
    """The id of copy ``k`` of ``original`` (a cadre's, entry's, post's or event's), as the copying SQL makes it."""
    return str(uuid.UUID(hashlib.md5(f"{original}.{k}".encode()).hexdigest()))


async def import_slice(dbs: dict[str, str], shape: Shape, workdir: Path) -> None:
    env = {"SHIJI_DOSSIER_DATABASE_URL": PG.url(dbs["dossier"])}
    path = workdir / "slice.ndjson"
    with step(f"generate and import the slice ({shape.slice_cadres:,} cadres, ~{shape.slice_events:,} events)"):
        shiji("demo", "generate", "--cadres", str(shape.slice_cadres), "--events", str(shape.slice_events),
              "--seed", "1", "-o", str(path), env=env)
        shiji("import", str(path), env=env)
    conn = await connect(dbs["dossier"])
    try:
        units = [dict(r) for r in await conn.fetch(
            "SELECT unit_id, parent_id, name, level, unit_class FROM unit_directory WHERE level = 'unit' "
            "ORDER BY unit_id")]
        counties = {r["unit_id"] for r in await conn.fetch("SELECT unit_id FROM unit_directory WHERE level = 'county'")}
    finally:
        await conn.close()
    path = workdir / "units.ndjson"
    rows = unit_rows(units, counties, shape.copies)
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    with step(f"import the city's other {len(rows):,} units and counties"):
        shiji("import", str(path), env=env)


# A copied id: the original's, hashed with the copy's number, in UUID form ($1 is the copy's number, as text).
def _copied(expr: str) -> str:
    return f"md5(({expr}) || '.' || $1)::uuid::text"


_UNIT_OF_COPY = "coalesce((SELECT m.copy FROM unit_map m WHERE m.k = $1::int AND m.unit_id = {0}), {0})"

# Copy $1 of the slice's first $2 cadres (all of them but in the last copy): their events up to position $3.
_COPY_EVENTS = f"""
INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version, data, effective_date,
                    recorded_at, actor, actor_role, context, hash)
SELECT {_copied("e.stream_id")}, e.stream_version, {_copied("e.event_id")}, e.event_type, e.schema_version,
       e.data || jsonb_strip_nulls(jsonb_build_object(
           'cadre_id', CASE WHEN e.data ? 'cadre_id' THEN {_copied("e.data->>'cadre_id'")} END,
           'entry_id', CASE WHEN e.data ? 'entry_id' THEN {_copied("e.data->>'entry_id'")} END,
           'post_id', CASE WHEN e.data ? 'post_id' THEN {_copied("e.data->>'post_id'")} END,
           'achievement_id', CASE WHEN e.data ? 'achievement_id' THEN {_copied("e.data->>'achievement_id'")} END,
           'unit_id', CASE WHEN e.data ? 'unit_id' THEN {_UNIT_OF_COPY.format("e.data->>'unit_id'")} END)),
       e.effective_date, e.recorded_at, e.actor, e.actor_role, e.context, NULL
FROM events e JOIN slice_cadres s ON s.stream_id = e.stream_id AND s.n <= $2
WHERE e.position <= $3
"""
# The same copy's directory rows, from the slice's own (its events, ids mapped, make exactly these rows).
_COPY_DIRECTORIES = [
    f"""INSERT INTO cadre_directory (cadre_id, name, unit_id)
        SELECT {_copied("d.cadre_id")}, d.name, {_UNIT_OF_COPY.format("d.unit_id")}
        FROM cadre_directory d JOIN slice_cadres s ON s.stream_id = d.cadre_id AND s.n <= $2""",
    f"""INSERT INTO post_directory (post_id, cadre_id, unit_id, leadership, start_date, end_date, position)
        SELECT {_copied("d.post_id")}, {_copied("d.cadre_id")}, {_UNIT_OF_COPY.format("d.unit_id")}, d.leadership,
               d.start_date, d.end_date, d.position
        FROM post_directory d JOIN slice_cadres s ON s.stream_id = d.cadre_id AND s.n <= $2""",
    f"""INSERT INTO profile_directory (cadre_id, facet, value)
        SELECT {_copied("d.cadre_id")}, d.facet, d.value
        FROM profile_directory d JOIN slice_cadres s ON s.stream_id = d.cadre_id AND s.n <= $2""",
    # In the slice's order of recording (row_id), which decides the version in force.
    f"""INSERT INTO profile_history (cadre_id, facet, latest, effective, birth_date, level, major, discipline,
                                     professional_field, familiar_fields)
        SELECT {_copied("d.cadre_id")}, d.facet, d.latest, d.effective, d.birth_date, d.level, d.major, d.discipline,
               d.professional_field, d.familiar_fields
        FROM profile_history d JOIN slice_cadres s ON s.stream_id = d.cadre_id AND s.n <= $2 ORDER BY d.row_id""",
]
_SLICE_TABLES = [
    """CREATE TABLE slice_cadres AS SELECT stream_id, row_number() OVER (ORDER BY position) AS n
       FROM events WHERE event_type = 'cadre_registered'""",
    "CREATE UNIQUE INDEX ON slice_cadres (stream_id)",
    "CREATE TABLE unit_map (k int, unit_id text, copy text, PRIMARY KEY (k, unit_id))",
]


async def copy_cadres(dbs: dict[str, str], shape: Shape) -> None:
    conn = await connect(dbs["dossier"])
    try:
        # Not kept by the slice's generator: copying it would need its ids mapped too (see the docstring).
        assert await conn.fetchval("SELECT count(*) FROM task_directory") == 0, "task_directory is not empty"
        last = await conn.fetchval("SELECT max(position) FROM events")
        for statement in _SLICE_TABLES:
            await conn.execute(statement)
        units = await conn.fetch("SELECT unit_id FROM unit_directory WHERE level = 'unit' AND unit_id NOT LIKE '%-k%'")
        await conn.executemany("INSERT INTO unit_map VALUES ($1, $2, $3)",
                               [(k, u["unit_id"], copy_unit(u["unit_id"], k)) for k in range(1, shape.copies + 1)
                                for u in units])
        started = time.perf_counter()
        for k in range(1, shape.copies + 1):
            take = min(shape.slice_cadres, shape.cadres - k * shape.slice_cadres)
            async with conn.transaction():
                await conn.execute(_COPY_EVENTS, str(k), take, last)
                for statement in _COPY_DIRECTORIES:
                    await conn.execute(statement, str(k), take)
            if k % 10 == 0 or k == shape.copies:
                print(f"  copy {k}/{shape.copies} ({time.perf_counter() - started:.0f} s)", flush=True)
        for statement in ("DROP TABLE slice_cadres", "DROP TABLE unit_map"):
            await conn.execute(statement)
    finally:
        await conn.close()


async def build_scoring(dbs: dict[str, str]) -> str:
    """``shiji rebuild scoring --into`` the scoring database ``--from-store`` the dossier's, on a scratch topic (its
    end offsets 0) and an empty scratch database as the "live" one (whose announcements it takes over: none)."""
    scratch = PgDatabases(PG)
    try:
        env = {"SHIJI_SCORING_DATABASE_URL": await scratch.create("scoring"), **KAFKA.service_env(c.KAFKA_ADMIN),
               "SHIJI_KAFKA_TOPIC": f"bench.city-state.{os.getpid()}"}
        target = PG.url(dbs["scoring"], ROLES["scoring"][1] if PG.secured else "postgres")
        store = PG.url(dbs["dossier"], c.STORE_READER if PG.secured else "postgres")
        out = shiji("rebuild", "scoring", "--into", target, "--from-store", store, "--no-checksum", env=env)
    finally:
        await scratch.drop_all()
    return out.splitlines()[0].split(" into ")[0]  # not the URL: it holds a password


async def fill_day_sheet(dbs: dict[str, str], *, only_if_stale: bool = False) -> str:
    """Scoring's kept day sheet (services/scoring/day_sheet) filled for the services' today, as the daily refresh
    fills it (a state built from the store has none): what it took. ``only_if_stale``: not when it already answers
    today (a state built on an earlier day is refilled before its services start)."""
    from services.scoring.day_sheet import reads
    from services.scoring.evaluation import Evaluator
    from services.scoring.rules import RuleBook
    from services.scoring.service import ScoringService
    from services.scoring.settings import ScoringSettings
    from shared.db import make_engine
    from shared.settings import today

    day = today(ScoringSettings.model_fields["timezone"].default)
    engine = make_engine(PG.url(dbs["scoring"], ROLES["scoring"][1] if PG.secured else "postgres"), pool_size=2)
    try:
        scoring = ScoringService(engine, Evaluator(RuleBook.load()))
        async with reads.snapshot(engine) as conn:
            if only_if_stale and await reads.answers(conn, day, scoring.rules.for_date(day)):
                return f"the day sheet answers {day} already"
        started = time.perf_counter()
        complete = await scoring.fill_day_sheet(day)
        return f"day sheet for {day} filled in {time.perf_counter() - started:.1f} s (complete: {complete})"
    finally:
        await engine.dispose()


async def maintain(dbs: dict[str, str]) -> None:
    for database in dbs.values():
        conn = await connect(database)
        try:
            await conn.execute("VACUUM ANALYZE")
            await conn.execute("CHECKPOINT")
        finally:
            await conn.close()


async def build(name: str, shape: Shape) -> dict[str, str]:
    started = time.perf_counter()
    dbs = await create_databases(name)
    with tempfile.TemporaryDirectory() as tmp:
        await import_slice(dbs, shape, Path(tmp))
    with step(f"copy the slice's cadres {shape.copies} times by SQL, directories with them"):
        await copy_cadres(dbs, shape)
    with step("VACUUM ANALYZE the store"):
        await maintain({"dossier": dbs["dossier"]})
    with step("rebuild scoring from the store"):
        print("  " + await build_scoring(dbs), flush=True)
    with step("fill scoring's day sheet"):
        print("  " + await fill_day_sheet(dbs), flush=True)
    with step("VACUUM ANALYZE both"):
        await maintain(dbs)
    print(f"{await describe(dbs)}; built in {(time.perf_counter() - started) / 60:.1f} min", flush=True)
    return dbs


async def describe(dbs: dict[str, str]) -> str:
    conn = await connect(dbs["dossier"])
    try:
        events, cadres, units = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM cadre_directory), "
            "(SELECT count(*) FROM unit_directory WHERE level = 'unit')")
        sizes = [await conn.fetchval(f"SELECT pg_size_pretty(pg_database_size('{d}'))") for d in dbs.values()]
    finally:
        await conn.close()
    return (f"{events:,} events, {cadres:,} cadres in {units:,} units; dossier {sizes[0]}, scoring {sizes[1]}")


async def drop(name: str) -> None:
    conn = await connect("postgres")
    try:
        for database in names(name).values():
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await conn.close()


# ------------------------------------------------------------------------------------- the services on it

async def position_relay(dbs: dict[str, str], env: dict[str, str]) -> None:
    """The relay's checkpoint for this run's topic at the store's end: it publishes only what is written now."""
    conn = await connect(dbs["dossier"])
    try:
        await conn.execute(
            "INSERT INTO relay_checkpoints (name, tx_id, position, updated_at) "
            "SELECT $1, max(tx_id), max(position), now() FROM events "
            "ON CONFLICT (name) DO UPDATE SET tx_id = excluded.tx_id, position = excluded.position",
            checkpoint_name(env["SHIJI_KAFKA_TOPIC"]))
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def city_system(name: str, extra_env: dict[str, str] | None = None) -> AsyncIterator[ProductionSystem]:
    """The three services (``shiji serve``) on the city state ``name`` built earlier, a fresh topic; kept after."""
    dbs = names(name)

    async def prepare(env: dict[str, str]) -> None:
        await position_relay(dbs, env)
        print(await fill_day_sheet(dbs, only_if_stale=True), flush=True)

    async with production_system(PG, KAFKA, databases=dbs, prepare=prepare,
                                 extra_env={**UNLIMITED, **(extra_env or {})}) as system:
        yield system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["build", "drop", "describe", "fill-sheet"])
    parser.add_argument("--name", default="city22", help="the databases are <name>_dossier and <name>_scoring")
    parser.add_argument("--small", action="store_true", help="a small state (see the docstring)")
    parser.add_argument("--cadres", type=int, help="a state of this many cadres (194 events each, a slice of a "
                                                   "tenth, at most 1,000)")
    args = parser.parse_args()
    if args.action == "build":
        shape = SMALL if args.small else Shape() if args.cadres is None else \
            Shape(args.cadres, round(CITY_EVENTS * args.cadres / CITY_CADRES), min(1000, max(60, args.cadres // 10)))
        asyncio.run(build(args.name, shape))
    elif args.action == "fill-sheet":  # a state built before the day sheet existed (or on another day)
        print(asyncio.run(fill_day_sheet(names(args.name))))
    elif args.action == "drop":
        asyncio.run(drop(args.name))
    else:
        print(asyncio.run(describe(names(args.name))))


if __name__ == "__main__":
    main()
