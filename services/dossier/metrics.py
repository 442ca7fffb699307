"""The dossier's own metrics, on top of the HTTP ones every service has (see shared/metrics.py).

- ``shiji_dossier_events_appended_total``: events this process appended.
- ``shiji_relay_events_published_total``: events this process's relay had acknowledged by the bus.
- ``shiji_relay_lag_events``: committed events the relay has not published yet, counted in commit
  order from its checkpoint (capped at ``LAG_CAP``). A fact of the database, so every dossier
  instance reports the same number: take ``max``, not ``sum``, across instances.
- ``shiji_kafka_errors_total`` where the relay runs on Kafka.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from services.dossier import store
from services.dossier.relay import Relay
from services.dossier.service import DossierService
from shared.bus import BusAdmin
from shared.metrics import ServiceMetrics

LAG_CAP = 1_000_000


def register(metrics: ServiceMetrics, engine: AsyncEngine, service: DossierService, relay: Relay | None,
             bus: BusAdmin | None) -> None:
    metrics.counter_of("shiji_dossier_events_appended", "Events appended to the event store by this process",
                       lambda: service.appended)
    if relay is not None:
        metrics.counter_of("shiji_relay_events_published", "Events this process's relay published (acknowledged)",
                           lambda: relay.published)
    if bus is not None:
        metrics.watch_bus_errors(bus.errors)
    lag = metrics.gauge("shiji_relay_lag_events", "Committed events not yet published (same on every instance)")

    async def refresh_lag() -> None:
        async with engine.connect() as conn:
            checkpoint = await store.load_checkpoint(conn, relay.checkpoint)
            lag.set(await store.count_after(conn, checkpoint, LAG_CAP))

    if relay is not None:  # an instance without a relay has no checkpoint of its own to report on
        metrics.on_scrape("relay_lag", refresh_lag)
