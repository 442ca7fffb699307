"""The embedded wiring: all three services in one process, SQLite files, a file-backed bus.

For trying Shiji, for front-end developers, for a county with a few hundred cadres. The gateway
reaches dossier and scoring in-process over ASGI (the same HTTP requests as production, no
ports), and the relay and the consumer run the production code paths against ``LogBus``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

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
    shared_bus = SharedBus(bus)  # both services publish to it; it is closed once, after both have stopped
    dossier = create_dossier(DossierSettings(database_url=dossier_db, timezone=timezone,
                                             declaration_key=local_key(data_dir)),
                             publisher=shared_bus, bus=bus.admin(), tracer_provider=tracing.get("dossier"))
    scoring = create_scoring(ScoringSettings(database_url=scoring_db, timezone=timezone),
                             subscribe=lambda start: bus.subscribe(BUS_TOPIC, start), publisher=shared_bus,
                             bus=bus.admin(), tracer_provider=tracing.get("scoring"))
    key = local_signing_key(data_dir)
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    gateway = create_gateway(
        GatewaySettings(dossier_url="http://dossier", scoring_url="http://scoring"),
        verifier=TokenVerifier(public_pem),
        dossier_transport=httpx.ASGITransport(app=dossier),
        scoring_transport=httpx.ASGITransport(app=scoring),
        tracer_provider=tracing.get("gateway"),
    )
    system = EmbeddedSystem(gateway, dossier, scoring, key)
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(bus.close)
        # Entered in order, left in reverse: the gateway stops first, the dossier (and its bus) last.
        for app in (dossier, scoring, gateway):
            await stack.enter_async_context(app.router.lifespan_context(app))
        if demo:
            await load_demo(system, today(timezone))
        yield system


DEMO_ROOT = "qhd"  # the demo clerk's jurisdiction: the whole demo city
DEMO_UNITS = [
    {"unit_id": "qhd", "name": "秦皇岛市", "level": "city", "unit_class": "city"},
    {"unit_id": "qhd-haigang", "name": "海港区", "parent_id": "qhd", "level": "county", "unit_class": "district"},
    {"unit_id": "qhd-haigang-fgw", "name": "海港区发展和改革局", "parent_id": "qhd-haigang", "level": "unit",
     "unit_class": "economic_development"},
    {"unit_id": "qhd-beidaihe", "name": "北戴河区", "parent_id": "qhd", "level": "county", "unit_class": "district"},
    {"unit_id": "qhd-beidaihe-zfj", "name": "北戴河区综合执法局", "parent_id": "qhd-beidaihe", "level": "unit",
     "unit_class": "law_enforcement"},
]
# (name, unit, position, rank, leadership)
DEMO_CADRES = [
    ("张伟", "qhd-haigang-fgw", "局长", "正处级", "chief"),
    ("李娜", "qhd-haigang-fgw", "副局长", "副处级", "deputy"),
    ("王强", "qhd-beidaihe-zfj", "局长", "正处级", "chief"),
]


async def load_demo(system: EmbeddedSystem, on: dt.date) -> None:
    """A little demo data through the public API; idempotent, so a restart adds nothing."""
    headers = {"Authorization": f"Bearer {system.token(subject='demo-loader', unit=DEMO_ROOT)}"}
    transport = httpx.ASGITransport(app=system.gateway)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway", headers=headers) as client:

        async def post(path: str, key: str, body: dict) -> dict:
            r = await client.post(path, json=body, headers={"Idempotency-Key": key})
            if r.status_code == 409 and path == "/api/v1/units":
                return {}  # registered by an earlier run under another key
            r.raise_for_status()
            return r.json()

        for unit in DEMO_UNITS:
            await post("/api/v1/units", f"demo-unit-{unit['unit_id']}", unit)
        for n, (name, unit, position, rank, leadership) in enumerate(DEMO_CADRES):
            cadre_id = (await post("/api/v1/cadres", f"demo-cadre-{n}", {"name": name, "unit_id": unit}))["id"]
            await post(f"/api/v1/cadres/{cadre_id}/posts", f"demo-post-{n}", {
                "unit_id": unit, "position": position, "rank": rank, "leadership": leadership,
                "start_date": (on - dt.timedelta(days=5 * 365)).isoformat()})
            for m, (kind, category, title, points, days_ago) in enumerate(_demo_entries(n)):
                await post(f"/api/v1/cadres/{cadre_id}/entries", f"demo-entry-{n}-{m}", {
                    "kind": kind, "category": category, "title": title, "points": points,
                    "effective_date": (on - dt.timedelta(days=days_ago)).isoformat(),
                    "basis": {"reason": title, "document": f"示例组字〔{on.year}〕{n * 10 + m + 1}号"}})


def _demo_entries(n: int) -> list[tuple[str, str, str, float, int]]:
    base = [
        ("achievement", "key_project", "完成重点项目年度目标", 5, 40),
        ("positive", "honour", "获市级先进个人表彰", 3, 200),
        ("positive", "urgent_difficult_task", "防汛抢险表现突出", 2.5, 500),
        ("negative", "work_style", "会议无故缺席被通报", -1, 320),
        ("negative", "inaction", "工作推进不力被约谈", -2, 1200),  # older than three years: outside the window
    ]
    return base[: 3 + n]
