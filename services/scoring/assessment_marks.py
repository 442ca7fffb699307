"""Input watermarks of the annual comprehensive assessment (issue 16): what lets a computed year be reused.

A computed year (every subject's composite, proposal and rank) depends on the scheme's versions, the inputs of
that scheme and year, the units and cadres (their classes) and the recorded results (decisions, political
quality, vetoes). The projection bumps a counter per scope in the same transaction as the rows it inserts:

- ``scheme:<id>``: a version of the scheme;
- ``inputs:<id>:<year>``: a reading, score, breach or revocation of that scheme and year;
- ``subjects``: a unit, a cadre or a result of any year (rare beside entries, so it is one scope).

A reader reads the marks *before* the facts, in the same connection: what it then reads holds at least what
the marks say, so a result kept under those marks is never older than they claim. Every scoring process reads
the same table, so a process's cache is invalidated by a batch another process applied; nothing is invalidated
in memory. A redelivered batch bumps again (a needless recomputation, never a stale answer). A rebuild in place
keeps this table (it is not a fact) and bumps it as it replays; a rebuild into a new database starts at zero
in a new process, whose cache is empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import BigInteger, Column, String, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scoring.tables import metadata
from shared.db import upsert_add

assessment_marks = Table(
    "assessment_marks",
    metadata,
    Column("scope", String(220), primary_key=True),
    Column("mark", BigInteger, nullable=False),
)

SUBJECTS = "subjects"
_SUBJECT_TABLES = ("units", "cadres", "results")


def scopes(by_table: Mapping[str, Sequence[Mapping]]) -> list[str]:
    """The scopes a batch's projection rows change, sorted (so concurrent writers lock them in one order)."""
    out = {f"scheme:{r['scheme_id']}" for r in by_table.get("assessment_schemes", ())}
    out |= {f"inputs:{r['scheme_id']}:{r['year']}" for r in by_table.get("assessment_inputs", ())}
    if any(by_table.get(t) for t in _SUBJECT_TABLES):
        out.add(SUBJECTS)
    return sorted(out)


async def bump(conn: AsyncConnection, by_table: Mapping[str, Sequence[Mapping]]) -> None:
    changed = scopes(by_table)
    if changed:
        await conn.execute(upsert_add(conn.dialect.name, assessment_marks, ["scope"], "mark"),
                           [{"scope": s, "mark": 1} for s in changed])


def year_scopes(scheme_id: str, year: int) -> tuple[str, ...]:
    return (f"scheme:{scheme_id}", f"inputs:{scheme_id}:{year}", SUBJECTS)


async def read(conn: AsyncConnection, scheme_id: str, year: int) -> tuple[int, ...]:
    """The marks a computed year of ``scheme_id`` depends on (0 for a scope never bumped)."""
    wanted = year_scopes(scheme_id, year)
    rows = await conn.execute(select(assessment_marks.c.scope, assessment_marks.c.mark)
                              .where(assessment_marks.c.scope.in_(wanted)))
    found = {r.scope: int(r.mark) for r in rows}
    return tuple(found.get(s, 0) for s in wanted)
