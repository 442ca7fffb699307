"""Schemathesis against the gateway's public OpenAPI, with valid tokens: no request may end in a
5xx, and no response may break the schema the spec declares for it, nor answer a status, content type or
headers it does not declare. Every success answer has a schema (``shared.answers``, forbidding undeclared
fields), so the conformance check covers 2xx bodies as well as problems; ``test_public_contract`` drives
every operation to a 2xx and checks those too.

The embedded wiring is served over real HTTP (uvicorn on a free port, in a thread with its own
event loop), exactly as ``shiji up`` serves it. Each operation is called with the token of the role
that may use it (a top-level clerk, the system administrator for the daily job, the audit
administrator for the access log). The number of examples per operation is bounded so the run
stays within about a minute (SHIJI_SCHEMATHESIS_EXAMPLES raises it for a deeper local run).
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.embedded import DEMO_ROOT, embedded_system
from tests.support.operations import PUBLIC_OPERATIONS

EXAMPLES = int(os.environ.get("SHIJI_SCHEMATHESIS_EXAMPLES", "15"))
# Cheap checks of each answer (no extra requests): the deep run (scripts/schemathesis-deep) has every check.
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance,
          response_headers_conformance]
ROLE_OF_PATH = {"/api/v1/jobs/daily-refresh": "system_admin", "/api/v1/access-log": "audit_admin"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """The embedded system behind uvicorn, in a thread of its own."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.tokens: dict[str, str] = {}
        self._server: uvicorn.Server | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve(data_dir)), daemon=True)

    async def _serve(self, data_dir: Path) -> None:
        async with embedded_system(data_dir, demo=True) as system:
            self.tokens = {role: system.token(role=role, subject=f"st-{role}", unit=DEMO_ROOT)
                           for role in ("clerk", "system_admin", "audit_admin")}
            config = uvicorn.Config(system.gateway, host="127.0.0.1", port=self.port, lifespan="off",
                                    log_level="warning")
            self._server = uvicorn.Server(config)
            self._ready.set()
            await self._server.serve()

    def __enter__(self) -> Served:
        self._thread.start()
        assert self._ready.wait(60), "the embedded system did not start"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return self
            except requests.ConnectionError:
                time.sleep(0.1)
        raise AssertionError("the gateway did not answer")

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.should_exit = True
        self._thread.join(timeout=30)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with Served(tmp_path_factory.mktemp("schemathesis")) as s:
        yield s


def exercise(operation, base_url: str, headers: dict[str, str]) -> None:
    """Hypothesis-generated requests for one operation, each checked."""

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def call(case) -> None:
        case.call_and_validate(base_url=base_url, headers=headers,
                               checks=CHECKS, timeout=30)

    call()


def test_the_public_api_never_fails_and_keeps_to_its_schema(served: Served) -> None:
    # Schemathesis's own pytest loader (from_fixture) does not run on this pytest; each operation
    # gets a Hypothesis test of its own here instead, and every failing operation is reported.
    schema = schemathesis.openapi.from_url(f"{served.base_url}/openapi.json")
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        headers = {"Authorization": f"Bearer {served.tokens[ROLE_OF_PATH.get(operation.path, 'clerk')]}"}

        try:
            exercise(operation, served.base_url, headers)
        except Exception as exc:  # every operation is tried; all failures are reported together
            failures[operation.label] = f"{type(exc).__name__}: {exc}"[:2000]
    assert operations == PUBLIC_OPERATIONS  # what they are: tests/support/operations.py
    assert not failures, "\n\n".join(f"{label}: {problem}" for label, problem in failures.items())
