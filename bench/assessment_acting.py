"""What acting on decided grades adds to the scoring consumer's transaction (issue 16, step 5).

A batch that applies ``assessment_grade_decided`` events computes the scheme's year as of 31 December (the
composite for 80分以下) and acts on the decided grades (``assessment_acting``). Measured here on a scoring
database (SQLite, a temporary file) holding the province-size unit year of ``bench.assessment`` (108 units x 50
indicators x 12 monthly readings, 62,749 rows) inserted straight into its tables: one batch with one decision,
and one with every unit's decision, each in a transaction rolled back (so every run acts afresh). Median of
``--runs``.

Run: ``.venv/bin/python -m bench.assessment_acting`` (no servers).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import time
import uuid
from pathlib import Path

from bench.assessment import YEAR, cases
from bench.machine import machine, median
from services.scoring.assessment_acting import ConsequenceActing
from services.scoring.assessment_tables import assessment_inputs, assessment_schemes
from services.scoring.projection import Applicable
from services.scoring.tables import units
from shared.db import make_engine, sqlite_url, upgrade_to_head
from shared.envelope import Envelope, type_name
from shared.events import AssessmentGradeDecided, to_data

NOW = dt.datetime.now(dt.UTC)


def decision(scheme_id: str, unit: str, n: int) -> Applicable:
    event = AssessmentGradeDecided(scheme_id=scheme_id, year=YEAR, subject_kind="unit", grade="fail", reason="bench")
    return Applicable(Envelope(id=str(uuid.uuid4()), source="/bench", type=type_name(event.event_type, 1),
                               subject=f"unit-{unit}", time=NOW, data=to_data(event), streamversion=n, position=n),
                      event)


async def measure(runs: int) -> None:
    s, subjects, rows = cases()["108 units x 50 indicators x 12 monthly readings"]
    with tempfile.TemporaryDirectory() as tmp:
        url = sqlite_url(Path(tmp) / "scoring.db")
        await upgrade_to_head("scoring", url)
        engine = make_engine(url)
        async with engine.begin() as conn:
            await conn.execute(assessment_schemes.insert().values(
                event_id=str(uuid.uuid4()), scheme_id=s.id, version=s.version, effective_from=s.effective_from,
                document=s.model_dump(mode="json"), recorded_at=NOW))
            await conn.execute(units.insert(), [{"unit_id": x.subject_id, "event_id": str(uuid.uuid4()),
                                                 "parent_id": None, "level": "unit", "unit_class": x.class_id,
                                                 "recorded_at": NOW, "name": x.subject_id} for x in subjects])
            await conn.execute(assessment_inputs.insert(), [{
                "event_id": r.event_id, "event_type": r.event_type, "input_id": r.input_id, "subject_id": r.subject_id,
                "scheme_id": s.id, "year": YEAR, "item_id": r.item_id, "period": r.period, "evaluation": None,
                "effective_date": r.effective_date, "value": r.value, "level": r.level, "last_year": r.last_year,
                "target": None, "score": r.score, "note": r.note, "source": "bench", "recorded_at": r.recorded_at}
                for r in rows])
        acting = ConsequenceActing(warnings_topic="w", consequences_topic="c")
        one = [decision(s.id, subjects[7].subject_id, 1)]
        every = [decision(s.id, x.subject_id, n + 1) for n, x in enumerate(subjects)]
        for batch in (one, every):
            times = []
            for _ in range(runs):
                async with engine.connect() as conn:
                    tx = await conn.begin()
                    started = time.perf_counter()
                    done = await acting.act(conn, batch, NOW)
                    times.append(time.perf_counter() - started)
                    await tx.rollback()
            print(f"a batch of {len(batch)} decision(s): {median(times) * 1000:.0f} ms median "
                  f"(runs {' / '.join(f'{t * 1000:.0f}' for t in times)} ms), {done.raised} consequences raised",
                  flush=True)
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    asyncio.run(measure(args.runs))


if __name__ == "__main__":
    main()
