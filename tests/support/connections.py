"""How the tests reach the servers the deploy scripts started: the one place they build connections from.

``deploy/local/services.sh`` (secure by default, issue 19) exports where they are and where the
client material is: ``SHIJI_TEST_PG`` (``postgresql://postgres@host:port``) with
``SHIJI_TEST_PG_CLIENT_DIR`` (the CA and each role's password), ``SHIJI_TEST_KAFKA`` (host:port) with
``SHIJI_TEST_KAFKA_CLIENT_DIR`` (the CA and each user's password). Without a client dir the server is
taken to be an unsecured one (``SHIJI_PG_SECURE=0`` / ``SHIJI_KAFKA_SECURE=0``): plain connections,
no passwords; the tests of the security itself then fail, saying so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from shared.kafka_connection import PLAINTEXT, SASL_SSL, KafkaConnection

# The roles deploy/local/postgres.sh makes, and the Kafka users of deploy/local/kafka.sh.
DOSSIER_ROLE, DOSSIER_OWNER, STORE_READER = "shiji_dossier", "shiji_dossier_owner", "shiji_store_reader"
SCORING_ROLE, SCORING_OWNER = "shiji_scoring", "shiji_scoring_owner"
KAFKA_ADMIN, KAFKA_DOSSIER, KAFKA_SCORING, KAFKA_OTHER = "admin", "shiji-dossier", "shiji-scoring", "shiji-other"


def _client_dir(variable: str) -> Path | None:
    value = os.environ.get(variable, "").strip()
    return Path(value) if value else None


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    client_dir: Path | None = None  # None: an unsecured cluster (trust auth, no TLS)

    @classmethod
    def from_env(cls) -> PgServer:
        base = os.environ.get("SHIJI_TEST_PG", "postgresql://postgres@127.0.0.1:55432")
        host, port = base.rsplit("@", 1)[1].split("/")[0].rsplit(":", 1)
        return cls(host, int(port), _client_dir("SHIJI_TEST_PG_CLIENT_DIR"))

    @property
    def secured(self) -> bool:
        return self.client_dir is not None

    @property
    def hostport(self) -> str:
        return f"{self.host}:{self.port}"

    def password(self, role: str) -> str | None:
        if self.client_dir is None:
            return None
        return (self.client_dir / "passwords" / role).read_text().strip()

    def dsn(self, database: str = "postgres", role: str = "postgres", *, password: str | None = None,
            tls: bool = True) -> str:
        """A libpq/asyncpg URL; ``tls=False`` asks for a plaintext connection (which a secured server refuses)."""
        secret = password if password is not None else self.password(role)
        login = f"{role}:{quote(secret, safe='')}" if secret else role
        url = f"postgresql://{login}@{self.host}:{self.port}/{database}"
        if self.client_dir is None:
            return url
        if not tls:
            return f"{url}?sslmode=disable"
        # The path quoted: asyncpg takes the database name from after the DSN's last "/".
        return f"{url}?sslmode=verify-full&sslrootcert={quote(str(self.client_dir / 'ca.crt'), safe='')}"

    def url(self, database: str, role: str = "postgres") -> str:
        """The SQLAlchemy URL the services take (``postgresql+asyncpg://``)."""
        return self.dsn(database, role).replace("postgresql://", "postgresql+asyncpg://", 1)


@dataclass(frozen=True)
class KafkaServer:
    bootstrap: str
    client_dir: Path | None = None  # None: an unsecured broker (PLAINTEXT, no ACLs)

    @classmethod
    def from_env(cls) -> KafkaServer:
        return cls(os.environ.get("SHIJI_TEST_KAFKA", "127.0.0.1:59092"), _client_dir("SHIJI_TEST_KAFKA_CLIENT_DIR"))

    @property
    def secured(self) -> bool:
        return self.client_dir is not None

    def password(self, user: str) -> str | None:
        if self.client_dir is None:
            return None
        return (self.client_dir / "passwords" / user).read_text().strip()

    def connection(self, user: str = KAFKA_ADMIN, *, password: str | None = None) -> KafkaConnection:
        if self.client_dir is None:
            return KafkaConnection(self.bootstrap)
        return KafkaConnection(self.bootstrap, SASL_SSL, username=user,
                               password=password if password is not None else self.password(user),
                               ca_file=str(self.client_dir / "ca.crt"))

    def kcat_options(self, user: str = KAFKA_ADMIN) -> list[str]:
        """kcat's arguments to connect as ``user``: by client certificate, on the broker's certificate listener
        (port + 2). Debian's kcat (librdkafka 2.0) cannot log in with SCRAM to Kafka 4 (fixed in librdkafka
        2.6.1); the certificate names the same principal, under the same ACLs."""
        if self.client_dir is None:
            return ["-b", self.bootstrap]
        host, port = self.bootstrap.rsplit(":", 1)
        certs = self.client_dir / "certs"
        return ["-b", f"{host}:{int(port) + 2}", "-X", "security.protocol=ssl",
                "-X", f"ssl.ca.location={self.client_dir / 'ca.crt'}",
                "-X", f"ssl.certificate.location={certs / f'{user}.crt'}", "-X", f"ssl.key.location={certs / f'{user}.key'}"]

    def service_env(self, user: str) -> dict[str, str]:
        """The SHIJI_KAFKA_* variables of a process logging in as ``user``."""
        env = {"SHIJI_KAFKA_BOOTSTRAP": self.bootstrap, "SHIJI_KAFKA_SECURITY_PROTOCOL": PLAINTEXT}
        if self.client_dir is not None:
            env.update(SHIJI_KAFKA_SECURITY_PROTOCOL=SASL_SSL, SHIJI_KAFKA_USERNAME=user,
                       SHIJI_KAFKA_PASSWORD=self.password(user) or "",
                       SHIJI_KAFKA_CA_FILE=str(self.client_dir / "ca.crt"))
        return env
