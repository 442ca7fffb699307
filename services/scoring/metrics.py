"""The scoring service's own metrics, on top of the HTTP ones every service has (see shared/metrics.py).

- ``shiji_scoring_events_applied_total`` / ``shiji_scoring_events_dead_lettered_total``: by this process.
- ``shiji_scoring_events_unlinked_total``: of those dead letters, the events that did not follow their stream
  (a skipped version or a broken chain link: services/scoring/stream_check.py). Alert on any increase.
- ``shiji_scoring_events_redelivered_total``: events delivered again after they were applied, and skipped
  (restarts, rebalances, a relay publishing a batch twice): normal in small numbers.
- ``shiji_scoring_partition_assigned{partition}``: 1 for each partition this instance holds now; the
  instances of one consumer group share the topic's partitions, so across instances each appears once.
- ``shiji_scoring_consumer_lag_messages{partition}``: for each partition this instance holds, the bus's
  end offset minus the position stored in the scoring database (what is applied). Per instance and
  per held partition, so ``sum`` across instances is the group's lag.
- ``shiji_scoring_projection_staleness_seconds``: 0 while nothing is waiting; when messages are
  waiting, how old the newest applied event is (recorded time to now), or how long this instance
  has run without applying any. An upper bound of how far behind the answers are.
- ``shiji_scoring_newest_applied_timestamp_seconds``: the recorded time of the newest applied event.
- ``shiji_kafka_errors_total`` with Kafka.
"""

from __future__ import annotations

import time

from services.scoring.consumer import ScoringConsumer
from services.scoring.evaluation import Evaluator
from shared.bus import BusAdmin
from shared.metrics import ServiceMetrics


def register(metrics: ServiceMetrics, consumer: ScoringConsumer | None, bus: BusAdmin | None, topic: str,
             evaluator: Evaluator | None = None) -> None:
    if evaluator is not None:
        metrics.counter_of("shiji_scoring_warnings_raised", "Warnings this process raised (and announced)",
                           lambda: evaluator.raised)
        metrics.counter_of("shiji_scoring_warnings_cleared", "Warnings this process cleared (and announced)",
                           lambda: evaluator.cleared)
    if consumer is None:
        return
    metrics.counter_of("shiji_scoring_events_applied", "Events applied to the projections by this process",
                       lambda: consumer.applied)
    metrics.counter_of("shiji_scoring_events_dead_lettered", "Messages this process could not apply (kept aside)",
                       lambda: consumer.dead_lettered)
    metrics.counter_of("shiji_scoring_events_unlinked", "Events this process refused for not following their stream "
                       "(a skipped version or a broken chain link): an incident", lambda: consumer.unlinked)
    metrics.counter_of("shiji_scoring_events_redelivered", "Events delivered again after they were applied (skipped)",
                       lambda: consumer.redelivered)
    assigned = metrics.gauge("shiji_scoring_partition_assigned", "1 for each partition this instance consumes",
                             ["partition"])
    lag = metrics.gauge("shiji_scoring_consumer_lag_messages", "End offset minus applied position, per held partition",
                        ["partition"])
    staleness = metrics.gauge("shiji_scoring_projection_staleness_seconds",
                              "0 when caught up; else the age of the newest applied event")
    newest = metrics.gauge("shiji_scoring_newest_applied_timestamp_seconds",
                           "Recorded time of the newest event this instance applied")
    started = time.time()
    if bus is not None:
        metrics.watch_bus_errors(bus.errors)

    async def refresh() -> None:
        subscription = consumer.subscription
        partitions = sorted(subscription.assigned) if subscription is not None else []
        ends = await bus.end_offsets(topic, partitions) if bus is not None and partitions else {}
        applied = await consumer.start_positions(topic, partitions) if partitions else {}
        assigned.clear()
        lag.clear()
        waiting = 0
        for partition in partitions:
            behind = max(ends.get(partition, 0) - applied.get(partition, 0), 0)
            waiting += behind
            assigned.labels(str(partition)).set(1)
            lag.labels(str(partition)).set(behind)
        since = consumer.newest_applied.timestamp() if consumer.newest_applied else started
        if consumer.newest_applied:
            newest.set(since)
        staleness.set(max(time.time() - since, 0) if waiting else 0)

    metrics.on_scrape("consumer_lag", refresh)
