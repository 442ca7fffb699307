"""What an operator sees, on both wirings: one entry followed end to end in a trace, and the metrics.

Embedded: the three apps get tracer providers with an in-memory exporter. Production: three
``shiji serve`` processes with ``OTEL_TRACES_EXPORTER=console``; the spans are read back from the
processes' own logs, exactly as an operator without a collector would read them.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from services.embedded import embedded_system
from shared import tracing
from tests.conftest import KAFKA, PG, require_server
from tests.e2e.test_gateway import entry, key, score_when
from tests.support.production import production_system

SERVICES = ("gateway", "dossier", "scoring")


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    kind: str  # SERVER, CLIENT, PRODUCER, CONSUMER, INTERNAL
    trace_id: str
    span_id: str
    parent_id: str | None


@dataclass
class Observed:
    wiring: str
    client: httpx.AsyncClient  # the gateway
    token: Callable[..., str]
    scrape: Callable[[str], Awaitable[str]]  # service -> its /metrics text
    ready: Callable[[str], Awaitable[dict]]  # service -> its /readyz body
    spans: Callable[[], list[Span]]

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(unit='u-1')}"}


def span_of_sdk(span) -> Span:
    return Span(span.resource.attributes["service.name"].removeprefix("shiji-"), span.name, span.kind.name,
                f"{span.context.trace_id:032x}", f"{span.context.span_id:016x}",
                f"{span.parent.span_id:016x}" if span.parent else None)


def spans_in_logs(log_dir: Path) -> list[Span]:
    """The console exporter's lines (one JSON object per span) among everything else a process logs."""
    found = []
    for service in SERVICES:
        for line in (log_dir / f"{service}.log").read_text(encoding="utf-8", errors="replace").splitlines():
            if not (line.startswith("{") and '"trace_id"' in line):
                continue
            raw = json.loads(line)
            parent = raw.get("parent_id")
            found.append(Span(raw["resource"]["attributes"]["service.name"].removeprefix("shiji-"), raw["name"],
                              raw["kind"].removeprefix("SpanKind."), raw["context"]["trace_id"].removeprefix("0x"),
                              raw["context"]["span_id"].removeprefix("0x"), parent.removeprefix("0x") if parent else None))
    return found


@pytest.fixture(scope="module", params=["embedded", "production"])
async def observed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                   ) -> AsyncIterator[Observed]:
    if request.param == "embedded":
        exporter = InMemorySpanExporter()
        providers = {name: tracing.tracer_provider(name, exporter, batch=False) for name in SERVICES}
        async with embedded_system(tmp_path_factory.mktemp("embedded"), demo=False, tracer_providers=providers) as s:
            apps = {"gateway": s.gateway, "dossier": s.dossier, "scoring": s.scoring}
            clients = {name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")
                       for name, app in apps.items()}
            try:
                yield await with_unit(Observed("embedded", clients["gateway"], s.token,
                                               lambda name: _text(clients[name].get("/metrics")),
                                               lambda name: _json(clients[name].get("/readyz")),
                                               lambda: [span_of_sdk(sp) for sp in exporter.get_finished_spans()]))
            finally:
                for client in clients.values():
                    await client.aclose()
    else:
        require_server("PostgreSQL", PG.hostport)
        require_server("Kafka", KAFKA.bootstrap)
        log_dir = tmp_path_factory.mktemp("logs")
        env = {"OTEL_TRACES_EXPORTER": "console", "OTEL_BSP_SCHEDULE_DELAY": "100"}
        async with production_system(PG, KAFKA, log_dir=log_dir, extra_env=env) as s:
            urls = {"gateway": s.gateway_url, "dossier": s.dossier_url, "scoring": s.scoring_url}
            async with httpx.AsyncClient(base_url=s.gateway_url, timeout=30) as client, \
                    httpx.AsyncClient(verify=s.tls) as plain:
                yield await with_unit(Observed("production", client, s.token,
                                               lambda name: _text(plain.get(f"{urls[name]}/metrics")),
                                               lambda name: _json(plain.get(f"{urls[name]}/readyz")),
                                               lambda: spans_in_logs(log_dir)))


async def with_unit(observed: Observed) -> Observed:
    """The unit every cadre of these tests is registered in."""
    r = await observed.client.post("/api/v1/units", json={"unit_id": "u-1", "name": "局", "level": "city",
                                                          "unit_class": "city"},
                                   headers={**observed.auth(), "Idempotency-Key": "unit-u-1"})
    assert r.status_code == 201, r.text
    return observed


async def _text(response: Awaitable[httpx.Response]) -> str:
    r = await response
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain"), r.text
    return r.text


async def _json(response: Awaitable[httpx.Response]) -> dict:
    return (await response).json()


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of the samples called ``name`` whose labels include ``labels``."""
    values = [s.value for family in text_string_to_metric_families(text) for s in family.samples
              if s.name == name and labels.items() <= s.labels.items()]
    assert values, f"no {name}{labels} in the scrape"
    return sum(values)


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout_s: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"{what} did not happen in {timeout_s}s"
        await asyncio.sleep(0.2)


async def test_one_entry_is_one_trace_from_the_gateway_to_the_scoring_consumer(observed: Observed) -> None:
    r = await observed.client.post("/api/v1/cadres", json={"name": "张伟", "unit_id": "u-1"},
                                   headers={**observed.auth(), **key()})
    cadre_id = r.json()["id"]
    trace_id = uuid.uuid4().hex
    caller = {"traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01", "X-Request-Id": f"req-{trace_id[:8]}"}
    r = await observed.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(points=2),
                                   headers={**observed.auth(), **key(), **caller})
    assert r.status_code == 201, r.text
    assert r.headers["x-request-id"] == caller["X-Request-Id"]
    await score_when(observed, cadre_id, 2)

    def chain() -> dict[tuple[str, str], Span]:
        # The gateway also asks the dossier for the caller's relations and writes the access log:
        # the dossier's span that matters is the write's.
        return {(s.service, s.kind): s for s in observed.spans() if s.trace_id == trace_id
                and not (s.service == "dossier" and s.kind == "SERVER" and "/v1/access" in s.name)}

    async def complete() -> bool:
        # Each process exports its spans in batches of its own: wait for every hop, the write's
        # CLIENT span of the gateway (the dossier SERVER span's parent) included.
        spans = chain()
        if not {("gateway", "SERVER"), ("dossier", "SERVER"), ("scoring", "CONSUMER"), ("dossier", "PRODUCER")
                } <= spans.keys():
            return False
        return any(s.span_id == spans[("dossier", "SERVER")].parent_id for s in observed.spans())

    await eventually(complete, "the consumer's span")
    spans = chain()
    # Each hop is the child of the one before: nothing in between starts a trace of its own.
    gateway = spans[("gateway", "SERVER")]
    dossier, publish, process = spans[("dossier", "SERVER")], spans[("dossier", "PRODUCER")], spans[("scoring", "CONSUMER")]
    [call] = [s for s in observed.spans() if s.trace_id == trace_id and s.span_id == dossier.parent_id]
    assert gateway.name == "POST /api/v1/cadres/{cadre_id}/entries"
    assert call.service == "gateway" and call.kind == "CLIENT" and call.parent_id == gateway.span_id
    assert dossier.name == "POST /v1/cadres/{cadre_id}/entries"
    assert publish.parent_id == dossier.span_id
    assert process.parent_id == publish.span_id


async def test_the_metrics_account_for_every_event(observed: Observed) -> None:
    headers = {**observed.auth()}
    cadre_id = (await observed.client.post("/api/v1/cadres", json={"name": "李娜", "unit_id": "u-1"},
                                           headers={**headers, **key()})).json()["id"]
    for points in (1, 2, 3):
        r = await observed.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(points=points),
                                       headers={**headers, **key()})
        assert r.status_code == 201
    await score_when(observed, cadre_id, 6)

    async def settled() -> bool:
        dossier, scoring = await observed.scrape("dossier"), await observed.scrape("scoring")
        appended = metric(dossier, "shiji_dossier_events_appended_total")
        return (metric(dossier, "shiji_relay_lag_events") == 0
                and metric(dossier, "shiji_relay_events_published_total") == appended
                and metric(scoring, "shiji_scoring_events_applied_total") == appended
                and metric(scoring, "shiji_scoring_consumer_lag_messages") == 0)

    await eventually(settled, "relay and consumer catching up")
    scrapes = {name: await observed.scrape(name) for name in SERVICES}
    gateway, dossier, scoring = scrapes["gateway"], scrapes["dossier"], scrapes["scoring"]
    assert metric(gateway, "shiji_http_requests_total", route="/api/v1/cadres/{cadre_id}/entries", status="201") >= 3
    assert metric(gateway, "shiji_http_request_duration_seconds_count", route="/api/v1/cadres/{cadre_id}/score") >= 1
    assert metric(dossier, "shiji_dossier_events_appended_total") >= 4
    assert metric(dossier, "shiji_http_requests_total", route="/v1/cadres/{cadre_id}/entries", status="201") >= 3
    assert metric(scoring, "shiji_scoring_projection_staleness_seconds") == 0
    assert metric(scoring, "shiji_scoring_events_dead_lettered_total") == 0
    assert metric(scoring, "shiji_scoring_partition_assigned") >= 1
    for name in ("dossier", "scoring"):
        assert metric(scrapes[name], "shiji_db_pool_size") > 0
    assert metric(scoring, "shiji_scoring_newest_applied_timestamp_seconds") > 0
    if observed.wiring == "production":
        assert metric(scoring, "shiji_scoring_partition_assigned") == 3  # the one instance holds every partition
        for name in SERVICES:
            print(f"\n--- /metrics of {name} (production wiring, excerpt)")
            print("\n".join(line for line in scrapes[name].splitlines()
                            if line.startswith("shiji_") and "_bucket" not in line))


async def test_readiness_names_the_bus_where_a_service_needs_it(observed: Observed) -> None:
    assert (await observed.ready("dossier"))["checks"] == {"database": "ok", "event_store": "ok", "bus": "ok"}
    assert (await observed.ready("scoring"))["checks"] == {"database": "ok", "bus": "ok"}
    assert (await observed.ready("gateway"))["checks"] == {"dossier": "ok", "scoring": "ok"}
