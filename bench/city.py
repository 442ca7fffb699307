"""City speed (issues 6 and 22): every target's figure in one run, on the production wiring.

``bench/run city`` starts PostgreSQL and Kafka with the project's scripts, then measures, in this order:

1. **Append rates side by side** on one PostgreSQL (``bench.append_rates``): Shiji's store, Emmett, Shiji's
   service path, the eventsourcing library, COPY; 16 writers, one event per transaction, ``--runs`` runs of
   ``--seconds``, the paths in reverse order every other run. Targets: store ahead of Emmett; service path
   ≥ 3× the library. (The Kafka clients compared: ``bench/run kafka_clients``, on an unsecured broker.)
2. **What a write and a read cost through the gateway** (``bench.gateway_cost``, one run per process, ``--runs``
   times), alternated with the same bench on the code of ``--gateway-before`` (default: ``main`` when the issue
   began, 43f85fc, with this ``bench/`` copied in and the ``crc32c`` module hidden, as it did not depend on it):
   CPU per write across the processes (target: halved), entries/s and p99 (target ≥ 400/s at p99 < 200 ms), and
   the ratio to a bare FastAPI + asyncpg append endpoint measured in the same run.
3. **A generated slice imported and flowing** (``bench.city_slice``): the import's rate (target ≥ 30,000 events/s),
   stored, published and scored scaled to 13.3 M events (target < 15 min), the end-to-end lag, one cadre's score
   at the scoring service, the slice's rebuilds, the services' memory.
4. **The province model's check** (``bench.province_check``): two scoring and two gateway processes, the CPU of
   each per entry (docs/province.md).
5. **A whole city** (``bench.city_state``, ``--name``; built when missing, ~20 min, ~17 GB, kept for the next run
   unless ``--drop``): the rebuild of scoring from its 13.3 M-event store into a fresh database (target < 60 s),
   then what a clerk waits for (``bench.city_waits``: one cadre's score at 1,000/s, the whole city's screening,
   a class ranking, a cadre's dossier page, a unit's warnings list).

Each figure is the median of ``--runs`` runs except the import and the rebuilds (once each). The results are
printed and written into ``bench/RESULTS.md`` between the ``city`` markers (``--no-write`` to leave it).
``--skip`` leaves out parts by number (a shorter run while working; the written section says which).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uvloop

from bench import append_rates, city_slice, city_state, city_waits, province_check, rebuild_city
from bench.loads import KAFKA, PG
from bench.machine import machine, median, replace_section
from tests.conftest import PgDatabases
from tests.support import connections as c

RESULTS = Path(__file__).with_name("RESULTS.md")
BEGIN, END = "<!-- bench/run city: begin -->", "<!-- bench/run city: end -->"
REPO = Path(__file__).resolve().parents[1]
GATEWAY_BEFORE_CPU_MS = 12.43  # the round-two "before" when no checkout is measured (RESULTS.md, Gateway round two)


def met(ok: bool) -> str:
    return "met" if ok else "**not met**"


# ------------------------------------------------------------------------------- 1. append rates

async def appends(args: argparse.Namespace) -> dict:
    paths = ["shiji store", "emmett", "shiji service", "eventsourcing", "COPY"]
    rates = await append_rates.measure(args.runs, args.seconds, 200_000, paths)
    per_run = {(a, b): [x.per_second / y.per_second for x, y in zip(rates[a], rates[b], strict=True)]
               for a, b in (("shiji store", "emmett"), ("shiji service", "eventsourcing"))}
    return {"rates": rates, "per_run": per_run}


def append_lines(a: dict) -> list[str]:
    rates, per_run = a["rates"], a["per_run"]
    m = {k: median([r.per_second for r in v]) for k, v in rates.items()}
    cpu = {k: median([r.client_cpu for r in v]) * 1e6 for k, v in rates.items()}
    server = {k: median([r.server_cpu for r in v if r.server_cpu is not None] or [0.0]) * 1e6 for k, v in rates.items()}
    store_emmett, service_lib = (median(per_run[k]) for k in per_run)

    def runs(path: str) -> str:
        return " / ".join(f"{r.per_second:,.0f}" for r in rates[path])

    return [
        f"| store append, 16 writers, one event each (`store.append_alone`) against Emmett's `appendToStream` | "
        f"{m['shiji store']:,.0f} against {m['emmett']:,.0f} events/s: **{store_emmett:.2f}×** (per-run ratios "
        f"{', '.join(f'{x:.2f}' for x in per_run[('shiji store', 'emmett')])}); CPU per event client + server "
        f"{cpu['shiji store']:,.0f} + {server['shiji store']:,.0f} µs against {cpu['emmett']:,.0f} + "
        f"{server['emmett']:,.0f} µs | > 1× | {met(store_emmett > 1)} |",
        f"| service path (`DossierService.execute(\"record_entry\")`, Idempotency-Key) against the eventsourcing "
        f"library's `save()` | {m['shiji service']:,.0f} against {m['eventsourcing']:,.0f} events/s: "
        f"**{service_lib:.2f}×** (per-run {', '.join(f'{x:.2f}' for x in per_run[('shiji service', 'eventsourcing')])})"
        f" | ≥ 3× | {met(service_lib >= 3)} |",
        f"| (COPY of pre-built rows, the ceiling) | {m['COPY']:,.0f} events/s | | |",
        "",
        "Append runs (events/s): store " + runs("shiji store") + "; Emmett " + runs("emmett") + "; service "
        + runs("shiji service") + "; eventsourcing " + runs("eventsourcing") + "; COPY " + runs("COPY") + ".",
    ]


# ------------------------------------------------------------------------- 2. the gateway's cost

def before_checkout(ref: str, folder: Path) -> tuple[Path, dict[str, str]]:
    """The code of ``ref`` in a worktree, with this bench copied in; its environment hides ``crc32c`` (a later
    dependency: kafka-python would take it if importable)."""
    checkout = folder / "before"
    subprocess.run(["git", "worktree", "add", "--detach", "-q", str(checkout), ref], cwd=REPO, check=True)
    shutil.copytree(REPO / "bench", checkout / "bench", dirs_exist_ok=True)
    hidden = folder / "hide-crc32c"
    hidden.mkdir()
    (hidden / "crc32c.py").write_text("raise ImportError('hidden: the code before did not depend on crc32c')\n")
    return checkout, {"PYTHONPATH": f"{hidden}{os.pathsep}{checkout}"}


def gateway_run(cwd: Path, extra_env: dict[str, str], label: str, out: Path, args: argparse.Namespace) -> dict:
    subprocess.run([sys.executable, "-m", "bench.gateway_cost", "--runs", "1", "--writes", str(args.writes),
                    "--clients", str(args.clients), "--seconds", str(args.seconds), "--json", str(out), "--label", label],
                   cwd=cwd, env={**os.environ, **extra_env}, check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text().splitlines()[-1])


async def gateway(args: argparse.Namespace) -> dict:
    runs: dict[str, list[dict]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        checkout = None
        try:
            if args.gateway_before:
                checkout, before_env = await asyncio.to_thread(before_checkout, args.gateway_before, folder)
            for run in range(args.runs):
                order = ["before", "after"] if run % 2 == 0 else ["after", "before"]
                for label in order:
                    if label == "before" and checkout is None:
                        continue
                    cwd, env = (checkout, before_env) if label == "before" else (REPO, {})
                    runs[label].append(await asyncio.to_thread(gateway_run, cwd, env, label,
                                                               folder / f"{label}.jsonl", args))
                    print(f"gateway {label}:", {k: v.get("cpu_ms") for k, v in runs[label][-1].items()
                                                if isinstance(v, dict)}, flush=True)
        finally:
            if checkout is not None:
                subprocess.run(["git", "worktree", "remove", "--force", str(checkout)], cwd=REPO, check=False)
    return runs


def gateway_lines(g: dict, args: argparse.Namespace) -> list[str]:
    def total(run: dict, phase: str) -> float:
        return sum(run[phase]["cpu_ms"].values())

    after = g["after"]
    w_cpu = median([total(r, "writes") for r in after])
    r_cpu = median([total(r, "reads") for r in after])
    before = median([total(r, "writes") for r in g["before"]]) if g["before"] else GATEWAY_BEFORE_CPU_MS
    before_from = (f"the code of {args.gateway_before} in the same run (runs "
                   + " / ".join(f"{total(r, 'writes'):.2f}" for r in g["before"]) + ")") if g["before"] else \
        "round two's before, another run"
    per_s = median([r["writes"]["per_s"] for r in after])
    p99 = median([r["writes"]["p99_ms"] for r in after])
    ratios = [r["writes"]["per_s"] / r["bare"]["per_s"] for r in after]
    by_process = {name: median([r["writes"]["cpu_ms"][name] for r in after]) for name in after[0]["writes"]["cpu_ms"]}
    reads = {k: median([r["reads"][k] for r in after]) for k in ("achieved_per_s", "p50_ms", "p99_ms")}
    return [
        f"| CPU per write through the gateway, all processes (gateway, dossier, scoring applying it, PostgreSQL) | "
        f"**{w_cpu:.2f} ms** (" + ", ".join(f"{k} {v:.2f}" for k, v in by_process.items()) + "; runs "
        + " / ".join(f"{total(r, 'writes'):.2f}" for r in after) + f") against **{before:.2f} ms** before, "
        f"{before_from}: **{w_cpu / before:.2f}×** | ≤ 0.5× | {met(w_cpu <= before / 2)} |",
        f"| entries through the gateway, {args.clients} clients, closed loop ({args.writes:,} a run) | "
        f"{per_s:,.0f}/s, p99 {p99:,.0f} ms; ÷ the bare FastAPI + asyncpg endpoint's "
        f"{median([r['bare']['per_s'] for r in after]):,.0f}/s: **{median(ratios):.2f}** (runs "
        f"{', '.join(f'{x:.2f}' for x in ratios)}) | ≥ 400/s at p99 < 200 ms | {met(per_s >= 400 and p99 < 200)} |",
        f"| (one cadre's score through the gateway, 1,000/s asked, 100 cadres) | "
        f"{reads['achieved_per_s']:,.0f}/s answered, p50 {reads['p50_ms']:,.1f} ms, p99 {reads['p99_ms']:,.1f} ms; "
        f"{r_cpu:.2f} ms of CPU a read | | |",
    ]


# ------------------------------------------------------------------------------ 3. the slice

def slice_lines(s: dict, args: argparse.Namespace) -> list[str]:
    imp, lg, lw, ob, sc = s["import"], s["lag"], s["lag_within"], s["one_by_one"], s["at_scoring"]
    rb, rs = s["rebuilt"], s["rebuilt_from_store"]
    return [
        f"| bulk import (`shiji import`, every row validated and chained), {imp['events']:,} events "
        f"({imp['refused']} refused) | **{imp['stored_per_s']:,.0f} events/s** | ≥ 30,000/s | "
        f"{met(imp['stored_per_s'] >= 30000)} |",
        f"| stored, published and scored | {imp['stored_s']:.0f} / {imp['published_s']:.0f} / {imp['scored_s']:.0f} s "
        f"→ **{imp['city_minutes']:,.0f} min** for 13.3 M | < 15 min | {met(imp['city_minutes'] < 15)} |",
        f"| (end-to-end lag, {args.lag_rate:,.0f} entries/s asked, {lg['achieved_per_s']:,.0f}/s taken) | "
        f"p50 {lg['lag_p50_ms']:,.0f} ms, p99 {lg['lag_p99_ms']:,.0f} ms | | |",
        f"| (same, at half the gateway's measured write rate, {lw['achieved_per_s']:,.0f}/s) | "
        f"p50 {lw['lag_p50_ms']:,.0f} ms, p99 {lw['lag_p99_ms']:,.0f} ms | | |",
        f"| (one cadre's score at the scoring service: one after another / {args.score_rate:,.0f}/s asked) | "
        f"p99 {ob['p99_ms']:.1f} ms / {sc['achieved_per_s']:,.0f}/s answered, p99 {sc['p99_ms']:,.1f} ms | | |",
        f"| (rebuild of the slice's scoring: from the store / replaying the topic) | {rs['messages']:,.0f} events "
        f"in {rs['seconds']:.1f} s / {rb['messages']:,.0f} messages in {rb['seconds']:.1f} s (both equal to the live "
        f"projections: {s['equal']}) | | |",
        "| (resident memory, max of after the import and after the loads) | "
        + ", ".join(f"{k} {v:,.0f} MiB" for k, v in s["rss"].items()) + " | | |",
    ]


# ------------------------------------------------------------------------------ 5. a whole city

async def rebuild_city_size(name: str) -> dict[str, float]:
    """``shiji rebuild scoring --from-store`` the city state's store, into a fresh database (then dropped)."""
    dbs = PgDatabases(PG)
    try:
        store = PG.url(city_state.names(name)["dossier"], c.STORE_READER if PG.secured else "postgres")
        env = {"SHIJI_SCORING_DATABASE_URL": await dbs.create("scoring"), **KAFKA.service_env(c.KAFKA_ADMIN),
               "SHIJI_KAFKA_TOPIC": f"bench.city-rebuild.{os.getpid()}"}
        return await rebuild_city.rebuild_once(dbs, store, await rebuild_city.entries_in(store), env)
    finally:
        await dbs.drop_all()


def rebuild_line(r: dict[str, float]) -> str:
    return (f"| rebuild of scoring from a whole city's store (`shiji rebuild scoring --from-store`), "
            f"{r['events']:,} events | **{r['seconds']:.0f} s** (copy {r['copy_s']:.0f}, facts {r['fill_s']:.0f}, "
            f"current entries {r['current_s']:.0f}, indexes and keys {r['index_s']:.0f} s); {r['entries']:,} entries "
            f"| < 60 s | {met(r['seconds'] < 60)} |")


# ------------------------------------------------------------------------------------------ main

async def measure(args: argparse.Namespace) -> str:
    started = time.perf_counter()
    skip = {int(x) for x in args.skip.split(",") if x}
    targets = ["| target | measured | target | |", "|---|---|---|---|"]
    notes: list[str] = []
    if 1 not in skip:
        a = await appends(args)
        targets += (lines := append_lines(a))[:3]
        notes.append(lines[-1])
    gateway_rate = 200.0
    if 2 not in skip:
        g = await gateway(args)
        targets += gateway_lines(g, args)
        gateway_rate = median([r["writes"]["per_s"] for r in g["after"]])
    if 3 not in skip:
        s = await city_slice.measure(args, round(gateway_rate / 2))
        targets += slice_lines(s, args)
    province = ""
    if 4 not in skip:
        p_args = argparse.Namespace(seconds=40, writers=32, readers=16, cadres=100, partitions=4, idle_seconds=10)
        province = province_check.report(p_args, await province_check.measure(p_args)).split("\n", 1)[1]
    city = ""
    if 5 not in skip:
        if not await city_waits.exists(args.name):
            await city_state.build(args.name, city_state.Shape())
        rebuilt = await rebuild_city_size(args.name)
        print("rebuild at city size:", rebuilt, flush=True)
        targets.append(rebuild_line(rebuilt))
        w_args = argparse.Namespace(name=args.name, runs=args.runs, seconds=args.seconds, score_rate=args.score_rate,
                                    page=500, pages=100, only=None)
        city = (await city_waits.measure(w_args)).split("\n", 2)[2]
        if args.drop:
            await city_state.drop(args.name)
    lines = [f"Machine: {machine()}", "",
             f"Whole run {(time.perf_counter() - started) / 60:.0f} min; each figure the median of {args.runs} runs "
             f"of {args.seconds:.0f} s unless said; the import and the rebuilds once"
             + (f"; parts left out: {', '.join(map(str, sorted(skip)))}" if skip else "") + ".", "", *targets, "",
             *notes]
    if province:
        lines += ["", "**A province on paper, checked** (docs/province.md): two scoring and two gateway processes, "
                  "one dossier:", province]
    if city:
        lines += ["", f"**What a clerk waits for, at city size** (the city state `{args.name}`, through the gateway):",
                  "", city]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cadres", type=int, default=1000, help="cadres of the imported slice")
    parser.add_argument("--events", type=int, default=100_000, help="events of the imported slice")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rebuild-runs", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each timed run")
    parser.add_argument("--lag-rate", type=float, default=500.0)
    parser.add_argument("--score-rate", type=float, default=1000.0)
    parser.add_argument("--writes", type=int, default=2000, help="entries through the gateway a run (part 2)")
    parser.add_argument("--clients", type=int, default=32, help="part 2's concurrent writers")
    parser.add_argument("--gateway-before", default="43f85fc", help="the code part 2 is compared with ('' for none)")
    parser.add_argument("--name", default="city22", help="the city state of part 5 (bench/city_state.py)")
    parser.add_argument("--drop", action="store_true", help="drop the city state at the end (~17 GB)")
    parser.add_argument("--skip", default="", help="parts to leave out, by number (e.g. 4,5)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args()
    section = uvloop.run(measure(args))  # the loop the services serve on, as append_rates measures on
    print(section)
    if not args.no_write:
        replace_section(RESULTS, BEGIN, END, f"## City speed, one run of `bench/run city {' '.join(sys.argv[1:])}` "
                        f"({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)\n\n{section}")


if __name__ == "__main__":
    main()
