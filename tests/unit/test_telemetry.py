"""Request telemetry on a small app: metrics by route template, request ids, server spans."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families

from shared import tracing
from shared.telemetry import install_telemetry

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def make_app() -> tuple[FastAPI, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    app = FastAPI()
    install_telemetry(app, "test", tracing.tracer_of(tracing.tracer_provider("test", exporter, batch=False)))

    @app.get("/v1/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id, "context": tracing.request_context("r")["traceparent"]}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    return app, exporter


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {tuple(sorted(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples if s.name == name}


async def get(app: FastAPI, path: str, **kwargs) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get(path, **kwargs)


async def test_requests_are_counted_by_route_template_not_by_path() -> None:
    app, _ = make_app()
    for n in range(3):
        assert (await get(app, f"/v1/things/{n}")).status_code == 200
    assert (await get(app, "/no/such/path")).status_code == 404
    assert (await get(app, "/boom")).status_code == 500
    text = (await get(app, "/metrics")).text
    counts = samples(text, "shiji_http_requests_total")
    assert counts[(("method", "GET"), ("route", "/v1/things/{thing_id}"), ("status", "200"))] == 3
    assert counts[(("method", "GET"), ("route", "unmatched"), ("status", "404"))] == 1
    assert counts[(("method", "GET"), ("route", "/boom"), ("status", "500"))] == 1
    assert not any("/v1/things/1" in dict(k)["route"] for k in counts)
    durations = samples(text, "shiji_http_request_duration_seconds_count")
    assert durations[(("method", "GET"), ("route", "/v1/things/{thing_id}"))] == 3
    assert samples(text, "target_info") == {(("service", "test"),): 1.0}


async def test_many_apps_in_one_process_keep_their_own_counts() -> None:
    apps = [make_app()[0] for _ in range(30)]  # one registry each: no duplicate-name errors
    await get(apps[0], "/v1/things/x")
    first = samples((await get(apps[0], "/metrics")).text, "shiji_http_requests_total")
    last = samples((await get(apps[-1], "/metrics")).text, "shiji_http_requests_total")
    assert sum(first.values()) == 1 and sum(last.values()) == 0


async def test_a_request_id_is_echoed_or_made_up_and_never_taken_unsanitised() -> None:
    app, _ = make_app()
    assert (await get(app, "/v1/things/x", headers={"X-Request-Id": "req-42"})).headers["x-request-id"] == "req-42"
    made_up = (await get(app, "/v1/things/x")).headers["x-request-id"]
    assert len(made_up) == 32
    forged = (await get(app, "/v1/things/x", headers={"X-Request-Id": "a b\tc" * 50})).headers["x-request-id"]
    assert forged != "a b\tc" * 50 and len(forged) == 32


async def test_the_server_span_continues_the_callers_trace() -> None:
    app, exporter = make_app()
    r = await get(app, "/v1/things/7", headers={"traceparent": PARENT})
    # Inside the handler the current context is the server span, a child in the caller's trace.
    assert r.json()["context"].split("-")[1] == TRACE_ID
    (span,) = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert span.name == "GET /v1/things/{thing_id}"
    assert f"{span.context.trace_id:032x}" == TRACE_ID
    assert f"{span.parent.span_id:016x}" == "00f067aa0ba902b7"
    assert span.attributes["http.response.status_code"] == 200


@pytest.mark.parametrize(("exporter", "expected"), [(None, None), ("none", None), ("console", "ConsoleSpanExporter"),
                                                    ("otlp", "OTLPSpanExporter")])
def test_exporting_is_off_unless_otel_traces_exporter_says_where(exporter: str | None, expected: str | None) -> None:
    environ = {"OTEL_TRACES_EXPORTER": exporter} if exporter else {}
    made = tracing.exporter_from_env(environ)
    assert (type(made).__name__ if made else None) == expected


def test_an_unknown_exporter_is_refused_not_ignored() -> None:
    with pytest.raises(ValueError, match="zipkin"):
        tracing.exporter_from_env({"OTEL_TRACES_EXPORTER": "zipkin"})
