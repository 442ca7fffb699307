"""A generated slice of a city on the production wiring (the part of ``bench/city.py`` that needs a city's
data flowing through all three services), measured on the three ``shiji serve`` processes:

- a generated city (``shiji demo generate``, ``--cadres``/``--events``) imported with ``shiji import`` while the
  services run: events stored per second, then the seconds until every event is published (relay lag 0) and
  scored (consumer lag 0), and that time scaled to the city's 13.3 M events;
- (then VACUUM ANALYZE and CHECKPOINT, see ``loads.maintain``: what autovacuum would do under the next figures)
- end-to-end lag (accepted by the gateway -> visible in the score through the gateway), p50/p99, while entries
  arrive at a steady ``--lag-rate`` per second, and again at half the write rate the gateway was measured to
  take (``within_rate``: the pipeline's own lag, without the queue of writes it cannot take);
- one cadre's score at the scoring service, one request after another and at ``--score-rate`` per second
  (open loop: latency counted from when each request was due);
- rebuilding scoring into a fresh database (``shiji rebuild scoring --into``) by replaying the topic and from the
  event store in one set-based pass (``--from-store``): seconds, and scaled to 13.3 M events;
- resident memory of each service (after the import and after the loads).

Each figure is measured ``--runs`` times (the rebuilds ``--rebuild-runs``; the import once). ``measure`` returns
the medians; ``bench/city.py`` reports them.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import httpx

from bench.loads import (
    KAFKA,
    PG,
    UNLIMITED,
    import_city,
    lag_at_rate,
    maintain,
    rebuild,
    rss_mib,
    score_one_by_one,
    score_under_load,
    settle,
)
from bench.machine import median
from tests.support.load import register_cadres
from tests.support.production import production_system


def med(runs: list[dict[str, float]], *keys: str) -> dict[str, float]:
    return {k: median([r[k] for r in runs]) for k in keys}


async def measure(args: argparse.Namespace, within_rate: float) -> dict:
    """The slice's figures (medians of the runs, and the runs where a figure is quoted run by run);
    ``within_rate`` is half the gateway's measured write rate."""
    with tempfile.TemporaryDirectory() as tmp:
        async with production_system(PG, KAFKA, extra_env=UNLIMITED) as system:
            imported = await import_city(system, args.cadres, args.events, Path(tmp))
            print("import:", imported, flush=True)
            rss_after_import = {name: rss_mib(p.pid) for name, p in system.processes.items()}
            await settle(system)
            await maintain(system)
            token = system.token(unit="bench")
            async with httpx.AsyncClient(base_url=system.gateway_url, timeout=60,
                                         headers={"Authorization": f"Bearer {token}"}) as client:
                cadre_ids = await register_cadres(client, 200, "bench")
            load_ids, probes = cadre_ids[10:], cadre_ids[:10]
            lag, lag_within, one_by_one, at_scoring, rebuilt, rebuilt_from_store = [], [], [], [], [], []
            for _ in range(args.runs):
                await settle(system)
                lag.append(await lag_at_rate(system, token, load_ids, probes, args.lag_rate, args.seconds * 2))
                print("lag:", lag[-1], flush=True)
            for _ in range(args.runs):
                await settle(system)
                lag_within.append(await lag_at_rate(system, token, load_ids, probes, within_rate, args.seconds * 2))
                print("lag within capacity:", lag_within[-1], flush=True)
            for _ in range(args.runs):
                one_by_one.append(await score_one_by_one(system, cadre_ids))
                print("score one by one at scoring:", one_by_one[-1], flush=True)
                at_scoring.append(await score_under_load(system, token, cadre_ids, args.score_rate, args.seconds, False))
                print("score at scoring:", at_scoring[-1], flush=True)
            rss = {name: max(rss_mib(p.pid), rss_after_import[name]) for name, p in system.processes.items()}
            for _ in range(args.rebuild_runs):
                await settle(system)
                rebuilt.append(await rebuild(system, from_store=False))
                print("rebuild from the topic:", rebuilt[-1], flush=True)
                await settle(system)
                rebuilt_from_store.append(await rebuild(system, from_store=True))
                print("rebuild from the store:", rebuilt_from_store[-1], flush=True)
    return {
        "import": imported,
        "lag": med(lag, "achieved_per_s", "lag_p50_ms", "lag_p99_ms"),
        "lag_runs": [r["lag_p99_ms"] for r in lag],
        "lag_within": med(lag_within, "achieved_per_s", "lag_p50_ms", "lag_p99_ms"),
        "one_by_one": med(one_by_one, "p50_ms", "p99_ms"),
        "at_scoring": med(at_scoring, "achieved_per_s", "p50_ms", "p99_ms"),
        "rebuilt": med(rebuilt, "messages", "seconds", "per_s", "city_s"),
        "rebuilt_from_store": med(rebuilt_from_store, "messages", "seconds", "per_s", "city_s", "command_s"),
        "equal": all(r["equal"] for r in rebuilt + rebuilt_from_store),
        "rss": rss,
    }
