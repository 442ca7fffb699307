"""``shiji``: run the embedded system, serve one production service, migrate, issue tokens."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import sys
from pathlib import Path

import platformdirs
import uvicorn

from shared.db import make_engine, upgrade_to_head
from shared.settings import DOSSIER_TOPIC_CONFIG

log = logging.getLogger("shiji")


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("shiji"))


def _logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for noisy in ("kafka", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


async def _up(data_dir: Path, host: str, port: int, demo: bool) -> None:
    from services.embedded import embedded_system

    async with embedded_system(data_dir, demo=demo) as system:
        config = uvicorn.Config(system.gateway, host=host, port=port, lifespan="off", log_level="info")
        server = uvicorn.Server(config)
        print(f"Shiji is running (embedded) with data in {data_dir}", flush=True)
        print(f"  API docs:  http://{host}:{port}/docs", flush=True)
        print(f"  a clerk token for trying it (12 h): {system.token()}", flush=True)
        print("  more tokens: shiji token --role ROLE --subject ID --data-dir " + str(data_dir), flush=True)
        await server.serve()


def cmd_up(args: argparse.Namespace) -> int:
    asyncio.run(_up(args.data_dir, args.host, args.port, not args.no_demo))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    if args.service == "dossier":
        from services.dossier.api import create_app
        from services.dossier.settings import DossierSettings
        from shared.kafka_bus import KafkaPublisher, ensure_topic

        settings = DossierSettings()
        publisher = None
        if settings.relay:
            k = settings.kafka
            ensure_topic(k.bootstrap, k.topic, k.partitions, k.replication_factor, **DOSSIER_TOPIC_CONFIG)
            publisher = KafkaPublisher(k.bootstrap)
        app = create_app(settings, publisher=publisher, migrate=args.migrate)
    elif args.service == "scoring":
        from services.scoring.api import create_app
        from services.scoring.settings import ScoringSettings
        from shared.kafka_bus import KafkaSubscription, ensure_topic

        settings = ScoringSettings()
        subscribe = None
        if settings.consume:
            k = settings.kafka
            ensure_topic(k.bootstrap, k.topic, k.partitions, k.replication_factor, **DOSSIER_TOPIC_CONFIG)

            def subscribe(start):
                return KafkaSubscription(k.bootstrap, k.topic, settings.consumer_group, start)

        app = create_app(settings, subscribe=subscribe, migrate=args.migrate)
    else:
        from services.gateway.api import create_app
        from services.gateway.auth import TokenVerifier
        from services.gateway.settings import GatewaySettings

        settings = GatewaySettings()
        if settings.jwt_public_key_file is None:
            print("SHIJI_GATEWAY_JWT_PUBLIC_KEY_FILE is required: the PEM public key that verifies tokens",
                  file=sys.stderr)
            return 2
        verifier = TokenVerifier(settings.jwt_public_key_file.read_bytes(), issuer=settings.jwt_issuer,
                                 audience=settings.jwt_audience)
        app = create_app(settings, verifier=verifier)
    uvicorn.run(app, host=args.host or settings.host, port=args.port or settings.port, log_level=args.log_level,
                timeout_graceful_shutdown=10)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from services.dossier.settings import DossierSettings
    from services.scoring.settings import ScoringSettings

    urls = {"dossier": DossierSettings().database_url, "scoring": ScoringSettings().database_url}
    for service in ("dossier", "scoring") if args.service == "all" else (args.service,):
        asyncio.run(upgrade_to_head(service, urls[service]))
        print(f"{service}: migrated to head")
    return 0


async def _in_transaction(url: str, work):
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            return await work(conn)
    finally:
        await engine.dispose()


def cmd_rebuild(args: argparse.Namespace) -> int:
    """Empty scoring's projections and positions: started again, the consumers rebuild them from offset 0.
    Refused while a scoring instance consumes (it would go on from its old position) and when the
    topic no longer starts at offset 0 (then rebuild from the event store: see RELIABILITY.md)."""
    from services.scoring import projection
    from services.scoring.settings import ScoringSettings
    from shared.kafka_bus import group_members, holds_everything

    settings = ScoringSettings()
    k = settings.kafka
    if members := group_members(k.bootstrap, settings.consumer_group):
        print(f"{members} consumer(s) still in group {settings.consumer_group}: stop every scoring instance first",
              file=sys.stderr)
        return 2
    if not holds_everything(k.bootstrap, k.topic):
        print(f"{k.topic} does not hold every event from offset 0 (missing, or trimmed by retention): rebuild from "
              "the event store instead, on a new topic and a new scoring database (RELIABILITY.md)", file=sys.stderr)
        return 2
    asyncio.run(_in_transaction(settings.database_url, projection.reset))
    print(f"scoring: projections, dead letters and positions emptied; start scoring to rebuild them from {k.topic}")
    return 0


def cmd_checksum(args: argparse.Namespace) -> int:
    from services.scoring import projection
    from services.scoring.settings import ScoringSettings

    print(asyncio.run(_in_transaction(ScoringSettings().database_url, projection.checksum)))
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from services.gateway.auth import issue_token, local_signing_key

    key = local_signing_key(args.data_dir)
    try:
        token = issue_token(key, subject=args.subject, role=args.role, unit=args.unit,
                            ttl=dt.timedelta(hours=args.ttl_hours))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(token)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="shiji", description="Shiji (实绩): cadre performance dossiers")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    sub = p.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="run the embedded system (SQLite, no servers) with demo data")
    up.add_argument("--data-dir", type=Path, default=default_data_dir())
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--port", type=int, default=8000)
    up.add_argument("--no-demo", action="store_true", help="do not load the demo cadres")
    up.set_defaults(func=cmd_up)

    serve = sub.add_parser("serve", help="run one service of the production wiring (configured by SHIJI_* env)")
    serve.add_argument("service", choices=["dossier", "scoring", "gateway"])
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--migrate", action="store_true", help="apply the service's migrations before starting")
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="apply Alembic migrations to each service's own database")
    migrate.add_argument("service", nargs="?", default="all", choices=["all", "dossier", "scoring"])
    migrate.set_defaults(func=cmd_migrate)

    rebuild = sub.add_parser("rebuild", help="empty scoring's projections so that it rebuilds them from the topic "
                                             "(stop every scoring instance first)")
    rebuild.add_argument("service", choices=["scoring"])
    rebuild.set_defaults(func=cmd_rebuild)

    checksum = sub.add_parser("checksum", help="print a digest of scoring's projections (equal digests, equal projections)")
    checksum.add_argument("service", choices=["scoring"])
    checksum.set_defaults(func=cmd_checksum)

    token = sub.add_parser("token", help="print a bearer token the embedded instance accepts")
    token.add_argument("--role", required=True)
    token.add_argument("--subject", required=True)
    token.add_argument("--unit", default=None)
    token.add_argument("--data-dir", type=Path, default=default_data_dir())
    token.add_argument("--ttl-hours", type=float, default=12.0)
    token.set_defaults(func=cmd_token)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    _logging(args.log_level)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
