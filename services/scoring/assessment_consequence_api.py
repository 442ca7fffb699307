"""Scoring's internal reads of the assessment's consequences and its what-if (issue 16, steps 5 and 7).

- ``GET /v1/assessments/{scheme_id}/consequences``: every consequence acted on for the year
  (``assessment_acting``), active or withdrawn, with the rectification reports owed (``status=owed``).
- ``POST /v1/assessments/{scheme_id}/what-if``: a proposed version of the scheme (the whole document, checked
  by the same rules as a published one, 422 naming field and rule) against the version in force on
  ``as_of``: every subject whose composite, grade, rank or band would change. Read-only: it opens no write
  transaction and records nothing; the raw inputs are kept, so re-weighting never needs re-assessing.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import Body, FastAPI, Path, Query
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncEngine

from services.scoring import assessment_repository as repo
from services.scoring.assessment import what_if
from services.scoring.assessment.inputs import Inputs, Subject
from services.scoring.assessment.read_model import grade_facts, inputs_as_of, version_in_force
from services.scoring.assessment.results import plain
from services.scoring.assessment_acting import consequence_rows
from services.scoring.assessment_service import default_as_of
from shared.assessment_scheme import AssessmentScheme, SchemeInvalid, parse_scheme
from shared.http import known_at_utc
from shared.problems import Problem
from shared.settings import today

SchemeId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]+$", max_length=100)]
Year = Annotated[int, Query(ge=1949, le=2199, description="the assessment year")]


def _row(r: Any) -> dict[str, Any]:
    owed = r.rule == "unit_fail_rectification_report" and r.withdrawn_at is None and r.filed_event_id is None
    return {"key": r.key, "occurrence": r.occurrence, "subject_id": r.subject_id, "subject_kind": r.subject_kind,
            "rule": r.rule, "source": r.source, "action": r.action, "bearer_id": r.bearer_id, "grade": r.grade,
            "composite": r.composite, "evidence": list(r.evidence), "message": r.message,
            "warning_kind": r.warning_kind, "status": "active" if r.withdrawn_at is None else "withdrawn",
            "raised_on": r.raised_on.isoformat(),
            "withdrawn_on": r.withdrawn_on.isoformat() if r.withdrawn_on else None, "owed": owed,
            "filed_event_id": r.filed_event_id}


def proposed_scheme(document: dict[str, Any]) -> AssessmentScheme:
    try:
        return parse_scheme(document)
    except SchemeInvalid as exc:
        errors = [{**p.as_dict(), "field": f"scheme.{p.field}"} for p in exc.problems]
        raise Problem(422, "validation-error", "The request is not valid", "the proposed scheme is not valid: "
                      + "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors) from None


def _union(*many: Inputs) -> Inputs:
    """The inputs each version reads, once each (a reading both versions read is the same reading)."""
    return Inputs(*(tuple(dict.fromkeys(x for i in many for x in getattr(i, part)))
                    for part in ("readings", "scores", "breaches")))


def add_routes(app: FastAPI, engine: AsyncEngine, timezone: str) -> None:
    @app.get("/v1/assessments/{scheme_id}/consequences", tags=["assessments"])
    async def assessment_consequences(scheme_id: SchemeId, year: Year,
                                      status: Literal["all", "active", "owed"] = "all") -> JSONResponse:
        async with engine.connect() as conn:
            rows = await consequence_rows(conn, scheme_id, year, None, status == "owed")
        found = [_row(r) for r in rows if status != "active" or r.withdrawn_at is None]
        return JSONResponse({"scheme_id": scheme_id, "year": year, "status": status, "consequences": found})

    @app.post("/v1/assessments/{scheme_id}/what-if", tags=["assessments"])
    async def assessment_what_if(scheme_id: SchemeId, year: Year, scheme: Annotated[dict[str, Any], Body(embed=True)],
                                 as_of: dt.date | None = None, known_at: dt.datetime | None = None) -> JSONResponse:
        proposed = proposed_scheme(scheme)
        day = as_of or default_as_of(year, today(timezone))
        stated = known_at_utc(known_at)
        asked = stated if known_at is not None else None
        async with engine.connect() as conn:
            current = version_in_force(await repo.scheme_documents(conn, scheme_id, asked), day)
            if current is None:
                raise Problem(404, "no-version-in-force", "No version of the scheme is in force on that date",
                              f"no version of {scheme_id} is in force on {day.isoformat()}")
            if proposed.subject_kind != current.subject_kind:
                raise Problem(422, "validation-error", "The request is not valid",
                              f"{current.name} assesses {current.subject_kind}s", errors=[{
                                  "field": "scheme.subject_kind", "rule": "same_subject_kind",
                                  "message": f"the proposal must assess {current.subject_kind}s as {current.name} does"}])
            rows = await repo.input_rows(conn, scheme_id, year, asked)
            classes_of = {c.id for c in current.classes} | {c.id for c in proposed.classes}
            if current.subject_kind == "cadre":
                found = await repo.cadre_classes(conn, sorted({r.subject_id for r in rows}), asked)
            else:
                found = await repo.units_of_classes(conn, sorted(classes_of), asked)
            # the subjects of the version in force: a proposal compares the same subjects
            classes = {s: c for s, c in found.items() if c in {k.id for k in current.classes}}
            recorded = await repo.result_rows(conn, sorted(classes), year, asked)
        inputs = _union(inputs_as_of(current, rows, classes, day)[0], inputs_as_of(proposed, rows, classes, day)[0])
        facts = grade_facts(recorded) if current.subject_kind == "cadre" else {}
        try:
            answer = what_if(current, proposed, year, [Subject(s, c) for s, c in sorted(classes.items())], inputs, facts)
        except (ValueError, KeyError) as exc:  # a class of the subjects the proposal does not weigh
            raise Problem(422, "validation-error", "The request is not valid", str(exc), errors=[{
                "field": "scheme.classes", "rule": "covers_the_subjects", "message": str(exc)}]) from exc
        return JSONResponse({"scheme_id": scheme_id, "year": year, "as_of": day.isoformat(),
                             "known_at": stated.isoformat(), "current": answer.current, "proposed": answer.proposed,
                             "subjects": sorted(classes), "dropped_inputs": answer.dropped_inputs,
                             "changes": plain(answer.changes)})
