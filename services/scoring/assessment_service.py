"""The annual comprehensive assessment computed on read (issue 16): for a scheme, a year, an effective date
(``as_of``) and a recorded time (``known_at``), the version in force, every subject's explained composite,
its grade proposal, its rank within its class with the two ends, the grade decided (when one is recorded)
and what the proposal entails. The numbers come from the pure rules (``services.scoring.assessment``);
this module reads the projected rows and shapes the answers. A computed year is kept for the reads that follow
until an input of its scheme arrives (``assessment_cache``, ``assessment_marks``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.scoring import assessment_marks
from services.scoring import assessment_repository as repo
from services.scoring.assessment import (
    AssessmentResult,
    Consequence,
    InvalidInputs,
    Proposal,
    Standing,
    Subject,
    assess,
    consequences,
    propose_all,
    standings,
)
from services.scoring.assessment.read_model import Ignored, ResultRow, decided, grade_facts, inputs_as_of, version_in_force
from services.scoring.assessment.results import plain
from services.scoring.assessment_cache import ComputedYears
from shared.assessment_scheme import AssessmentScheme
from shared.problems import Problem

# The record a decision is (step 4): the annual grade a cadre's dossier already has, a team's grade, a unit's.
DECISION_KIND = {"cadre": "annual_grade", "team": "team_grade", "unit": "assessment_grade"}


@dataclass(frozen=True, slots=True)
class Computed:
    scheme: AssessmentScheme
    year: int
    as_of: dt.date
    known_at: dt.datetime
    results: Mapping[str, AssessmentResult]
    proposals: Mapping[str, Proposal]
    standings: Mapping[str, Standing]
    decided: Mapping[str, ResultRow]
    consequences: Mapping[str, list[Consequence]]
    ignored: tuple[Ignored, ...]


def default_as_of(year: int, today: dt.date) -> dt.date:
    """The year's last day once it is over, today while it runs."""
    return min(dt.date(year, 12, 31), today)


class AssessmentReads:
    def __init__(self, engine: AsyncEngine, cache: ComputedYears[Computed] | None = None) -> None:
        self._engine = engine
        self.years = cache if cache is not None else ComputedYears()

    async def compute(self, scheme_id: str, year: int, as_of: dt.date, known_at: dt.datetime,
                      asked: dt.datetime | None) -> Computed:
        """The year computed, or the one kept for the same key and input watermarks (``assessment_cache``)."""
        async with self._engine.connect() as conn:
            marks = await assessment_marks.read(conn, scheme_id, year)  # before the facts: see assessment_marks
            found = await self.years.get((scheme_id, year, as_of, asked, marks),
                                         lambda: self._compute(conn, scheme_id, year, as_of, known_at, asked))
        return found if found.known_at == known_at else replace(found, known_at=known_at)

    @staticmethod
    async def _compute(conn: AsyncConnection, scheme_id: str, year: int, as_of: dt.date, known_at: dt.datetime,
                       asked: dt.datetime | None) -> Computed:
        documents = await repo.scheme_documents(conn, scheme_id, asked)
        if not documents:
            raise Problem(404, "scheme-not-found", "No such assessment scheme", f"no scheme {scheme_id} is published"
                          + (f" as known at {known_at.isoformat()}" if asked else ""))
        scheme = version_in_force(documents, as_of)
        if scheme is None:
            raise Problem(404, "no-version-in-force", "No version of the scheme is in force on that date",
                          f"no version of {scheme_id} is in force on {as_of.isoformat()}")
        rows = await repo.input_rows(conn, scheme_id, year, asked)
        if scheme.subject_kind == "cadre":
            found = await repo.cadre_classes(conn, sorted({r.subject_id for r in rows}), asked)
        else:
            found = await repo.units_of_classes(conn, [c.id for c in scheme.classes], asked)
        classes = {s: c for s, c in found.items() if c in {k.id for k in scheme.classes}}
        recorded = await repo.result_rows(conn, sorted(classes), year, asked)
        inputs, ignored = inputs_as_of(scheme, rows, classes, as_of)
        try:
            results = assess(scheme, year, [Subject(s, c) for s, c in sorted(classes.items())], inputs)
        except InvalidInputs as exc:
            raise Problem(409, "assessment-inputs-invalid", "The scheme cannot take these subjects", str(exc)) from exc
        facts = grade_facts(recorded) if scheme.subject_kind == "cadre" else {}
        proposals = propose_all(scheme, results, inputs, facts)
        return Computed(scheme, year, as_of, known_at, results, proposals, standings(scheme, results.values()),
                        decided(recorded, DECISION_KIND[scheme.subject_kind]),
                        {s: consequences(p, facts.get(s)) for s, p in proposals.items()}, ignored)


def _head(c: Computed) -> dict[str, Any]:
    return {"scheme_id": c.scheme.id, "version": c.scheme.version, "subject_kind": c.scheme.subject_kind,
            "year": c.year, "as_of": c.as_of.isoformat(), "known_at": c.known_at.isoformat()}


def _decision(c: Computed, subject_id: str) -> dict[str, Any] | None:
    row = c.decided.get(subject_id)
    if row is None:
        return None
    recorded = row.recorded_at if row.recorded_at.tzinfo else row.recorded_at.replace(tzinfo=dt.UTC)  # SQLite
    return {"grade": row.value, "event_id": row.event_id, "recorded_at": recorded.isoformat()}


def results_view(c: Computed, class_id: str | None) -> dict[str, Any]:
    """Every subject (of ``class_id``, or all), ranked within its class; the two ends of each class."""
    rows, ends = [], {}
    for sid, r in sorted(c.results.items(), key=lambda kv: (kv[1].class_id, _rank(c, kv[0]), kv[0])):
        if class_id is not None and r.class_id != class_id:
            continue
        s, p = c.standings.get(sid), c.proposals[sid]
        rows.append({"subject_id": sid, "class_id": r.class_id, "status": r.status, "composite": plain(r.composite),
                     "rank": s.rank if s else None, "of": s.of if s else None, "band": s.band if s else None,
                     "calculated": p.calculated, "proposed": p.proposed, "decided": _decision(c, sid)})
        if s is not None and s.band is not None:
            ends.setdefault(r.class_id, {"top": [], "bottom": []})[s.band].append(sid)
    return {**_head(c), "class": class_id, "results": rows,
            "two_ends": [{"class_id": k, **v} for k, v in sorted(ends.items())]}


def _rank(c: Computed, subject_id: str) -> int:
    s = c.standings.get(subject_id)
    return s.rank if s else 1_000_000


def _named(scheme: AssessmentScheme, components: Any) -> list[dict[str, Any]]:
    """The result's lines with the scheme's names beside their ids, for people to read. Added to the answer only:
    the result itself (and its canonical bytes) stays the computation's."""
    names = {c.id: c.name for c in scheme.components} | {i.id: i.name for i in scheme.indicators}
    lines = plain(components)
    for line in lines:
        line["name"] = names[line["component_id"]]
        for ind in line["indicators"]:
            ind["name"] = names[ind["indicator_id"]]
    return lines


def subject_view(c: Computed, subject_id: str) -> dict[str, Any]:
    r = c.results.get(subject_id)
    if r is None:
        raise Problem(404, "subject-not-assessed", "The subject is not assessed under this scheme",
                      f"{subject_id} is not a subject of {c.scheme.name} in {c.year}")
    p, s = c.proposals[subject_id], c.standings.get(subject_id)
    proposal = {"calculated": p.calculated, "proposed": p.proposed, "appraisal_level": p.appraisal_level,
                "fired": plain(p.fired), "evidence": list(p.evidence)}
    return {**_head(c), "subject_id": subject_id, "class_id": r.class_id, "status": r.status,
            "composite": plain(r.composite), "exact": plain(r.exact), "components": _named(c.scheme, r.components),
            "missing": plain(r.missing), "fired": plain(r.fired), "proposal": proposal,
            "standing": None if s is None else {"rank": s.rank, "of": s.of, "band": s.band},
            "decided": _decision(c, subject_id), "consequences": plain(c.consequences.get(subject_id, [])),
            "ignored": [plain(i) for i in c.ignored if i.subject_id == subject_id]}
