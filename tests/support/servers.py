"""A PostgreSQL cluster and a Kafka broker of one's own, for tests that stop and crash them.

The fault tests stop the broker and crash the database. They must never do that to the servers
everything else runs on (``deploy/local/services.sh``, shared by other test runs and developers),
so they start their own pair with the same deploy scripts, on free ports above the ephemeral
range and in a fresh directory, and remove it all at the end.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.support.connections import KafkaServer, PgServer

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy" / "local"
PG_BIN = Path("/usr/lib/postgresql/15/bin")  # where deploy/local/postgres.sh finds Debian's PostgreSQL


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_pair() -> int:
    """A port p with p, p + 1 and p + 2 free, above the ephemeral range: no client socket takes them while
    a server is down (Kafka's controller listens on p + 1, its client-certificate listener on p + 2)."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(61000, 65000)
        if _free(port) and _free(port + 1) and _free(port + 2):
            return port
    raise RuntimeError("no free port triple in 61000-65000")


@dataclass
class DedicatedServers:
    base_dir: Path
    pg_port: int
    kafka_port: int
    secure: bool = True  # False: the plaintext, unauthenticated set-up (to measure what security costs)

    @classmethod
    def create(cls, *, secure: bool = True) -> DedicatedServers:
        base = Path(tempfile.mkdtemp(prefix="shiji-faults-", dir="/tmp"))
        base.chmod(0o755)  # the postgres OS user must reach its data dir inside
        pg_port = free_port_pair()
        kafka_port = free_port_pair()
        while abs(kafka_port - pg_port) < 3:
            kafka_port = free_port_pair()
        return cls(base, pg_port, kafka_port, secure)

    @property
    def pg(self) -> PgServer:
        return PgServer("127.0.0.1", self.pg_port, self.base_dir / "pg" / "client" if self.secure else None)

    @property
    def kafka(self) -> KafkaServer:
        return KafkaServer(f"127.0.0.1:{self.kafka_port}", self.base_dir / "kafka" / "client" if self.secure else None)

    def _script(self, script: str, *command: str, **env: str) -> None:
        full_env = {
            **os.environ,
            "SHIJI_PG_PORT": str(self.pg_port), "SHIJI_PG_DIR": str(self.base_dir / "pg"),
            "SHIJI_KAFKA_PORT": str(self.kafka_port), "SHIJI_KAFKA_DIR": str(self.base_dir / "kafka"),
            "SHIJI_PG_SECURE": str(int(self.secure)), "SHIJI_KAFKA_SECURE": str(int(self.secure)),
            **env,
        }
        done = subprocess.run([str(DEPLOY / script), *command], env=full_env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{script} {command} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")

    def start_postgres(self) -> None:
        self._script("postgres.sh", "start")

    def stop_postgres(self, mode: str = "fast") -> None:
        """``immediate`` is a crash: no shutdown checkpoint, WAL recovery at the next start."""
        self._script("postgres.sh", "stop", SHIJI_PG_STOP_MODE=mode)

    def advance_xids(self, past: int) -> None:
        """Make the cluster's next transaction id greater than ``past`` (after a restore from a dump)."""
        self._script("postgres.sh", "advance-xids", str(past))

    def start_kafka(self, *, keep_data: bool = True) -> None:
        """Start the broker; ``keep_data``: as after an outage, with its topics and offsets."""
        self._script("kafka.sh", "start", SHIJI_KAFKA_KEEP_DATA="1" if keep_data else "0")

    def stop_kafka(self) -> None:
        self._script("kafka.sh", "stop")

    def start(self) -> None:
        self.start_postgres()
        self.start_kafka(keep_data=False)

    def stop(self) -> None:
        try:
            self.stop_kafka()
        finally:
            self.stop_postgres()
            shutil.rmtree(self.base_dir, ignore_errors=True)
