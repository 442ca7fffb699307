"""The profile directory (issue 20): an inline projection of the facts a condition search narrows by first, so a
search over a city folds only the cadres that may match instead of every cadre of the jurisdiction.

One row per fact value ever recorded (birth dates, professional and familiar fields, education levels), written
in the same transaction as the event (``directory.statements``), never updated or deleted. A later record does not
remove an earlier one's row, so the rows of a cadre are a superset of what holds on any day as known at any moment:
the directory only rules cadres out (``candidates``), and the search then checks each remaining cadre on its
folded facts exactly as before. Answers are therefore the fold's; a row too many costs a fold, never a wrong match.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.dossier.tables import profile_directory
from services.portraits.facts import years_before
from services.portraits.search import Conditions
from shared.events import BasicsRecorded, CadreRegistered, DomainEvent
from shared.profile_events import EDUCATION_LEVELS, EducationLevel, EducationRecorded, ExpertiseRecorded

SLACK = dt.timedelta(days=2)  # around the birth-date bounds, for 29 February; the exact check follows


def statements(stream_id: str, event: DomainEvent) -> list[Any]:
    values: list[tuple[str, str]] = []
    match event:
        case BasicsRecorded() | CadreRegistered() if event.birth_date is not None:
            values = [("birth_date", event.birth_date.isoformat())]
        case ExpertiseRecorded():
            values = [("professional_field", event.professional_field),
                      *(("familiar_field", f) for f in event.familiar_fields)]
        case EducationRecorded():
            values = [("education_level", event.level.value)]
    return [profile_directory.insert().values(cadre_id=stream_id, facet=facet, value=value) for facet, value in values]


def _facets(c: Conditions, day: dt.date) -> list[Any]:
    """A condition per facet the search gives: the cadres with some row that could meet it."""
    p = profile_directory.c
    found = []
    if c.age_min is not None or c.age_max is not None:
        born = p.facet == "birth_date"
        if c.age_max is not None:  # born after the same day age_max + 1 years before
            born = born & (p.value >= (years_before(day, c.age_max + 1) - SLACK).isoformat())
        if c.age_min is not None:
            born = born & (p.value <= (years_before(day, c.age_min) + SLACK).isoformat())
        found.append(born)
    if c.professional_field is not None:
        found.append((p.facet == "professional_field") & (p.value == c.professional_field))
    if c.familiar_field is not None:
        found.append((p.facet == "familiar_field") & (p.value == c.familiar_field))
    if c.education_min is not None:
        enough = [level.value for level in EDUCATION_LEVELS[:EDUCATION_LEVELS.index(EducationLevel(c.education_min)) + 1]]
        found.append((p.facet == "education_level") & p.value.in_(enough))
    return found


async def candidates(conn: AsyncConnection, among: Collection[str], c: Conditions, day: dt.date) -> set[str]:
    """Those of ``among`` the directory does not rule out for ``c`` on ``day`` (all of them when ``c`` gives no
    condition the directory holds)."""
    kept = set(among)
    for facet in _facets(c, day):
        kept &= set((await conn.execute(select(profile_directory.c.cadre_id).where(facet).distinct())).scalars())
    return kept
