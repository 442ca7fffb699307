"""``shiji``: run the embedded system, serve one production service, migrate, issue tokens."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import logging
import shlex
import sys
from pathlib import Path
from typing import Any

import platformdirs
import uvicorn
from pydantic_settings import BaseSettings

from services.records_cli import cmd_checksum, cmd_demo_generate, cmd_import, cmd_rebuild, cmd_verify
from shared.db import upgrade_to_head
from shared.db_grants import grant_runtime_access, role_of
from shared.settings import KafkaSettings, RuntimeSettings, ServingSettings, env_name, production_problems

log = logging.getLogger("shiji")

# The cyclic collector's thresholds while serving (young, middle, old; the default is 700, 10, 10): see cmd_serve.
GC_THRESHOLDS = (100_000, 50, 100)


def unsafe_for_production(*settings: BaseSettings, serving: bool = True) -> bool:
    """In production mode (SHIJI_PRODUCTION=true), say what is left at a development default; True if anything is."""
    if not RuntimeSettings().production:
        return False
    problems = [p for s in settings for p in production_problems(s, serving=serving)]
    for problem in problems:
        print(f"production mode: {problem}", file=sys.stderr)
    return bool(problems)


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("shiji"))


def _logging(level: str, json_format: bool = False, service: str = "shiji") -> None:
    from shared.logs import configure

    configure(level, json_format=json_format, service=service)
    for noisy in ("kafka", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def token_command(data_dir: Path, role: str, subject: str, unit: str | None) -> str:
    """A ``shiji token`` command line that works as printed, pasted into any shell in any folder."""
    shiji = Path(sys.argv[0])
    program = [str(shiji.absolute())] if shiji.name == "shiji" else [sys.executable, "-m", "services.cli"]
    return shlex.join([*program, "token", "--role", role, "--subject", subject,
                       *(["--unit", unit] if unit else []), "--data-dir", str(data_dir.absolute())])


async def _up(data_dir: Path, host: str, port: int, demo: bool) -> None:
    from services.embedded import DEMO_ROOT, embedded_system

    async with embedded_system(data_dir, demo=demo) as system:
        config = uvicorn.Config(system.gateway, host=host, port=port, lifespan="off", log_level="info")
        server = uvicorn.Server(config)
        print(f"Shiji is running (embedded) with data in {data_dir}", flush=True)
        if loaded := system.demo:
            print(f"  demo county {DEMO_ROOT}: {loaded.cadres} cadres in {loaded.rows} rows "
                  f"({loaded.events} events recorded now, {loaded.seconds:.1f} s)", flush=True)
        print(f"  API docs:  http://{host}:{port}/docs", flush=True)
        print(f"  a clerk token for trying it (12 h): {system.token(unit=DEMO_ROOT)}", flush=True)
        print(f"  another token (the roles: README.md, \"Who may call what\"): "
              f"{token_command(data_dir, 'auditor', 'demo-auditor', DEMO_ROOT)}", flush=True)
        await server.serve()


def cmd_up(args: argparse.Namespace) -> int:
    asyncio.run(_up(args.data_dir, args.host, args.port, not args.no_demo))
    return 0


def _ensure_events_topic(k: KafkaSettings) -> None:
    from services.dossier.bootstrap import ensure_events_topic

    ensure_events_topic(k)


def serving_tls(settings: ServingSettings) -> dict[str, str]:
    """uvicorn's TLS arguments for dossier or scoring: HTTPS with a certificate and key (shared/service_tls.py)."""
    from shared.service_tls import serving_options

    cls = type(settings)
    return serving_options(settings.tls_cert_file, settings.tls_key_file, env_name(cls, "tls_cert_file"),
                           env_name(cls, "tls_key_file"))


def _service_app(service: str, migrate: bool) -> tuple[Any, Any, dict[str, str]] | int:
    """The settings, app and uvicorn TLS arguments of one service; 2 when it must not start."""
    if service == "gateway":
        from services.gateway.bootstrap import build_app as build_gateway
        from services.gateway.settings import GatewaySettings

        settings: Any = GatewaySettings()
        if unsafe_for_production(settings):
            return 2
        try:  # the gateway's own port: TLS is the ingress's (docs/operations.md)
            return settings, build_gateway(settings), {}
        except ValueError as exc:  # no token key source (or several), no service key, a CA for an http:// service
            print(str(exc), file=sys.stderr)
            return 2
    if service == "dossier":
        from services.dossier.bootstrap import build_app
        from services.dossier.settings import DossierSettings as Settings
    else:
        from services.scoring.bootstrap import build_app
        from services.scoring.settings import ScoringSettings as Settings
    settings = Settings()
    if unsafe_for_production(settings):
        return 2
    try:
        tls = serving_tls(settings)
        return settings, build_app(settings, migrate=migrate), tls
    except ValueError as exc:  # half a TLS pair; no key of the gateway's, or not one
        print(str(exc), file=sys.stderr)
        return 2


def cmd_serve(args: argparse.Namespace) -> int:
    served = _service_app(args.service, args.migrate)
    if isinstance(served, int):
        return served
    settings, app, tls = served
    # What is loaded by now (the libraries, the app) lives as long as the process: leave it out of the
    # cyclic collector's full passes, which otherwise walk those ~160,000 objects again and again while
    # a large answer (a screening of thousands of cadres) allocates (measured: -15 to -20 % on one).
    gc.collect()
    gc.freeze()
    # And collect less often: a large answer allocates hundreds of thousands of objects that live until it is
    # sent, and at the default thresholds (700, 10, 10) they drove hundreds of young and several full passes
    # per answer (a city's screening at scoring: 1.1-1.3 s -> 0.74-0.84 s, bench/RESULTS.md). Nearly all our
    # garbage is freed by reference counting; cycles wait a little longer.
    gc.set_threshold(*GC_THRESHOLDS)
    # log_config=None: uvicorn's own lines go through the handler set up in main (JSON by default).
    uvicorn.run(app, host=args.host or settings.host, port=args.port or settings.port, log_level=args.log_level,
                log_config=None, timeout_graceful_shutdown=10, **tls)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from services.dossier.settings import DossierSettings
    from services.scoring.settings import ScoringSettings

    settings = {"dossier": DossierSettings(), "scoring": ScoringSettings()}
    services = ("dossier", "scoring") if args.service == "all" else (args.service,)
    # Migrating needs the databases only: the Kafka settings are the services' business.
    if unsafe_for_production(*(settings[name] for name in services), serving=False):
        return 2
    for service in services:
        s = settings[service]
        owner_url = s.migration_database_url or s.database_url
        asyncio.run(upgrade_to_head(service, owner_url))
        print(f"{service}: migrated to head")
        runtime_role = role_of(s.database_url)
        if s.migration_database_url and runtime_role and runtime_role != role_of(owner_url):
            reader = getattr(s, "store_reader_role", None)
            asyncio.run(grant_runtime_access(service, owner_url, runtime_role, reader))
            print(f"{service}: privileges of {runtime_role}{f' and {reader}' if reader else ''} granted")
    return 0


def _signing_key_from(path: Path):
    """An ES256 signing key (EC P-256, PEM, unencrypted) from ``path``; ValueError saying why not."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ValueError(f"{path}: not an unencrypted PEM private key ({exc})") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError(f"{path}: tokens are signed with ES256: give an EC P-256 (prime256v1) private key")
    return key


def cmd_service_keys(args: argparse.Namespace) -> int:
    from shared.service_identity import ensure_key_pair
    from shared.service_tls import CA_CERT_FILE, ensure_service_certificates

    private, public = ensure_key_pair(args.dir)
    print(f"SHIJI_GATEWAY_SERVICE_KEY_FILE={private}")
    print(f"SHIJI_DOSSIER_GATEWAY_KEYS_FILE={public}")
    print(f"SHIJI_SCORING_GATEWAY_KEYS_FILE={public}")
    print(f"SHIJI_GATEWAY_SERVICE_CA_FILE={args.dir / CA_CERT_FILE}")
    for service, (cert, key) in ensure_service_certificates(args.dir).items():
        print(f"SHIJI_{service.upper()}_TLS_CERT_FILE={cert}")
        print(f"SHIJI_{service.upper()}_TLS_KEY_FILE={key}")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from services.gateway.auth import issue_token, local_signing_key

    try:
        key = _signing_key_from(args.key_file) if args.key_file else local_signing_key(args.data_dir)
        token = issue_token(key, subject=args.subject, role=args.role, unit=args.unit,
                            ttl=dt.timedelta(hours=args.ttl_hours), issuer=args.issuer)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(token)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="shiji", description="Shiji (实绩): cadre performance dossiers")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--log-format", default=None, choices=["text", "json"],
                   help="JSON lines with the request id (the default of `serve`), or text (the others')")
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

    rebuild = sub.add_parser("rebuild", help="rebuild scoring's projections from the topic's offset 0: in place "
                                             "(stop every scoring instance first) or --into a fresh database")
    rebuild.add_argument("service", choices=["scoring"])
    rebuild.add_argument("--into", default=None, metavar="DATABASE_URL",
                         help="build into this (empty) database while the live one serves; switch over after")
    rebuild.add_argument("--from-store", default=None, metavar="DOSSIER_DATABASE_URL",
                         help="with --into: build from the dossier's event store in one set-based pass (PostgreSQL) "
                              "instead of replaying the topic; the consumer goes on from the topic's end")
    rebuild.add_argument("--no-checksum", action="store_true",
                         help="with --into: skip comparing the checksums of both databases (they read every row)")
    rebuild.set_defaults(func=cmd_rebuild)

    checksum = sub.add_parser("checksum", help="print a digest of scoring's projections (equal digests, equal projections)")
    checksum.add_argument("service", choices=["scoring"])
    checksum.add_argument("--database-url", default=None, help="another scoring database (default: the configured one)")
    checksum.set_defaults(func=cmd_checksum)

    verify = sub.add_parser("verify", help="check every stream's hash chain; name the first broken event of each. "
                                           "With --cadre and --hash: whether a hash printed on a form is the "
                                           "cadre's record as of that version")
    verify.add_argument("--data-dir", type=Path, default=None,
                        help="an embedded instance's data dir (default: SHIJI_DOSSIER_DATABASE_URL)")
    verify.add_argument("--cadre", default=None, help="the cadre id printed on the form (干部编号)")
    verify.add_argument("--hash", default=None, help="the chain hash printed in the form's footer (链哈希 sm3:…)")
    verify.add_argument("--version", type=int, default=None, help="the version printed beside it (档案版本 vN)")
    verify.set_defaults(func=cmd_verify)

    demo = sub.add_parser("demo", help="demo data")
    demo_sub = demo.add_subparsers(dest="demo_command", required=True)
    generate = demo_sub.add_parser("generate", help="write a deterministic demo city as NDJSON rows for `shiji import`")
    generate.add_argument("--cadres", type=int, default=68_553, help="cadres (default: Dongying's 68,553)")
    generate.add_argument("--events", type=int, default=13_300_000, help="about this many events in all")
    generate.add_argument("--seed", type=int, default=1)
    generate.add_argument("--end", type=dt.date.fromisoformat, default=None,
                          help="the last day of the six years (default 2026-09-30); no row is dated later")
    generate.add_argument("--output", "-o", default="-", help="file to write (default: standard output)")
    generate.set_defaults(func=cmd_demo_generate)

    imp = sub.add_parser("import", help="append the rows of an NDJSON or CSV file of commands, in batches; "
                                        "re-importing a file records nothing new")
    imp.add_argument("file", help="the file ('-': standard input)")
    imp.add_argument("--format", choices=["ndjson", "csv"], default=None, help="default: from the file name")
    imp.add_argument("--operation", default=None, help="for a CSV without an `operation` column, e.g. record_entry")
    imp.add_argument("--actor", default="import", help="recorded as the actor of every imported event")
    imp.add_argument("--role", default="clerk", help="the actor's role, recorded with the events")
    imp.add_argument("--batch-rows", type=int, default=2000, help="rows per transaction")
    imp.add_argument("--report", type=Path, default=None, help="write the full report (every refused row) here as JSON")
    imp.add_argument("--data-dir", type=Path, default=None,
                     help="an embedded instance's data dir (default: SHIJI_DOSSIER_DATABASE_URL)")
    imp.set_defaults(func=cmd_import)

    keys = sub.add_parser("service-keys", help="make the gateway's Ed25519 key pair that proves its calls to dossier "
                                               "and scoring, the private CA and the certificates they serve HTTPS "
                                               "with (each kept if there) and print the settings naming them")
    keys.add_argument("--dir", type=Path, required=True)
    keys.set_defaults(func=cmd_service_keys)

    token = sub.add_parser("token", help="print a bearer token the embedded instance accepts, or, with --key-file, "
                                         "one signed by that key (a gateway with its public key accepts it)")
    token.add_argument("--role", required=True)
    token.add_argument("--subject", required=True)
    token.add_argument("--unit", default=None)
    token.add_argument("--data-dir", type=Path, default=default_data_dir(),
                       help="the embedded instance whose key signs the token")
    token.add_argument("--key-file", type=Path, default=None,
                       help="sign with this EC P-256 private key (PEM) instead of the embedded instance's")
    token.add_argument("--issuer", default="shiji-local",
                       help="the token's `iss`: what the gateway's SHIJI_GATEWAY_JWT_ISSUER expects")
    token.add_argument("--ttl-hours", type=float, default=12.0)
    token.set_defaults(func=cmd_token)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    serving = args.func is cmd_serve
    _logging(args.log_level, json_format=(args.log_format or ("json" if serving else "text")) == "json",
             service=args.service if serving else "shiji")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
