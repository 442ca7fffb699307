"""``shiji``'s commands on the stored records: verify the chains, rebuild and checksum scoring, import a
file, generate a demo city's file. ``services.cli`` parses the command line and calls them."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys

from shared.db import upgrade_to_head


async def _verify(url: str) -> int:
    from services.dossier.service import DossierService
    from shared.db import make_engine

    engine = make_engine(url, pool_size=1)
    try:
        service = DossierService(engine, today=dt.date.today)
        streams, events, breaks = await service.verify()
        entries, log_break = await service.verify_access_log()
    finally:
        await engine.dispose()
    for b in [*breaks, *([log_break] if log_break else [])]:
        print(f"BROKEN stream {b.stream_id} at version {b.stream_version} (event {b.event_id or '-'}): {b.problem}")
    verdict = f"{len(breaks)} broken stream(s)" if breaks else "every hash chain is intact"
    print(f"checked {streams} streams, {events} events: {verdict}")
    print(f"checked the access log, {entries} entries: {'BROKEN' if log_break else 'intact'}")
    return 1 if breaks or log_break else 0


def cmd_verify(args: argparse.Namespace) -> int:
    from services.dossier.settings import DossierSettings
    from shared.db import sqlite_url

    url = sqlite_url(args.data_dir / "dossier.db") if args.data_dir else DossierSettings().database_url
    if args.cadre or args.hash:
        from services.verify_printed import verify_printed

        if not (args.cadre and args.hash):
            print("a printed form is checked by its cadre id and its hash: give --cadre and --hash", file=sys.stderr)
            return 2
        return asyncio.run(verify_printed(url, args.cadre, args.hash, args.version))
    return asyncio.run(_verify(url))


def cmd_rebuild(args: argparse.Namespace) -> int:
    """Rebuild scoring's facts from the topic's offset 0: in place (every scoring instance stopped), or
    ``--into`` a fresh database while the live one goes on serving (then switch over to it)."""
    from services.scoring.rebuild import reset_in_place
    from services.scoring.settings import ScoringSettings
    from shared.kafka_bus import group_members, holds_everything

    settings = ScoringSettings()
    k = settings.kafka
    if args.from_store and not args.into:
        print("--from-store builds into a fresh database: give --into too", file=sys.stderr)
        return 2
    if not args.from_store and not holds_everything(k.connection(), k.topic):
        print(f"{k.topic} does not hold every event from offset 0 (missing, or trimmed by retention): rebuild from "
              "the event store instead, on a new topic and a new scoring database (RELIABILITY.md)", file=sys.stderr)
        return 2
    if args.into:
        from services.scoring.from_store import UnknownEvents
        from services.scoring.rebuild import RebuildRefused, rebuild_into

        try:
            print(asyncio.run(rebuild_into(settings, args.into, args.from_store, checksums=not args.no_checksum)))
        except (RebuildRefused, UnknownEvents) as exc:
            print(exc, file=sys.stderr)
            return 2
        return 0
    if members := group_members(k.connection(), settings.consumer_group):
        print(f"{members} consumer(s) still in group {settings.consumer_group}: stop every scoring instance first, "
              "or rebuild --into a fresh database while they serve", file=sys.stderr)
        return 2
    asyncio.run(reset_in_place(settings.database_url))
    print(f"scoring: projections, dead letters and positions emptied; start scoring to rebuild them from {k.topic}")
    return 0


def cmd_checksum(args: argparse.Namespace) -> int:
    from services.scoring.rebuild import checksum_of
    from services.scoring.settings import ScoringSettings

    print(asyncio.run(checksum_of(args.database_url or ScoringSettings().database_url)))
    return 0


def cmd_demo_generate(args: argparse.Namespace) -> int:
    from services.demo_city import CityShape, write_ndjson

    shape = CityShape(cadres=args.cadres, events=args.events, seed=args.seed, end=args.end)
    if args.output == "-":
        rows = write_ndjson(shape, sys.stdout)
    else:
        with open(args.output, "w", encoding="utf-8", newline="\n") as out:
            rows = write_ndjson(shape, out)
    print(f"{rows} rows: {shape.cadres} cadres in {shape.units} units of {shape.counties} counties, "
          f"about {shape.events} events, seed {shape.seed}, six years to {shape.end}", file=sys.stderr)
    return 0


async def _import(args: argparse.Namespace, source) -> int:
    import json

    from services.dossier.importer import Importer, format_of, rows_of
    from services.dossier.sealing import Sealer, local_key
    from services.dossier.service import DossierService, dossier_engine
    from services.dossier.settings import DossierSettings
    from services.dossier.store import Actor
    from shared.db import sqlite_url
    from shared.settings import today

    if args.data_dir:  # an embedded instance: its SQLite file and its own declaration key
        settings = DossierSettings(database_url=sqlite_url(args.data_dir / "dossier.db"),
                                   declaration_key=local_key(args.data_dir))
        await upgrade_to_head("dossier", settings.database_url)
    else:
        settings = DossierSettings()
    key = settings.declaration_key
    sealer = Sealer.from_base64(key.get_secret_value(), settings.declaration_key_id) if key else None
    engine = dossier_engine(settings.database_url, pool_size=2)
    service = DossierService(engine, today=lambda: today(settings.timezone), sealer=sealer,
                             hash_algorithm=settings.hash_algorithm,
                             head_cache_size=settings.head_cache_size)

    def progress(report) -> None:
        rate = report.events / report.seconds if report.seconds else 0
        print(f"import: {report.rows} rows read, {report.recorded} recorded, {report.replayed} already there, "
              f"{report.refused} refused; {report.events} events in {report.seconds:.1f} s ({rate:,.0f}/s)",
              file=sys.stderr, flush=True)

    try:
        await service.seed_catalogue()
        importer = Importer(service, Actor(args.actor, args.role), batch_rows=args.batch_rows, on_progress=progress)
        fmt = args.format or format_of(args.file)
        # Read as the batches go: a city's file is never held whole (reading a local file blocks briefly;
        # this loop serves nobody else).
        report = await importer.run(rows_of(source, fmt, args.operation))
    finally:
        await engine.dispose()
    summary = report.as_dict()
    if args.report:
        args.report.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    for error in report.errors[:20]:
        print(f"row {error.row}: {error.field or '-'}: {error.rule}: {error.message}", file=sys.stderr)
    summary.pop("errors")
    print(json.dumps(summary, ensure_ascii=False))
    return 1 if report.refused else 0


def cmd_import(args: argparse.Namespace) -> int:
    if args.file == "-":
        return asyncio.run(_import(args, sys.stdin))
    with open(args.file, encoding="utf-8-sig", newline="") as source:
        return asyncio.run(_import(args, source))
