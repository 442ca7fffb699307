"""The assessment's queries (issue 16): schemes' versions, subjects' inputs, the subjects and their classes,
and what the proposals read of recorded results; each as known at a recorded time (None: all held now)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scoring.assessment.read_model import InputRow, ResultRow
from services.scoring.assessment_tables import assessment_inputs, assessment_schemes
from services.scoring.tables import cadres, results, units


def _known(column: Any, known_at: dt.datetime | None) -> Any:
    return True if known_at is None else column <= known_at


async def scheme_documents(conn: AsyncConnection, scheme_id: str, known_at: dt.datetime | None) -> list[dict]:
    rows = await conn.execute(select(assessment_schemes.c.document).where(
        assessment_schemes.c.scheme_id == scheme_id, _known(assessment_schemes.c.recorded_at, known_at))
        .order_by(assessment_schemes.c.version))
    return [r.document for r in rows]


async def input_rows(conn: AsyncConnection, scheme_id: str, year: int, known_at: dt.datetime | None,
                     types: tuple[str, ...] | None = None) -> list[InputRow]:
    """A scheme year's inputs known at ``known_at`` (all when None), of ``types`` (every type when None)."""
    t = assessment_inputs.c
    query = select(t.event_id, t.event_type, t.input_id, t.subject_id, t.item_id, t.period, t.effective_date,
                   t.value, t.level, t.last_year, t.note, t.recorded_at, t.score, t.target, t.source).where(
        t.scheme_id == scheme_id, t.year == year, _known(t.recorded_at, known_at))
    if types is not None:
        query = query.where(t.event_type.in_(types))
    return [InputRow(*r) for r in await conn.execute(query)]


async def units_of_classes(conn: AsyncConnection, classes: Iterable[str], known_at: dt.datetime | None
                           ) -> dict[str, str]:
    rows = await conn.execute(select(units.c.unit_id, units.c.unit_class).where(
        units.c.unit_class.in_(list(classes)), _known(units.c.recorded_at, known_at)))
    return {r.unit_id: r.unit_class for r in rows}


async def cadre_classes(conn: AsyncConnection, cadre_ids: Sequence[str], known_at: dt.datetime | None
                        ) -> dict[str, str]:
    """Each cadre's class: the class of the unit they were registered in."""
    rows = await conn.execute(select(cadres.c.cadre_id, units.c.unit_class)
                              .join(units, units.c.unit_id == cadres.c.unit_id)
                              .where(cadres.c.cadre_id.in_(list(cadre_ids)), _known(cadres.c.recorded_at, known_at)))
    return {r.cadre_id: r.unit_class for r in rows}


async def result_rows(conn: AsyncConnection, subject_ids: Sequence[str], year: int,
                      known_at: dt.datetime | None) -> list[ResultRow]:
    """The grades, levels, scores and vetoes recorded for ``year`` of these subjects."""
    rows = await conn.execute(select(results.c.event_id, results.c.kind, results.c.subject_id, results.c.value,
                                     results.c.recorded_at)
                              .where(results.c.subject_id.in_(list(subject_ids)), results.c.year == year,
                                     _known(results.c.recorded_at, known_at)))
    return [ResultRow(*r) for r in rows]
