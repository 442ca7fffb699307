"""OpenTelemetry traces: one entry followed from the gateway to the scoring consumer.

The path of a write, and how its trace context travels:

    gateway SERVER span ──traceparent header──▶ dossier SERVER span ──stored with the event (events.context)
    ──▶ relay PRODUCER span ──Kafka message headers──▶ scoring CONSUMER span

Each service builds its own ``TracerProvider`` (``service.name`` = ``shiji-<service>``) and hands it
to its ``create_app``; the global provider is never set. So the three apps of the embedded wiring
and the many apps a test run creates each keep their own, and a test swaps in an in-memory
exporter by argument.

Spans are always made, so trace ids reach the event store and the Kafka headers and an operator can
match them with logs; they are *exported* only when ``OTEL_TRACES_EXPORTER`` names an exporter:

- ``otlp``: OTLP over HTTP/protobuf, configured by the standard ``OTEL_EXPORTER_OTLP_*`` variables;
- ``console``: one JSON object per span and line on standard output (the process log);
- unset or ``none``: nothing leaves the process. (The OpenTelemetry default would be ``otlp``; a
  fresh install sending to a collector nobody runs helps no one.)

``OTEL_SDK_DISABLED=true`` turns spans off altogether; ``OTEL_TRACES_SAMPLER``, ``OTEL_BSP_*`` and
``OTEL_RESOURCE_ATTRIBUTES`` work as the SDK documents them. Propagation is W3C Trace Context
(``OTEL_PROPAGATORS`` may change it).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, SpanExporter

from shared.bus import Headers

# Keys of the request context stored with each event and sent as Kafka headers.
REQUEST_ID = "request_id"
TRACE_KEYS = ("traceparent", "tracestate")


def exporter_from_env(environ: Mapping[str, str] = os.environ) -> SpanExporter | None:
    name = environ.get("OTEL_TRACES_EXPORTER", "none").strip().lower()
    if name in ("", "none"):
        return None
    if name == "console":
        return ConsoleSpanExporter(out=sys.stdout, formatter=lambda span: span.to_json(indent=None) + "\n")
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    raise ValueError(f"OTEL_TRACES_EXPORTER={name!r} is not supported here: use otlp, console or none")


def tracer_provider(service: str, exporter: SpanExporter | None = None, *, batch: bool = True) -> TracerProvider:
    """A provider for ``service`` that sends its spans to ``exporter`` (none: spans are made, not sent).

    ``batch=False`` hands each span over as it ends (tests); services batch, as the SDK does."""
    provider = TracerProvider(resource=Resource.create({"service.name": f"shiji-{service}"}))
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter))
    return provider


def tracer_provider_from_env(service: str) -> TracerProvider:
    return tracer_provider(service, exporter_from_env())


def tracer_of(provider: TracerProvider) -> trace.Tracer:
    return provider.get_tracer("shiji")


def shutdown_closer(provider: TracerProvider) -> Callable[[], Awaitable[None]]:
    """A closer for a service's lifespan: export what is left (in a thread, the exporter may block)."""

    async def close() -> None:
        await asyncio.to_thread(provider.shutdown)

    return close


def extract(carrier: Mapping[str, str]) -> Context:
    """The trace context a carrier (HTTP headers, a stored event context) continues."""
    return propagate.extract(carrier)


def inject(carrier: dict[str, str], context: Context | None = None) -> dict[str, str]:
    """Write the current (or the given) trace context into ``carrier``; returns it."""
    propagate.inject(carrier, context=context)
    return carrier


def request_context(request_id: str | None) -> dict[str, str]:
    """What is stored with an event about the request that wrote it: trace context and request id."""
    context = {k: v for k, v in inject({}).items() if k in TRACE_KEYS}
    if request_id:
        context[REQUEST_ID] = request_id
    return context


def headers_of(context: Mapping[str, Any] | None) -> Headers:
    """A stored event context as Kafka message headers."""
    return tuple((k, str(v).encode()) for k, v in (context or {}).items() if k in (*TRACE_KEYS, REQUEST_ID))


def carrier_of(headers: Headers) -> dict[str, str]:
    """Kafka message headers back as a carrier for ``extract``."""
    out: dict[str, str] = {}
    for key, value in headers:
        if key in (*TRACE_KEYS, REQUEST_ID) and key not in out:
            out[key] = value.decode("utf-8", "replace")
    return out
