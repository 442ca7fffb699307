"""Prometheus metrics: one registry per service app, served on its ``/metrics``.

One registry per app, not the process-wide default: the embedded wiring runs three apps in one
process and a test run creates hundreds, and each must count only its own requests and never
collide with another's names. ``target_info{service=...}`` says whose metrics they are.

Counts that live in the application (events appended, published, applied) stay plain integers on
the objects that do the work; collectors read them at scrape time, so no domain or adapter code
imports Prometheus. Values that cost a query (relay lag, consumer lag) are refreshed by
``on_scrape`` callbacks just before the registry is rendered; a failing refresh keeps the last
value and counts ``shiji_metrics_refresh_errors_total{source}``, it never fails the scrape.

Names: ``shiji_<area>_<what>_<unit>``; labels are route templates, statuses, partitions and error
types, so the number of series stays bounded whatever the traffic.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

# Internal calls answer in milliseconds; the gateway's upstream timeout is 10 s.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REFRESH_TIMEOUT_S = 5.0

# The *_created series (when each counter was born) double the output and help no dashboard.
disable_created_metrics()

Refresh = Callable[[], Awaitable[None]]


class _ReadAtScrape:
    """A collector whose metric families are built from live objects each time it is scraped."""

    def __init__(self, families: Callable[[], Iterable[Metric]]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families()

    def describe(self) -> Iterable[Metric]:
        return ()  # nothing to check for duplicates: the names are ours and fixed


class ServiceMetrics:
    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self.registry.set_target_info({"service": service})
        for collector in (ProcessCollector, PlatformCollector, GCCollector):
            collector(registry=self.registry)
        self.http_requests = Counter("shiji_http_requests", "HTTP requests answered, by route template and status",
                                     ["method", "route", "status"], registry=self.registry)
        self.http_duration = Histogram("shiji_http_request_duration_seconds",
                                       "Time from request to the end of the response, by route template",
                                       ["method", "route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.refresh_errors = Counter("shiji_metrics_refresh_errors", "Scrape-time refreshes that failed, by source",
                                      ["source"], registry=self.registry)
        self._refreshers: list[tuple[str, Refresh]] = []

    # -- building blocks for the services' own metrics -------------------------------------------

    def gauge(self, name: str, documentation: str, labels: Iterable[str] = ()) -> Gauge:
        return Gauge(name, documentation, list(labels), registry=self.registry)

    def histogram(self, name: str, documentation: str, buckets: Iterable[float]) -> Histogram:
        return Histogram(name, documentation, buckets=tuple(buckets), registry=self.registry)

    def counter_of(self, name: str, documentation: str, read: Callable[[], float]) -> None:
        """A counter whose value is ``read()`` at scrape time (an integer some object keeps)."""
        self.labelled_counter_of(name, documentation, (), lambda: {(): read()})

    def labelled_counter_of(self, name: str, documentation: str, labels: Iterable[str],
                            read: Callable[[], Mapping[tuple[str, ...], float]]) -> None:
        labels = list(labels)

        def families() -> Iterable[Metric]:
            family = CounterMetricFamily(name, documentation, labels=labels)
            for values, value in read().items():
                family.add_metric(list(values), value)
            yield family

        self.registry.register(_ReadAtScrape(families))

    def on_scrape(self, source: str, refresh: Refresh) -> None:
        """Run ``refresh`` (which sets gauges) before each scrape is rendered."""
        self._refreshers.append((source, refresh))

    def watch_pool(self, engine: AsyncEngine) -> None:
        """The database connection pool: size, connections in use and idle, overflow."""
        pool = engine.pool

        def families() -> Iterable[Metric]:
            if not hasattr(pool, "checkedout"):  # a pool without counters (e.g. NullPool)
                return
            size = GaugeMetricFamily("shiji_db_pool_size", "Connections the pool keeps open")
            size.add_metric([], pool.size())
            yield size
            connections = GaugeMetricFamily("shiji_db_pool_connections", "Pool connections by state", labels=["state"])
            connections.add_metric(["in_use"], pool.checkedout())
            connections.add_metric(["idle"], pool.checkedin())
            connections.add_metric(["overflow"], max(pool.overflow(), 0))
            yield connections

        self.registry.register(_ReadAtScrape(families))

    def watch_bus_errors(self, errors: Mapping[tuple[str, str], int]) -> None:
        self.labelled_counter_of("shiji_kafka_errors", "Kafka client errors, by client and error type",
                                 ["client", "error"], lambda: dict(errors))

    # -- serving -----------------------------------------------------------------------------------

    async def render(self) -> bytes:
        for source, refresh in self._refreshers:
            try:
                await asyncio.wait_for(refresh(), REFRESH_TIMEOUT_S)
            except Exception as exc:  # a scrape reports what it can; the error is a metric of its own
                log.warning("metrics refresh %s failed: %s: %s", source, type(exc).__name__, exc)
                self.refresh_errors.labels(source).inc()
        return generate_latest(self.registry)

    def add_route(self, app: FastAPI) -> None:
        @app.get("/metrics", tags=["operations"], summary="Prometheus metrics of this service",
                 response_class=Response, include_in_schema=True)
        async def metrics() -> Any:
            return Response(await self.render(), media_type=CONTENT_TYPE_LATEST)
