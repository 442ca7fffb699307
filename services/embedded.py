"""The embedded wiring: all three services in one process, SQLite files, a file-backed bus.

For trying Shiji, for front-end developers, for a county with a few hundred cadres. The gateway
reaches dossier and scoring in-process over ASGI (the same HTTP requests as production, no
ports), and the relay and the consumer run the production code paths against ``LogBus``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from services.demo_assessment import DEMO_SCHEME_PREFIX
from services.demo_city import DEMO_ROOT, demo_county
from services.demo_sign_in import install_demo_sign_in
from services.dossier import store
from services.dossier.api import create_app as create_dossier
from services.dossier.sealing import local_key
from services.dossier.settings import DossierSettings
from services.gateway.api import create_app as create_gateway
from services.gateway.auth import TokenVerifier, issue_token, local_signing_key
from services.gateway.settings import GatewaySettings
from services.scoring.api import create_app as create_scoring
from services.scoring.settings import ScoringSettings
from shared.bus import OutgoingMessage
from shared.db import sqlite_url, upgrade_to_head
from shared.log_bus import LogBus
from shared.service_identity import CallSigner, CallVerifier
from shared.settings import KafkaSettings, today

BUS_TOPIC = KafkaSettings.model_fields["topic"].default


class SharedBus:
    """The file bus as each service's publisher: closing it is the embedded wiring's job, not theirs."""

    def __init__(self, bus: LogBus) -> None:
        self._bus = bus

    async def publish(self, topic: str, messages: Sequence[OutgoingMessage]) -> None:
        await self._bus.publish(topic, messages)

    async def close(self) -> None:
        return None


@dataclass(frozen=True)
class EmbeddedSystem:
    gateway: FastAPI
    dossier: FastAPI
    scoring: FastAPI
    signing_key: ec.EllipticCurvePrivateKey
    bus: LogBus
    signer: CallSigner  # the gateway's proof of its calls to dossier and scoring
    demo: DemoLoaded | None = None

    def token(self, role: str = "clerk", subject: str = "demo-clerk", unit: str | None = None) -> str:
        return issue_token(self.signing_key, subject=subject, role=role, unit=unit)


@contextlib.asynccontextmanager
async def embedded_system(data_dir: Path, *, demo: bool = True, timezone: str = "Asia/Shanghai",
                          tracer_providers: Mapping[str, TracerProvider] | None = None,
                          ) -> AsyncIterator[EmbeddedSystem]:
    """Migrate, wire and start everything under ``data_dir``; stop it all on exit.

    ``tracer_providers`` by service name replace the ones the ``OTEL_*`` variables would build (tests)."""
    tracing = dict(tracer_providers or {})
    data_dir.mkdir(parents=True, exist_ok=True)
    dossier_db, scoring_db = sqlite_url(data_dir / "dossier.db"), sqlite_url(data_dir / "scoring.db")
    await upgrade_to_head("dossier", dossier_db)
    await upgrade_to_head("scoring", scoring_db)
    bus = LogBus(data_dir / "bus.db")
    # The gateway proves its calls here too, with a key pair made now: the same code path as production, no set-up.
    signer = CallSigner.generated()
    shared_bus = SharedBus(bus)  # both services publish to it; it is closed once, after both have stopped
    dossier = create_dossier(DossierSettings(database_url=dossier_db, timezone=timezone,
                                             declaration_key=local_key(data_dir)),
                             callers=CallVerifier("dossier", [signer.public_key]), publisher=shared_bus,
                             bus=bus.admin(), tracer_provider=tracing.get("dossier"))
    scoring = create_scoring(ScoringSettings(database_url=scoring_db, timezone=timezone),
                             callers=CallVerifier("scoring", [signer.public_key]),
                             subscribe=lambda start: bus.subscribe(BUS_TOPIC, start), publisher=shared_bus,
                             bus=bus.admin(), tracer_provider=tracing.get("scoring"))
    key = local_signing_key(data_dir)
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    gateway = create_gateway(
        # In one process there is no hop to encrypt: a service CA in the environment (deploy/local exports one) is
        # the production wiring's, not this one's.
        GatewaySettings(dossier_url="http://dossier", scoring_url="http://scoring", service_ca_file=None,
                        timezone=timezone),
        verifier=TokenVerifier(public_pem),
        signer=signer,
        dossier_transport=httpx.ASGITransport(app=dossier),
        scoring_transport=httpx.ASGITransport(app=scoring),
        tracer_provider=tracing.get("gateway"),
    )
    system = EmbeddedSystem(gateway, dossier, scoring, key, bus, signer)
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(bus.close)
        # Entered in order, left in reverse: the gateway stops first, the dossier (and its bus) last.
        for app in (dossier, scoring, gateway):
            await stack.enter_async_context(app.router.lifespan_context(app))
        if demo:
            system = replace(system, demo=await load_demo(system, today(timezone)))
            install_demo_sign_in(gateway, system.token, DEMO_ROOT)  # the console's demo sign-in, embedded only
            year = today(timezone).year - 1  # the demo's assessment is of the year before (services/demo_city.py)
            gateway.state.demo_assessment = {"scheme_id": f"{DEMO_SCHEME_PREFIX}-{year}", "year": year}
        yield system


@dataclass(frozen=True)
class DemoLoaded:
    cadres: int
    rows: int
    events: int  # recorded by this load (0 when an earlier start loaded it already)
    seconds: float


async def load_demo(system: EmbeddedSystem, on: dt.date) -> DemoLoaded:
    """The demo county (``services.demo_city.demo_county``) through the public API: one bulk import, then,
    once scoring has applied every event, the daily refresh (rankings and their warnings). Idempotent: a
    restart records nothing new."""
    started = time.monotonic()
    transport = httpx.ASGITransport(app=system.gateway)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=600) as client:
        rows, report = await import_demo(client, system.token, on, lambda _report: settled(system))
    cadres = sum(1 for row in rows if row["operation"] == "register_cadre")
    return DemoLoaded(cadres, len(rows), report["events"], time.monotonic() - started)


async def import_demo(client: httpx.AsyncClient, token: Callable[..., str], on: dt.date,
                      settle: Callable[[dict[str, Any]], Awaitable[None]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The demo county's rows imported through the public API at ``client`` (any wiring), then, once scoring
    has applied them all (``settle``, given the import's report), the daily refresh (rankings and their warnings). Idempotent."""
    rows = list(demo_county(on))
    body = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows[1:]).encode()
    clerk = {"Authorization": f"Bearer {token(subject='demo-loader', unit=DEMO_ROOT)}"}
    # The clerk's own unit first: imports are for the clerks of a top-level unit that exists.
    r = await client.post("/api/v1/units", json=rows[0]["body"], headers={**clerk, "Idempotency-Key": "demo-root"})
    if r.status_code != 409:  # 409: an earlier start registered it
        r.raise_for_status()
    r = await client.post("/api/v1/imports", content=body, timeout=600, headers={
        **clerk, "Content-Type": "application/x-ndjson", "Idempotency-Key": f"demo-{on.isoformat()}"})
    r.raise_for_status()
    report = r.json()
    if report["refused"]:
        raise RuntimeError(f"the demo county was refused in part: {report['errors'][:3]}")
    await settle(report)
    admin = {"Authorization": f"Bearer {token(role='system_admin', subject='demo-loader')}"}
    r = await client.post("/api/v1/jobs/daily-refresh", headers={**admin, "Idempotency-Key": uuid.uuid4().hex})
    r.raise_for_status()
    return rows, report


async def settled(system: EmbeddedSystem, timeout_s: float = 300) -> None:
    """Wait until the relay has published every committed event and scoring has applied all of them."""
    relay, consumer = system.dossier.state.relay, system.scoring.state.consumer
    admin = system.bus.admin()
    deadline = time.monotonic() + timeout_s
    while True:
        async with system.dossier.state.engine.connect() as conn:
            unpublished = await store.count_after(conn, await store.load_checkpoint(conn, relay.checkpoint), 1)
        end = (await admin.end_offsets(BUS_TOPIC, [0])).get(0, 0)
        applied = (await consumer.start_positions(BUS_TOPIC, [0])).get(0, 0)
        if not unpublished and applied >= end:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the demo did not settle in {timeout_s} s ({unpublished=}, {applied=}, {end=})")
        await asyncio.sleep(0.1)
