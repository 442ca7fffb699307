"""Run the production wiring as real processes: ``shiji serve dossier|scoring|gateway``.

Used by the end-to-end tests and by the benchmarks: fresh PostgreSQL databases, a fresh Kafka
topic, a fresh signing key, a fresh private CA and the services' certificates; three child processes
configured only through environment variables, exactly as an operator runs them. Dossier and scoring
serve HTTPS: a client of theirs checks them with ``ProductionSystem.tls`` (the gateway serves plain
HTTP, as behind an ingress that ends TLS).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from services.gateway.auth import issue_token
from shared.kafka_bus import ensure_topic, events_topic_config
from shared.service_identity import TOKEN_LIFETIME, CallSigner, private_pem, public_pem
from shared.service_tls import CA_CERT_FILE, client_context, ensure_service_certificates
from tests.conftest import SERVICE_TLS_SETTINGS, PgDatabases
from tests.support import connections as c
from tests.support.connections import KafkaServer, PgServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVICES = ("dossier", "scoring", "gateway")
# What `deploy/local/services.sh` exports for the production wiring on a developer's machine (service-keys.sh):
# a process a test starts takes its HTTPS settings from the test, not from the shell it runs in.
def inherited_env() -> dict[str, str]:
    """This process's environment without the services' HTTPS settings (``SERVICE_TLS_SETTINGS``: a bench run
    outside pytest may have them from deploy/local/services.sh)."""
    return {name: value for name, value in os.environ.items() if name not in SERVICE_TLS_SETTINGS}
# Each process logs in to Kafka as its own principal (the ACLs of deploy/local/kafka_acls.py).
KAFKA_USER = {"dossier": c.KAFKA_DOSSIER, "scoring": c.KAFKA_SCORING}


@dataclass
class ProductionSystem:
    """The running processes, by name: ``dossier``, ``scoring``, ``gateway`` and any extra ones
    (``scoring-2``...). The fault tests kill, restart and add processes through it."""

    gateway_url: str
    dossier_url: str
    scoring_url: str  # the first scoring instance, the one the gateway asks
    key: ec.EllipticCurvePrivateKey
    service_key: ed25519.Ed25519PrivateKey  # the gateway's proof of its calls to dossier and scoring
    env: dict[str, str]
    log_dir: Path
    kafka: KafkaServer
    admin_urls: dict[str, str]  # each service's database as the superuser: to tamper, dump, fill
    store_url: str  # the dossier's database as the store reader: for `shiji rebuild scoring --from-store`
    tls: ssl.SSLContext  # trusts the services' private CA: ``httpx.AsyncClient(verify=system.tls)``
    service_scheme: str = "https"  # how dossier and scoring are reached: "http" when started without TLS
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    _logs: list = field(default_factory=list)

    @property
    def scoring_urls(self) -> list[str]:
        """Every scoring instance, the first one (the one the gateway asks) first."""
        return [url for name, url in self.urls.items() if name.split("-")[0] == "scoring"]

    def token(self, role: str = "clerk", subject: str = "clerk-1", unit: str | None = None) -> str:
        return issue_token(self.key, subject=subject, role=role, unit=unit, ttl=dt.timedelta(hours=2))

    def proof(self, service: str, subject: str | None = "clerk-1", role: str | None = "clerk",
              lifetime: dt.timedelta = TOKEN_LIFETIME) -> dict[str, str]:
        """The gateway's ``Authorization`` header for a call to ``service`` (for tests and benchmarks that call a
        service directly)."""
        return CallSigner(self.service_key, lifetime=lifetime).header(service, subject, role)

    def launch(self, name: str, *, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        """Start process ``name`` (its service is the part before any ``-``), logging to ``<name>.log``."""
        service = name.split("-")[0]
        if name not in self.urls:  # an extra instance: its own port
            self.urls[name] = f"{self.service_scheme if service != 'gateway' else 'http'}://127.0.0.1:{free_port()}"
        port = self.urls[name].rsplit(":", 1)[1]
        kafka = self.kafka.service_env(KAFKA_USER[service]) if service in KAFKA_USER else {}
        env = {**self.env, **kafka, **(extra_env or {}), f"SHIJI_{service.upper()}_PORT": port}
        log = open(self.log_dir / f"{name}.log", "ab")
        self._logs.append(log)
        proc = subprocess.Popen([sys.executable, "-m", "services.cli", "--log-level", "warning", "serve", service],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = proc
        return proc

    async def start(self, name: str, *, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        proc = self.launch(name, extra_env=extra_env)
        await wait_ready(f"{self.urls[name]}/readyz", [proc], tls=self.tls)
        return proc

    def kill(self, name: str) -> int:
        """kill -9, and the exit status (negative: the signal)."""
        proc = self.processes[name]
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        return proc.wait(timeout=20)

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.processes.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self._logs:
            log.close()


async def wait_ready(url: str, procs: list[subprocess.Popen], timeout_s: float = 90,
                     tls: ssl.SSLContext | None = None) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    async with httpx.AsyncClient(verify=tls or True) as client:
        while True:
            for p in procs:
                if p.poll() is not None:
                    raise RuntimeError(f"{' '.join(map(str, p.args))} exited with {p.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url, timeout=2)).status_code == 200:
                    return
            if loop.time() > deadline:
                raise TimeoutError(f"{url} not ready in {timeout_s}s")
            await asyncio.sleep(0.2)


ROLES = {"dossier": (c.DOSSIER_ROLE, c.DOSSIER_OWNER), "scoring": (c.SCORING_ROLE, c.SCORING_OWNER)}


def databases_env(pg: PgServer, databases: dict[str, str]) -> dict[str, str]:
    """The services' database settings for ``databases`` (service -> database name): on secured servers each
    service as its own role, migrated by its owner role, the store read by the store reader."""
    env = {}
    for service, (role, owner) in ROLES.items():
        prefix = f"SHIJI_{service.upper()}_"
        if pg.secured:
            env[f"{prefix}DATABASE_URL"] = pg.url(databases[service], role)
            env[f"{prefix}MIGRATION_DATABASE_URL"] = pg.url(databases[service], owner)
        else:
            env[f"{prefix}DATABASE_URL"] = pg.url(databases[service])
    if pg.secured:
        env["SHIJI_DOSSIER_STORE_READER_ROLE"] = c.STORE_READER
    return env


@contextlib.asynccontextmanager
async def production_system(pg: PgServer, kafka: KafkaServer, *, partitions: int = 3,
                            log_dir: Path | None = None, extra_env: dict[str, str] | None = None,
                            scoring_instances: int = 1, service_tls: bool = True,
                            databases: dict[str, str] | None = None,
                            prepare: Callable[[dict[str, str]], Awaitable[None]] | None = None,
                            ) -> AsyncIterator[ProductionSystem]:
    """The three services as processes; ``scoring_instances`` > 1 starts more ``shiji serve scoring`` in the
    same consumer group (each on its own port, logging to ``scoring-N.log``). Dossier and scoring serve HTTPS
    unless ``service_tls`` is false (bench/security_cost.py's "off"). ``databases`` (service -> the
    name of a database made earlier, e.g. by ``bench/city_state.py``) runs them on those, kept at the end,
    instead of fresh ones; ``prepare`` is awaited with the system's environment once both are migrated and
    before any process starts (to set what depends on the run's topic).

    On secured servers they run as in production: each service as its own PostgreSQL role, migrated by
    the owner role (``shiji migrate``, which grants the rest), each on Kafka as its own principal."""
    dbs = PgDatabases(pg)
    given, databases = databases or {}, {}
    for service, (_, owner) in ROLES.items():
        databases[service] = given.get(service) or dbs.name_of(await dbs.create(owner=owner if pg.secured else None))
    database_env = databases_env(pg, databases)
    workdir = Path(tempfile.mkdtemp(prefix="shiji-prod-"))
    log_dir = log_dir or workdir
    key = ec.generate_private_key(ec.SECP256R1())
    public_key = workdir / "jwt-public.pem"
    public_key.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo))
    service_key = ed25519.Ed25519PrivateKey.generate()
    (workdir / "gateway-service.pem").write_bytes(private_pem(service_key))
    (workdir / "gateway-service.pub.pem").write_bytes(public_pem(service_key))
    certificates = ensure_service_certificates(workdir / "tls")
    scheme = "https" if service_tls else "http"
    tls_env = {"SHIJI_GATEWAY_SERVICE_CA_FILE": str(workdir / "tls" / CA_CERT_FILE),
               **{f"SHIJI_{service.upper()}_TLS_{part}_FILE": str(path) for service, pair in certificates.items()
                  for part, path in zip(("CERT", "KEY"), pair, strict=True)}} if service_tls else {}
    run = uuid.uuid4().hex[:8]
    topic = f"shiji.dossier.events.test-{run}"
    ensure_topic(kafka.connection(), topic, partitions, **events_topic_config(1))
    ports = {name: free_port() for name in SERVICES}
    env = {
        **inherited_env(),
        **database_env,
        **kafka.service_env(c.KAFKA_ADMIN),  # for `shiji migrate` and the CLI; each service has its own (launch)
        "SHIJI_KAFKA_TOPIC": topic,
        "SHIJI_KAFKA_TOTALS_TOPIC": f"shiji.scoring.totals.test-{run}",
        "SHIJI_KAFKA_WARNINGS_TOPIC": f"shiji.scoring.warnings.test-{run}",
        "SHIJI_KAFKA_CONSEQUENCES_TOPIC": f"shiji.scoring.consequences.test-{run}",
        "SHIJI_KAFKA_DEAD_LETTERS_TOPIC": f"shiji.scoring.dead-letters.test-{run}",
        "SHIJI_KAFKA_PARTITIONS": str(partitions),
        "SHIJI_SCORING_CONSUMER_GROUP": f"scoring-{uuid.uuid4().hex[:8]}",
        "SHIJI_DOSSIER_PORT": str(ports["dossier"]),
        "SHIJI_SCORING_PORT": str(ports["scoring"]),
        "SHIJI_GATEWAY_PORT": str(ports["gateway"]),
        "SHIJI_GATEWAY_DOSSIER_URL": f"{scheme}://127.0.0.1:{ports['dossier']}",
        "SHIJI_GATEWAY_SCORING_URL": f"{scheme}://127.0.0.1:{ports['scoring']}",
        **tls_env,
        "SHIJI_GATEWAY_JWT_PUBLIC_KEY_FILE": str(public_key),
        "SHIJI_GATEWAY_SERVICE_KEY_FILE": str(workdir / "gateway-service.pem"),
        "SHIJI_DOSSIER_GATEWAY_KEYS_FILE": str(workdir / "gateway-service.pub.pem"),
        "SHIJI_SCORING_GATEWAY_KEYS_FILE": str(workdir / "gateway-service.pub.pem"),
        "SHIJI_DOSSIER_DECLARATION_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        **(extra_env or {}),
    }
    migrate = subprocess.run([sys.executable, "-m", "services.cli", "migrate"], env=env, capture_output=True, text=True)
    if migrate.returncode != 0:
        raise RuntimeError(f"shiji migrate failed: {migrate.stderr}")
    if prepare is not None:
        await prepare(env)
    urls = {name: f"{scheme if name != 'gateway' else 'http'}://127.0.0.1:{port}" for name, port in ports.items()}
    admin_urls = {service: pg.url(name) for service, name in databases.items()}
    store_url = pg.url(databases["dossier"], c.STORE_READER if pg.secured else "postgres")
    system = ProductionSystem(urls["gateway"], urls["dossier"], urls["scoring"], key, service_key, env, log_dir,
                              kafka, admin_urls, store_url, client_context(workdir / "tls" / CA_CERT_FILE), scheme,
                              urls=urls)
    try:
        names = ["dossier", "scoring", *(f"scoring-{n}" for n in range(2, scoring_instances + 1)), "gateway"]
        for name in names:
            system.launch(name)
        procs = list(system.processes.values())
        for name in names:
            await wait_ready(f"{system.urls[name]}/readyz", procs, tls=system.tls)
        yield system
    finally:
        system.stop()
        await dbs.drop_all()
