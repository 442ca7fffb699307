"""The annual comprehensive assessment at province size (issue 16's figures).

- **Pure core**: a year of a province (001, 004): 108 units in 3 classes with 50 indicators (48 data indicators of
  every scoring function, a level, a veto constraint) read monthly (12 readings each, 62,316 rows) and a quarterly
  routine score; 220 leadership teams with 20 quarterly indicators and 3 evaluation scores; 1,847 cadres with
  4 evaluation components (routine by quarter). Full recomputation of every subject: the as-of choice among
  the rows (``read_model.inputs_as_of``), every composite (``assess``), the proposals and ranks with the two
  ends (``propose_all``, ``standings``). Target < 1 s for the 108 x 50 x 12 case.
- **Gateway**: one unit's explained result (``GET /api/v1/assessments/{id}/subjects/{unit}``) on the embedded
  wiring (SQLite, in-process ASGI) after the same year of units is imported through the gateway: sequential
  requests, p50 / p99, side by side in one run: with the computed year kept between reads (scoring's
  ``assessment_cache``, the steady state) and with it computed on every read (the cache off: what a read costs
  right after an input of the scheme arrives, and what every read cost before). Target p99 < 20 ms.

Figures are the median of ``--runs`` runs. Run: ``bench/run assessment`` (or ``.venv/bin/python -m bench.assessment``;
the embedded part needs no servers). ``--profile`` prints cProfile's top functions of one recomputation and of one
gateway read.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime as dt
import json
import pstats
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.machine import machine, median, percentile
from services.scoring.assessment import Subject, assess, propose_all, standings
from services.scoring.assessment.read_model import BREACH, READING, SCORE, InputRow, inputs_as_of
from shared.assessment_scheme import AssessmentScheme, parse_scheme

YEAR = dt.date.today().year - 1
NOW = dt.datetime.now(dt.UTC)
UNIT_CLASSES = ["central_district", "new_district", "development_zone"]  # 004
TEAM_CLASSES = ["comprehensive_department", "economic_department", "social_development_department"]  # 001
FUNCTIONS: list[dict[str, Any]] = [
    {"function": "linear_to_target", "cap": "120"},
    {"function": "bands", "otherwise": "40", "bands": [{"threshold": "110", "points": "100"},
                                                       {"threshold": "95", "points": "85"},
                                                       {"threshold": "80", "points": "70"}]},
    {"function": "compare", "basis": "class_average", "at_par": "80", "per_percent": "1"},
    {"function": "compare", "basis": "last_year", "at_par": "80", "per_percent": "2"},
    {"function": "rank_in_class", "step": "2", "floor": "40"},
]
LEVEL = {"function": "level_map", "scale": ["good", "fairly_good", "average", "poor"],
         "points": {"good": "100", "fairly_good": "85", "average": "70", "poor": "50"}}


def _each(classes: list[str], value: str) -> dict[str, str]:
    return dict.fromkeys(classes, value)


def scheme(kind: str, classes: list[str], data_indicators: int, scores: list[str], level: bool, veto: bool
           ) -> AssessmentScheme:
    """A scheme with ``data_indicators`` indicators cycling through every function; illustrative weights."""
    indicators: list[dict[str, Any]] = []
    if data_indicators:
        per = 100 // (data_indicators + (2 if level else 0))
        rest = 100 - per * data_indicators
        for n in range(data_indicators):
            indicators.append({"id": f"d{n:02d}", "name": f"数据指标{n}", "component": "work", "kind": "data",
                               "weights": _each(classes, str(per)), "targets": _each(classes, "100"),
                               "scoring": FUNCTIONS[n % len(FUNCTIONS)]})
        if level:
            indicators.append({"id": "level", "name": "等级指标", "component": "work", "kind": "level",
                               "weights": _each(classes, str(rest)), "scoring": LEVEL})
        else:
            indicators[0]["weights"] = _each(classes, str(per + rest))
        if veto:
            indicators.append({"id": "veto", "name": "约束指标", "component": "work", "kind": "constraint", "veto": True,
                               "weights": _each(classes, "0")})
    components = [{"id": "work", "name": "工作实绩", "source": "indicators", "missing": "renormalise",
                   "weights": _each(classes, "60")}] if data_indicators else []
    share = 40 if data_indicators else 100
    for n, c in enumerate(scores):
        w = share // len(scores) + (share % len(scores) if n == 0 else 0)
        components.append({"id": c, "name": c, "source": "score", "missing": "zero", "weights": _each(classes, str(w))})
    thresholds = {"unit": [("merit", "90"), ("pass", "60")], "team": [("excellent", "90"), ("good", "80"),
                                                                        ("average", "60")],
                  "cadre": [("excellent", "90"), ("competent", "70"), ("basically_competent", "60")]}[kind]
    return parse_scheme({
        "id": f"bench-{kind}", "version": 1, "effective_from": f"{YEAR}-01-01", "effective_to": f"{YEAR}-12-31",
        "reason": "基准测试方案（权重为示意）", "document": "bench（示意）", "subject_kind": kind,
        "classes": [{"id": c, "name": c} for c in classes], "components": components, "indicators": indicators,
        "grade_thresholds": [{"grade": g, "at_least": t} for g, t in thresholds]})


def _month_end(month: int) -> dt.date:
    return (dt.date(YEAR, month % 12 + 1, 1) if month < 12 else dt.date(YEAR + 1, 1, 1)) - dt.timedelta(days=1)


def rows(s: AssessmentScheme, subjects: list[Subject], months: list[int], seed: int) -> list[InputRow]:
    """Every input row of the year: a reading per data indicator per period, the level once, each score
    component per quarter, one breach."""
    rng = random.Random(seed)
    out: list[InputRow] = []

    def row(event_type: str, subject: str, item: str, period: str | None, day: dt.date, **values: str | None
            ) -> InputRow:
        ev = str(uuid.UUID(int=rng.getrandbits(128)))
        return InputRow(ev, event_type, ev, subject, item, period, day, values.get("value"), values.get("level"),
                        values.get("last_year"), values.get("note"), NOW, score=values.get("score"))

    for subj in subjects:
        form = rng.uniform(0.75, 1.15)
        for ind in s.indicators:
            if ind.kind == "data":
                for m in months:
                    period = f"{YEAR}-{m:02d}" if len(months) == 12 else f"{YEAR}-Q{(m - 1) // 3 + 1}"
                    out.append(row(READING, subj.subject_id, ind.id, period, _month_end(m),
                                   value=f"{100 * form * m / 12 * rng.uniform(0.9, 1.1):.2f}",
                                   last_year=f"{100 * m / 12 * rng.uniform(0.9, 1.1):.2f}"))
            elif ind.kind == "level":
                out.append(row(READING, subj.subject_id, ind.id, str(YEAR), dt.date(YEAR, 12, 20),
                               level=rng.choice(LEVEL["scale"])))
        for c in s.components:
            if c.source == "score":
                for q in range(1, 5):
                    out.append(row(SCORE, subj.subject_id, c.id, f"{YEAR}-Q{q}", _month_end(q * 3),
                                   score=f"{min(100.0, 85 * form + rng.uniform(-5, 5)):.1f}"))
    if any(i.veto for i in s.indicators):
        out.append(row(BREACH, subjects[0].subject_id, "veto", None, dt.date(YEAR, 8, 14), note="事故"))
    return out


def recompute(s: AssessmentScheme, subjects: list[Subject], input_rows: list[InputRow]) -> int:
    """Everything a results read computes from the rows: inputs as of the year's end, composites, proposals,
    ranks and the two ends. The number of subjects ranked."""
    classes = {x.subject_id: x.class_id for x in subjects}
    inputs, _ = inputs_as_of(s, input_rows, classes, dt.date(YEAR, 12, 31))
    results = assess(s, YEAR, subjects, inputs)
    propose_all(s, results, inputs, {})
    return len(standings(s, results.values()))


def cases() -> dict[str, tuple[AssessmentScheme, list[Subject], list[InputRow]]]:
    units = [Subject(f"u{n:03d}", UNIT_CLASSES[n % 3]) for n in range(108)]
    teams = [Subject(f"t{n:03d}", TEAM_CLASSES[n % 3]) for n in range(220)]
    cadres = [Subject(f"c{n:04d}", TEAM_CLASSES[n % 3]) for n in range(1847)]
    unit_scheme = scheme("unit", UNIT_CLASSES, 48, ["routine"], level=True, veto=True)
    team_scheme = scheme("team", TEAM_CLASSES, 20, ["routine", "superior", "democratic"], level=False, veto=False)
    cadre_scheme = scheme("cadre", TEAM_CLASSES, 0, ["routine", "superior", "democratic", "political_quality"],
                          level=False, veto=False)
    return {
        "108 units x 50 indicators x 12 monthly readings": (unit_scheme, units, rows(unit_scheme, units,
                                                                                    list(range(1, 13)), 1)),
        "220 teams x 20 indicators x 4 quarterly readings + 3 scores": (team_scheme, teams, rows(
            team_scheme, teams, [3, 6, 9, 12], 2)),
        "1,847 cadres x 4 evaluation scores by quarter": (cadre_scheme, cadres, rows(cadre_scheme, cadres, [], 3)),
    }


def pure(runs: int, profile: bool) -> dict[str, float]:
    figures = {}
    for name, (s, subjects, input_rows) in cases().items():
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            ranked = recompute(s, subjects, input_rows)
            times.append(time.perf_counter() - started)
        figures[name] = median(times)
        print(f"pure core, {name} ({len(input_rows):,} rows, {ranked} ranked): "
              f"median {median(times) * 1000:.0f} ms of {[round(t * 1000) for t in times]}", flush=True)
        if profile and name.startswith("108"):
            prof = cProfile.Profile()
            prof.runcall(recompute, s, subjects, input_rows)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(15)
    return figures


def import_rows(s: AssessmentScheme, subjects: list[Subject], input_rows: list[InputRow]) -> list[dict[str, Any]]:
    """The same year as import rows: the units, the scheme, each reading, score and breach."""
    out = [{"row_key": f"unit-{x.subject_id}", "operation": "register_unit", "params": {},
            "body": {"unit_id": f"bench-{x.subject_id}", "name": x.subject_id, "parent_id": "bench",
                     "level": "unit", "unit_class": x.class_id}} for x in subjects]
    doc = json.loads(s.model_dump_json())
    out.append({"row_key": "scheme", "operation": "publish_assessment_scheme", "params": {}, "body": {"scheme": doc}})
    for r in input_rows:
        params = {"unit_id": f"bench-{r.subject_id}", "year": YEAR}
        common = {"scheme_id": s.id, "effective_date": r.effective_date.isoformat() if r.effective_date else None}
        if r.event_type == READING:
            body = {**common, "indicator_id": r.item_id, "period": r.period, "source": "bench",
                    **({"value": r.value, "last_year": r.last_year} if r.value else {"level": r.level})}
            op = "record_unit_assessment_reading"
        elif r.event_type == SCORE:
            body = {**common, "component_id": r.item_id, "evaluation": "routine", "period": r.period,
                    "score": r.score, "source": "bench"}
            op = "record_unit_evaluation_score"
        else:
            body = {**common, "indicator_id": r.item_id, "note": r.note, "basis": {"reason": "bench", "document": "b"}}
            op = "record_unit_constraint_breach"
        out.append({"row_key": r.event_id, "operation": op, "params": params, "body": body})
    return out


async def gateway(requests: int, uncached_requests: int, runs: int, profile: bool, data_dir: Path | None = None
                  ) -> list[tuple[bool, float, float]]:
    from services.embedded import embedded_system, settled

    s, subjects, input_rows = cases()["108 units x 50 indicators x 12 monthly readings"]
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in import_rows(s, subjects, input_rows)).encode()
    figures = []
    with contextlib.ExitStack() as stack:
        tmp = data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        imported = (tmp / "imported").exists()
        async with embedded_system(tmp, demo=False) as system:
            clerk = {"Authorization": f"Bearer {system.token(subject='bench', unit='bench')}"}
            transport = httpx.ASGITransport(app=system.gateway)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=3600) as client:
                if not imported:  # a --data-dir imported before is read as it is
                    r = await client.post("/api/v1/units", json={"unit_id": "bench", "name": "省", "level": "city",
                                                                 "unit_class": "city"},
                                          headers={**clerk, "Idempotency-Key": "bench-root"})
                    r.raise_for_status()
                    started = time.perf_counter()
                    r = await client.post("/api/v1/imports", content=body, headers={
                        **clerk, "Content-Type": "application/x-ndjson", "Idempotency-Key": "bench-import"})
                    r.raise_for_status()
                    assert not r.json()["refused"], r.json()["errors"][:3]
                    await settled(system, timeout_s=3600)
                    print(f"embedded: imported {len(body.splitlines()):,} rows and scored them in "
                          f"{time.perf_counter() - started:.0f} s", flush=True)
                    (tmp / "imported").touch()
                path = f"/api/v1/assessments/{s.id}/subjects/bench-u007"
                years = system.scoring.state.assessment_reads.years
                for _ in range(runs):
                    for cached, n in ((False, uncached_requests), (True, requests)):
                        years.capacity = 8 if cached else 0
                        r = await client.get(path, params={"year": YEAR}, headers=clerk)  # computes and keeps it
                        assert r.status_code == 200 and r.json()["composite"], r.text
                        times = []
                        for _ in range(n):
                            t = time.perf_counter()
                            r = await client.get(path, params={"year": YEAR}, headers=clerk)
                            times.append(time.perf_counter() - t)
                            assert r.status_code == 200
                        figures.append((cached, percentile(times, 50), percentile(times, 99)))
                        print(f"gateway, one unit's explained result, {'kept year' if cached else 'computed per read'}"
                              f": p50 {figures[-1][1] * 1000:.1f} ms, p99 {figures[-1][2] * 1000:.1f} ms over {n} "
                              "sequential requests", flush=True)
                if profile:
                    prof = cProfile.Profile()
                    prof.enable()
                    await client.get(path, params={"year": YEAR}, headers=clerk)
                    prof.disable()
                    pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=100, help="sequential gateway reads per run")
    parser.add_argument("--uncached-requests", type=int, default=20,
                        help="sequential gateway reads per run with the computed year not kept (the figure before it was)")
    parser.add_argument("--no-gateway", action="store_true", help="the pure core only")
    parser.add_argument("--data-dir", type=Path, help="keep the embedded data here; a second run skips the import")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    pure(args.runs, args.profile)
    if not args.no_gateway:
        figures = asyncio.run(gateway(args.requests, args.uncached_requests, args.runs, args.profile, args.data_dir))
        for cached in (False, True):
            mine = [f for f in figures if f[0] is cached]
            print(f"gateway, {'kept year' if cached else 'computed per read'}: median p50 "
                  f"{median([f[1] for f in mine]) * 1000:.1f} ms, median p99 {median([f[2] for f in mine]) * 1000:.1f} ms"
                  " (target p99 < 20 ms)")


if __name__ == "__main__":
    main()
