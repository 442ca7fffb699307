"""Per-request telemetry for every service: request id, a SERVER span, and the HTTP metrics.

One ASGI middleware, used by all three apps (``install_telemetry``), so every service counts and
traces its requests the same way:

- ``X-Request-Id``: taken from the request when it is sane (the gateway's caller or the gateway
  itself), made up otherwise; put in ``request.state.request_id`` and echoed on the response.
- a SERVER span continuing the caller's W3C trace context, named ``METHOD /route/{template}``.
- ``shiji_http_requests_total`` and ``shiji_http_request_duration_seconds`` by route *template*
  (``/v1/cadres/{cadre_id}``, never the raw path, so cadre ids do not become series); a path that
  matches no route counts as ``unmatched``, a method outside HTTP's own as ``OTHER``.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import tracing
from shared.http import REQUEST_ID_HEADER
from shared.logs import REQUEST_ID
from shared.metrics import ServiceMetrics

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
_REQUEST_ID = REQUEST_ID_HEADER.lower().encode()


def route_of(scope: Scope) -> str:
    """The template of the route that handled the request (the router leaves it in the scope)."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == _REQUEST_ID:
            candidate = value.decode("latin-1")
            if _SANE_REQUEST_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex


class RequestTelemetry:
    def __init__(self, app: ASGIApp, metrics: ServiceMetrics, tracer: trace.Tracer) -> None:
        self.app = app
        self.metrics = metrics
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        method = scope["method"] if scope["method"] in METHODS else "OTHER"
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", ())}
        status = 500  # what a request counts as when the app raised before answering
        started = time.perf_counter()

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), (_REQUEST_ID, request_id.encode())]}
            await send(message)

        token = REQUEST_ID.set(request_id)  # every log line written for this request carries it
        with self.tracer.start_as_current_span(method, context=tracing.extract(carrier), kind=SpanKind.SERVER) as span:
            try:
                await self.app(scope, receive, send_with_request_id)
            finally:
                REQUEST_ID.reset(token)
                route = route_of(scope)
                span.update_name(f"{method} {route}")
                span.set_attributes({"http.request.method": method, "http.route": route,
                                     "http.response.status_code": status, "shiji.request_id": request_id})
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
                self.metrics.http_requests.labels(method, route, str(status)).inc()
                self.metrics.http_duration.labels(method, route).observe(time.perf_counter() - started)


def install_telemetry(app: FastAPI, service: str, tracer: trace.Tracer, engine: AsyncEngine | None = None
                      ) -> ServiceMetrics:
    """Wire request telemetry, ``/metrics`` and the pool of ``engine`` into ``app``; the registry to add
    the service's own metrics to."""
    metrics = ServiceMetrics(service)
    app.add_middleware(RequestTelemetry, metrics=metrics, tracer=tracer)
    metrics.add_route(app)
    if engine is not None:
        metrics.watch_pool(engine)
    app.state.metrics = metrics
    return metrics


def request_id(request: Any) -> str | None:
    return getattr(request.state, "request_id", None)
