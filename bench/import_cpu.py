"""The bulk import's client CPU per event, in-process: what a busy machine's wall time hides.

``import_rate`` times ``shiji import`` as its own process, which on a shared machine mostly measures the
other sessions. This bench runs the same ``Importer`` in-process on a generated file (or ``--file``), each
run into a fresh migrated dossier database, and reports the import phase's CPU (``time.process_time``) per
event beside its wall rate, and how much of both ``DossierService._write`` took (the decisions, the chain and
the database; the rest is reading and validating the rows). Medians of ``--runs``.
Run: ``.venv/bin/python -m bench.import_cpu --events 20000`` (PostgreSQL up; the servers of SHIJI_TEST_PG).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import time
from pathlib import Path

from bench.import_rate import shiji
from bench.machine import machine, median
from services.dossier.importer import Importer, rows_of
from services.dossier.service import DossierService, dossier_engine
from services.dossier.store import Actor
from tests.conftest import PgDatabases
from tests.support.connections import PgServer


class TimedService(DossierService):
    """The service, with the wall and CPU time its write pipeline takes added up."""

    wall = cpu = 0.0

    async def _write(self, *args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return await super()._write(*args, **kwargs)
        finally:
            self.wall += time.perf_counter() - wall
            self.cpu += time.process_time() - cpu


async def one_run(path: Path) -> dict[str, float]:
    dbs = PgDatabases(PgServer.from_env())
    try:
        engine = dossier_engine(await dbs.create("dossier"), pool_size=2)
        service = TimedService(engine, today=lambda: dt.date(2026, 12, 6))
        await service.seed_catalogue()
        wall, cpu = time.perf_counter(), time.process_time()
        with path.open(encoding="utf-8") as lines:
            report = await Importer(service, Actor("import", "clerk")).run(rows_of(lines, "ndjson"))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        await engine.dispose()
    finally:
        await dbs.drop_all()
    assert report.refused == 0, report.errors[:3]
    return {"events": report.events, "rate": report.events / wall, "cpu_us": 1e6 * cpu / report.events,
            "write_cpu_us": 1e6 * service.cpu / report.events, "write_wall_share": service.wall / wall}


async def main(args: argparse.Namespace) -> None:
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file or Path(tmp) / "city.ndjson"
        if not args.file:
            shiji("demo", "generate", "--cadres", str(args.cadres), "--events", str(args.events), "--seed", "1",
                  "-o", str(path))
        runs = []
        for run in range(1, args.runs + 1):
            runs.append(await one_run(path))
            r = runs[-1]
            print(f"run {run}: {r['events']:,} events, {r['rate']:,.0f}/s, CPU {r['cpu_us']:.0f} µs/event "
                  f"(the write pipeline {r['write_cpu_us']:.0f} µs)", flush=True)
    m = {k: median([r[k] for r in runs]) for k in runs[0]}
    print(f"\nmedian of {args.runs}: {m['rate']:,.0f} events/s; client CPU {m['cpu_us']:.0f} µs per event, of which "
          f"the write pipeline {m['write_cpu_us']:.0f} µs (decisions, chain, database) and reading and validating "
          f"the rows the rest; the write pipeline took {m['write_wall_share']:.0%} of the wall time")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cadres", type=int, default=520)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--file", type=Path, default=None, help="an NDJSON file to import instead of a generated one")
    parser.add_argument("--runs", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
