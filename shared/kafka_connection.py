"""How a Kafka client reaches and proves itself to the broker: the one place every client of the
project (the services, the CLI, the tests, the benchmarks) builds its connection from.

Production (issue 19) is ``SASL_SSL``: TLS to the broker, its certificate checked against the CA in
``ca_file`` (the host name included), and SCRAM, a password proof that never sends the password.
Each service logs in as its own principal, and the broker's ACLs decide what that principal may read
and write (deploy/local/kafka_acls.py). ``PLAINTEXT`` is left for a developer's unsecured broker;
``SHIJI_PRODUCTION=true`` refuses it (``shared.settings.production_problems``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

PLAINTEXT = "PLAINTEXT"
SASL_SSL = "SASL_SSL"


@dataclass(frozen=True)
class KafkaConnection:
    bootstrap: str
    security_protocol: str = PLAINTEXT
    sasl_mechanism: str = "SCRAM-SHA-512"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None

    @property
    def secured(self) -> bool:
        return self.security_protocol == SASL_SSL

    def as_user(self, username: str, password: str | None) -> KafkaConnection:
        """The same broker, logged in as another principal."""
        return replace(self, username=username, password=password)

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for kafka-python's KafkaProducer, KafkaConsumer and KafkaAdminClient."""
        options: dict[str, Any] = {"bootstrap_servers": self.bootstrap, "security_protocol": self.security_protocol}
        if "SSL" in self.security_protocol:
            options.update(ssl_cafile=self.ca_file, ssl_check_hostname=True)
        if self.secured:
            options.update(sasl_mechanism=self.sasl_mechanism, sasl_plain_username=self.username,
                           sasl_plain_password=self.password)
        return options
