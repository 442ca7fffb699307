"""A computed assessment year is kept between reads and recomputed when an input of its scheme arrives, even
when another scoring process applied it (issue 16's speed): two engines on one PostgreSQL database stand for two
processes; the projection's own ``apply`` writes, ``AssessmentReads`` reads."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from decimal import Decimal

from services.scoring import projection
from services.scoring.assessment_service import AssessmentReads, subject_view
from services.scoring.projection import Applicable
from shared.answers.assessments import EXAMPLE_SCHEME
from shared.db import make_engine
from shared.envelope import Envelope
from shared.events import AssessmentSchemePublished, DomainEvent, IndicatorReadingRecorded, UnitRegistered

YEAR, AS_OF, NOW = 2025, dt.date(2025, 12, 31), dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
_versions: dict[str, int] = {}


def applicable(stream: str, event: DomainEvent) -> Applicable:
    _versions[stream] = _versions.get(stream, 0) + 1
    env = Envelope(id=str(uuid.uuid4()), source="test", type=f"cn.shiji.dossier.{event.event_type}.v1",
                   subject=stream, time=dt.datetime.now(dt.UTC), data=event.model_dump(mode="json"),
                   streamversion=_versions[stream], position=sum(_versions.values()))
    return Applicable(env, event)


def reading(value: str, period: str = "2025-12") -> IndicatorReadingRecorded:
    return IndicatorReadingRecorded(input_id=str(uuid.uuid4()), scheme_id="district-2025", year=YEAR,
                                    indicator_id="gdp", period=period, effective_date=dt.date(2025, 12, 31),
                                    value=Decimal(value), source="统计局")


async def apply(engine, *batch: Applicable) -> None:
    async with engine.begin() as conn:
        await projection.apply(conn, list(batch))


async def test_a_kept_year_is_reused_until_another_process_applies_an_input_of_its_scheme(pg) -> None:
    url = await pg.create("scoring")
    writer, reader = make_engine(url), make_engine(url)
    try:
        await apply(writer,
                    applicable("scheme-district-2025", AssessmentSchemePublished(
                        scheme_id="district-2025", version=1, effective_from=dt.date(2025, 1, 1),
                        scheme=copy.deepcopy(EXAMPLE_SCHEME))),
                    applicable("unit-c1", UnitRegistered(unit_id="c1", name="一区", parent_id=None, level="county",
                                                         unit_class="economic_development")),
                    applicable("unit-c1", reading("90")))
        reads = AssessmentReads(reader)

        async def gdp_points() -> str:
            view = subject_view(await reads.compute("district-2025", YEAR, AS_OF, NOW, None), "c1")
            return view["components"][0]["indicators"][0]["points"]

        assert await gdp_points() == "90"
        assert await gdp_points() == "90"
        assert (reads.years.hits, reads.years.misses) == (1, 1)
        # an input of another scheme, and a redelivery of nothing: the marks of this year do not move
        other = reading("50").model_copy(update={"scheme_id": "other-scheme"})
        await apply(writer, applicable("unit-c1", other))
        assert await gdp_points() == "90" and reads.years.misses == 1
        # a correction of the period, applied by the other process: the next read recomputes
        await apply(writer, applicable("unit-c1", reading("110")))
        assert await gdp_points() == "110"
        assert reads.years.misses == 2
        # a read as known at a stated time is its own key; the same answer for "now" stays kept
        stated = dt.datetime.now(dt.UTC)
        assert subject_view(await reads.compute("district-2025", YEAR, AS_OF, stated, stated), "c1")[
            "known_at"] == stated.isoformat()
        assert reads.years.misses == 3 and await gdp_points() == "110" and reads.years.misses == 3
    finally:
        await writer.dispose()
        await reader.dispose()
