"""Paper and spreadsheets at city size (issue 18), on the production wiring (three ``shiji serve`` processes).

``bench/run documents`` (PostgreSQL and Kafka up):

1. a generated city (``services.demo_city``, as ``shiji demo generate`` makes it; ``--cadres``, default the city's
   68,553, with ``--years`` of history, default 1: a registration, a post, a year's grade and appraisal level and
   few entries each, so a shared 2-core machine imports it in minutes, not hours) imported with ``shiji import``
   while the services run, and waited for until every event is published and scored;
2. one appraisal sheet as PDF at the gateway, one request after another: p50/p99 (the JSON sheet beside it);
3. the whole city's screening as XLSX at the gateway (``GET /screenings?unit=city``, every cadre one row): seconds
   and the gateway's peak resident memory while it answers (sampled every 20 ms from /proc), beside the same
   screening as JSON; the workbook's rows are read back to count them;
4. the same rows of ``record_entry`` imported through the gateway as CSV and as XLSX (a workbook as a clerk fills
   it: numbers as numbers, dates as dates), alternately, each run with its own row keys so every row is recorded:
   rows per second, the median of ``--runs``.

``--workbook-only`` measures the gateway's own part of the screening's workbook without servers: a city's screening
(68,553 generated rows, the JSON the gateway gets from scoring) turned into the workbook by the gateway's code
(``negotiation.xlsx_answer``), in this process, twice: read in pages as the gateway now reads it (issue 18: each
page generated only when asked for), and as the one answer scoring gave before; wall and CPU seconds, and the
resident memory sampled while each is made. On a shared machine the CPU seconds are the figure to compare: wall
time there is mostly waiting for a core.

The gateway's upstream timeout is raised for the run (a city's screening takes scoring longer than the default
10 s) and its rate limit lifted (one bench client is one subject). The section is printed and written into
``bench/RESULTS.md`` between the ``documents`` markers (``--no-write`` to leave it). Every database and topic the
run made is dropped at its end (``tests.support.production``).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import io
import json
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.loads import KAFKA, PG, maintain, metric_sum, shiji, wait_until
from bench.machine import machine, median, percentile, replace_section
from services.demo_city import CityShape, write_ndjson
from shared.documents.xlsx import XLSX, read_sheet
from tests.support.production import ProductionSystem, production_system
from tests.support.workbooks import workbook

RESULTS = Path(__file__).with_name("RESULTS.md")
BEGIN, END = "<!-- bench/run documents: begin -->", "<!-- bench/run documents: end -->"
CITY_CADRES = 68_553
EXTRA_ENV = {"SHIJI_GATEWAY_RATE_LIMIT_PER_S": "1000000", "SHIJI_GATEWAY_RATE_LIMIT_BURST": "1000000",
             "SHIJI_GATEWAY_UPSTREAM_TIMEOUT_S": "600"}
YEAR = dt.date.today().year - 1
COLUMNS = ["operation", "row_key", "cadre_id", "kind", "category", "title", "points", "effective_date",
           "basis.reason", "basis.document"]


class PeakMemory:
    """The peak resident memory (MiB) of process ``pid`` while the ``with`` block runs, sampled every 20 ms."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()

    def _rss(self) -> float:
        with open(f"/proc/{self.pid}/status") as status:
            return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> PeakMemory:
        self.before = self.peak = self._rss()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


async def import_city(system: ProductionSystem, shape: CityShape, workdir: Path) -> dict[str, Any]:
    path = workdir / "city.ndjson"
    with path.open("w", encoding="utf-8", newline="\n") as out:
        write_ndjson(shape, out)
    started = time.perf_counter()
    report = json.loads(await asyncio.to_thread(shiji, "import", str(path), env=system.env))
    stored_s = time.perf_counter() - started

    async def drained() -> bool:
        return ((await metric_sum(system.dossier_url, "shiji_relay_lag_events", system.tls)) == 0
                and (await metric_sum(system.scoring_url, "shiji_scoring_consumer_lag_messages", system.tls)) == 0)
    scored_s = stored_s + await wait_until(drained, 7200)
    return {"rows": report["rows"], "events": report["events"], "refused": report["refused"], "stored_s": stored_s,
            "scored_s": scored_s}


async def cadre_ids(client: httpx.AsyncClient, headers: dict[str, str], wanted: int) -> list[str]:
    ids, cursor = [], None
    while len(ids) < wanted:
        page = (await client.get("/api/v1/cadres", params={"unit": "city", "limit": 500,
                                                           **({"cursor": cursor} if cursor else {})},
                                 headers=headers)).json()
        ids += [c["cadre_id"] for c in page["cadres"]]
        if not (cursor := page["next"]):
            break
    return ids[:wanted]


async def pdf_latency(client: httpx.AsyncClient, headers: dict[str, str], cadre_id: str,
                      requests: int) -> dict[str, Any]:
    path, params = f"/api/v1/cadres/{cadre_id}/appraisal-sheet", {"year": YEAR}
    timings: dict[str, list[float]] = {"pdf": [], "json": []}
    size = 0
    for accept in ("pdf", "json"):
        for n in range(requests + 3):  # three to warm up
            started = time.perf_counter()
            r = await client.get(path, params=params, headers={**headers, "Accept": f"application/{accept}"})
            elapsed = (time.perf_counter() - started) * 1000
            assert r.status_code == 200, r.text[:300]
            if n >= 3:
                timings[accept].append(elapsed)
            size = len(r.content) if accept == "pdf" else size
    return {"p50": median(timings["pdf"]), "p99": percentile(timings["pdf"], 99), "bytes": size,
            "json_p50": median(timings["json"]), "json_p99": percentile(timings["json"], 99)}


async def city_screening(system: ProductionSystem, client: httpx.AsyncClient,
                         headers: dict[str, str]) -> dict[str, Any]:
    pid = system.processes["gateway"].pid
    out: dict[str, Any] = {}
    for media in (XLSX, "application/json"):  # the workbook first: the JSON's allocations do not inflate it
        with PeakMemory(pid) as memory:
            started = time.perf_counter()
            r = await client.get("/api/v1/screenings", params={"unit": "city"}, headers={**headers, "Accept": media},
                                 timeout=900)
            seconds = time.perf_counter() - started
        assert r.status_code == 200 and r.headers["content-type"] == media, r.text[:300]
        key = "xlsx" if media == XLSX else "json"
        out[key] = {"seconds": seconds, "bytes": len(r.content), "rss_before": memory.before, "rss_peak": memory.peak}
        if media == XLSX:
            out[key]["rows"] = len(read_sheet(r.content)) - 1
        else:
            body = r.json()
            out[key]["rows"] = len(body["eligible"]) + len(body["ineligible"]) + len(body["undetermined"])
    return out


def import_rows(ids: list[str], rows: int, tag: str) -> list[list[Any]]:
    return [["record_entry", f"{tag}-{n}", ids[n % len(ids)], "positive", "honour", f"表格导入第{n}项", 1 + n % 4,
             dt.date(YEAR, n % 12 + 1, 10), "季度考核认定", f"示组字〔{YEAR}〕{n}号"] for n in range(rows)]


def as_csv(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([[v.isoformat() if isinstance(v, dt.date) else v for v in row] for row in rows])
    return out.getvalue().encode()


def as_xlsx(rows: list[list[Any]]) -> bytes:
    return workbook(COLUMNS, rows)


async def import_rates(client: httpx.AsyncClient, headers: dict[str, str], ids: list[str], rows: int,
                       runs: int) -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {"csv": [], "xlsx": []}
    for _ in range(runs):
        for kind, media, encode in (("csv", "text/csv", as_csv), ("xlsx", XLSX, as_xlsx)):
            content = encode(import_rows(ids, rows, f"bench-{kind}-{uuid.uuid4().hex[:8]}"))
            started = time.perf_counter()
            r = await client.post("/api/v1/imports", content=content, timeout=900,
                                  headers={**headers, "Content-Type": media, "Accept": "application/json"})
            seconds = time.perf_counter() - started
            report = r.json()
            assert r.status_code == 200 and report["recorded"] == rows, r.text[:500]
            rates[kind].append(rows / seconds)
    return rates


def screening_answer(rng: random.Random, cadres: int) -> dict[str, Any]:
    """A generated screening answer of ``cadres`` cadres, as scoring gives it (a page or the whole list)."""
    answer: dict[str, Any] = {"unit": "city", "as_of": dt.date.today().isoformat(), "eligible": [], "ineligible": [],
                              "undetermined": []}
    for _ in range(cadres):
        cadre_id, r = str(uuid.UUID(int=rng.getrandbits(128))), rng.random()
        if r < 0.5:
            answer["eligible"].append(cadre_id)
        elif r < 0.8:
            answer["ineligible"].append({"cadre_id": cadre_id, "excluded_by": ["years_in_post_min",
                                                                                "mass_satisfaction_min"][:rng.randint(1, 2)]})
        else:
            answer["undetermined"].append({"cadre_id": cadre_id, "unknown": ["mass_satisfaction_min"]})
    return answer


async def workbook_of(cadres: int, page: int | None) -> dict[str, Any]:
    """The gateway's code making the workbook of a generated screening of ``cadres``: one answer (``page`` None,
    as before paging) or pages of ``page`` cadres, each made only when asked for: seconds, rows, the process's peak
    resident memory after."""
    from fastapi import Response

    from services.gateway.negotiation import xlsx_answer
    from shared.documents import lists

    rng, left = random.Random(1), cadres

    async def next_page(_cursor: str | None = None) -> Response:
        nonlocal left
        size = min(left, page or cadres)
        left -= size
        body = {**screening_answer(rng, size), "next": "more" if left else None}
        return Response(json.dumps(body).encode(), media_type="application/json")

    with PeakMemory(os.getpid()) as memory:
        wall, cpu = time.perf_counter(), time.process_time()
        made = await xlsx_answer(lists.SCREENINGS, "screenings.xlsx", await next_page(), next_page)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"wall": wall, "cpu": cpu, "path": Path(made.path), "before": memory.before, "peak": memory.peak}


def counted(made: dict[str, Any]) -> dict[str, Any]:
    """``made`` with its workbook's rows (read back) and size; the workbook removed."""
    path = made.pop("path")
    made.update(rows=len(read_sheet(path.read_bytes())) - 1, mib=path.stat().st_size / 2**20)
    path.unlink()
    return made


async def workbook_only(cadres: int) -> str:
    """Paged first, then whole, each workbook read back only once both are made (reading one takes more memory
    than making it); the resident memory is sampled every 20 ms while each is made."""
    from services.gateway.routes.jurisdiction import WORKBOOK_PAGE

    paged = await workbook_of(cadres, WORKBOOK_PAGE)
    whole = await workbook_of(cadres, None)
    line = ("| a screening of {cadres:,} cadres made into its workbook by the gateway's code, {how} ({rows:,} rows, "
            "{mib:.1f} MiB) | {cpu:.2f} s CPU ({wall:.1f} s wall); resident memory {before:.0f} → peak {peak:.0f} MiB "
            "(+{rise:.0f}) |")
    return (f"Machine: {machine()}\n\n| figure | measured |\n|---|---|\n"
            + "\n".join(line.format(cadres=cadres, how=how, rise=m["peak"] - m["before"], **counted(m))
                        for how, m in ((f"read in pages of {WORKBOOK_PAGE:,} (now)", paged),
                                       ("read as one answer (before)", whole))))


async def measure(args: argparse.Namespace) -> str:
    print(f"machine: {machine()}", flush=True)
    began = time.perf_counter()
    async with production_system(PG, KAFKA, extra_env=EXTRA_ENV) as system:
        headers = {"Authorization": f"Bearer {system.token(unit='city')}"}
        # Ending 450 days ago: a one-year city's first posts (up to a year after its start) and transfers (400 days
        # after those at the earliest) are not in the future.
        shape = CityShape(cadres=args.cadres, events=args.events or args.cadres * 5, seed=1, years=args.years,
                          end=dt.date.today() - dt.timedelta(days=450))
        with tempfile.TemporaryDirectory() as tmp:
            city = await import_city(system, shape, Path(tmp))
        print("import:", city, flush=True)
        await maintain(system)
        async with httpx.AsyncClient(base_url=system.gateway_url, timeout=120) as client:
            ids = await cadre_ids(client, headers, max(args.import_cadres, 1))
            sheet = await pdf_latency(client, headers, ids[0], args.pdf_requests)
            print("pdf:", sheet, flush=True)
            screening = await city_screening(system, client, headers)
            print("screening:", screening, flush=True)
            rates = await import_rates(client, headers, ids, args.import_rows, args.runs)
            print("import rates:", rates, flush=True)
    minutes = (time.perf_counter() - began) / 60
    return report(args, city, sheet, screening, rates, minutes)


def report(args: argparse.Namespace, city: dict, sheet: dict, screening: dict, rates: dict, minutes: float) -> str:
    x, j = screening["xlsx"], screening["json"]
    csv_rate, xlsx_rate = median(rates["csv"]), median(rates["xlsx"])
    lines = [
        f"Machine: {machine()}", "",
        f"Scale: {args.cadres:,} cadres ({'the city' if args.cadres == CITY_CADRES else 'a slice'}) with "
        f"{args.years} year(s) of history, {city['events']:,.0f} events imported with `shiji import` "
        f"({city['stored_s']:.0f} s) and scored ({city['scored_s']:.0f} s); "
        f"whole run {minutes:.1f} min.", "",
        "| figure | measured |", "|---|---|",
        f"| one appraisal sheet as PDF at the gateway, {args.pdf_requests} requests one after another "
        f"({sheet['bytes'] / 1024:.0f} kB) | p50 **{sheet['p50']:.0f} ms**, p99 **{sheet['p99']:.0f} ms** |",
        f"| the same sheet as JSON | p50 {sheet['json_p50']:.0f} ms, p99 {sheet['json_p99']:.0f} ms |",
        f"| the city's screening as XLSX at the gateway ({x['rows']:,} rows, {x['bytes'] / 2**20:.1f} MiB) | "
        f"**{x['seconds']:.1f} s**; gateway resident memory {x['rss_before']:.0f} → peak **{x['rss_peak']:.0f} MiB** |",
        f"| the same screening as JSON ({j['rows']:,} cadres, {j['bytes'] / 2**20:.1f} MiB) | {j['seconds']:.1f} s; "
        f"gateway {j['rss_before']:.0f} → peak {j['rss_peak']:.0f} MiB |",
        f"| bulk import through the gateway, {args.import_rows:,} `record_entry` rows as CSV | "
        f"**{csv_rate:,.0f} rows/s** |",
        f"| the same rows as an XLSX workbook | **{xlsx_rate:,.0f} rows/s** = {xlsx_rate / csv_rate:.2f}× CSV |",
        "",
        "Runs (rows/s): CSV " + " / ".join(f"{r:,.0f}" for r in rates["csv"]) + "; XLSX "
        + " / ".join(f"{r:,.0f}" for r in rates["xlsx"]) + ".",
    ]
    return "\n".join(lines)


def write_results(section: str, command: str) -> None:
    replace_section(RESULTS, BEGIN, END, f"### One run of `{command}` ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)"
                    f"\n\n{section}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cadres", type=int, default=CITY_CADRES)
    parser.add_argument("--events", type=int, default=0, help="about this many in all (default: 5 a cadre, about the fewest)")
    parser.add_argument("--years", type=int, default=1, help="years of history of the generated city")
    parser.add_argument("--pdf-requests", type=int, default=100)
    parser.add_argument("--import-rows", type=int, default=2_000)
    parser.add_argument("--import-cadres", type=int, default=500, help="the cadres the imported rows name")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    parser.add_argument("--workbook-only", action="store_true", help="only the workbook of a city's screening, "
                                                                     "in this process, no servers (printed)")
    args = parser.parse_args()
    if args.workbook_only:
        print(asyncio.run(workbook_only(args.cadres)))
        return
    section = asyncio.run(measure(args))
    print(section)
    if not args.no_write:
        write_results(section, "bench/run documents " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
