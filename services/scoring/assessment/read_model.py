"""From projected rows to what the rules read, as of an effective date. Pure.

The rows are the events known at the moment asked (the repository filters on recorded time); here the
effective date chooses among them:
- a **reading** counts from its effective date; a period recorded again is corrected (the newest recorded
  stands); of an indicator's periods, the one read last by ``as_of`` (latest effective date) stands for the
  year to that date (004: data measured monthly against the year's target);
- a **score** of a period is corrected the same way; a component scored over several periods (001: the
  routine assessment by quarter) scores their mean, exact, with every period's event;
- a **breach** counts from its effective date;
- a **revocation** known at the moment removes its input whatever the date (it was wrong).
Inputs of indicators or components the scheme version does not have, or of subjects not assessed, are
left out and listed (``Ignored``), never an error: a mid-year version may drop an indicator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from services.scoring.assessment.composite import EXACT
from services.scoring.assessment.inputs import ConstraintBreach, EvaluationScore, GradeFacts, Inputs, Reading
from shared.assessment_scheme import AssessmentScheme, in_force, parse_scheme

READING, SCORE, BREACH, REVOKED = ("indicator_reading_recorded", "evaluation_score_recorded",
                                   "constraint_breach_recorded", "assessment_input_revoked")


@dataclass(frozen=True, slots=True)
class InputRow:
    """One row of ``assessment_inputs``: what the composite reads (``score``) and what tracking reads
    (``target``, ``source``) of it, from the one query ``assessment_repository.input_rows``."""

    event_id: str
    event_type: str
    input_id: str
    subject_id: str
    item_id: str | None
    period: str | None
    effective_date: dt.date | None
    value: str | None
    level: str | None
    last_year: str | None
    note: str | None
    recorded_at: dt.datetime
    score: str | None = None
    target: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Ignored:
    event_id: str
    subject_id: str
    item_id: str
    reason: str


def version_in_force(documents: Iterable[dict], as_of: dt.date) -> AssessmentScheme | None:
    """The scheme version in force on ``as_of`` of those published (each valid when published)."""
    return in_force([parse_scheme(d) for d in documents], as_of)


def _newest_per_period(rows: Iterable[InputRow], revoked: set[str]) -> dict[tuple[str, str, str], InputRow]:
    """The newest record of each period; a period whose newest record is revoked has none (as the dossier
    sees it: a revoked correction does not bring back what it corrected)."""
    newest: dict[tuple[str, str, str], InputRow] = {}
    for r in sorted(rows, key=lambda r: (r.recorded_at, r.event_id)):
        newest[(r.subject_id, r.item_id or "", r.period or "")] = r
    return {k: r for k, r in newest.items() if r.input_id not in revoked}


def inputs_as_of(scheme: AssessmentScheme, rows: Sequence[InputRow], subjects: Iterable[str],
                 as_of: dt.date) -> tuple[Inputs, tuple[Ignored, ...]]:
    assessed = set(subjects)
    indicators = {i.id for i in scheme.indicators}
    scored = {c.id for c in scheme.components if c.source == "score"}
    revoked = {r.input_id for r in rows if r.event_type == REVOKED}
    ignored: list[Ignored] = []

    def counts(r: InputRow, known: set[str], what: str) -> bool:
        if r.effective_date is None or r.effective_date > as_of:
            return False
        if r.subject_id not in assessed:
            ignored.append(Ignored(r.event_id, r.subject_id, r.item_id or "", "not a subject of this assessment"))
            return False
        if r.item_id not in known:
            ignored.append(Ignored(r.event_id, r.subject_id, r.item_id or "", f"not {what} of {scheme.name}"))
            return False
        return True

    latest: dict[tuple[str, str], InputRow] = {}
    for r in _newest_per_period((r for r in rows if r.event_type == READING and counts(r, indicators, "an indicator")),
                                revoked).values():
        key = (r.subject_id, r.item_id or "")
        if key not in latest or (r.effective_date, r.recorded_at) > (latest[key].effective_date, latest[key].recorded_at):
            latest[key] = r
    readings = tuple(Reading(r.subject_id, r.item_id or "", _num(r.value), r.level, _num(r.last_year), (r.event_id,))
                     for _, r in sorted(latest.items()))
    periods: dict[tuple[str, str], list[InputRow]] = {}
    for r in _newest_per_period((r for r in rows if r.event_type == SCORE
                                 and counts(r, scored, "a component scored as a whole")), revoked).values():
        periods.setdefault((r.subject_id, r.item_id or ""), []).append(r)
    with localcontext(EXACT):
        scores = tuple(EvaluationScore(s, c, sum((Decimal(r.score or 0) for r in rs), Decimal(0)) / len(rs),
                                       tuple(sorted(r.event_id for r in rs)))
                       for (s, c), rs in sorted(periods.items()))
    breaches = tuple(ConstraintBreach(r.subject_id, r.item_id or "", (r.event_id,), r.note or "")
                     for r in sorted(rows, key=lambda r: r.event_id)
                     if r.event_type == BREACH and r.input_id not in revoked and counts(r, indicators, "an indicator"))
    return Inputs(readings, scores, breaches), tuple(ignored)


def _num(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One row of scoring's ``results``: a recorded grade, level, score or veto."""

    event_id: str
    kind: str
    subject_id: str
    value: str
    recorded_at: dt.datetime


def grade_facts(rows: Iterable[ResultRow]) -> dict[str, GradeFacts]:
    """What the proposal reads of a cadre's year beside the composite (001, 002): the newest political-quality
    score and appraisal level known, and every morality/integrity veto."""
    newest: dict[tuple[str, str], ResultRow] = {}
    vetoes: dict[str, list[str]] = {}
    for r in sorted(rows, key=lambda r: (r.recorded_at, r.event_id)):
        if r.kind == "veto":
            vetoes.setdefault(r.subject_id, []).append(r.event_id)
        else:
            newest[(r.subject_id, r.kind)] = r
    subjects = {s for s, _ in newest} | set(vetoes)
    out = {}
    for s in sorted(subjects):
        pq, level = newest.get((s, "political_quality")), newest.get((s, "appraisal_level"))
        out[s] = GradeFacts(s, political_quality=Decimal(pq.value) if pq else None,
                            political_quality_events=(pq.event_id,) if pq else (),
                            integrity_veto_events=tuple(sorted(vetoes.get(s, ()))),
                            appraisal_level=level.value if level else None,
                            appraisal_events=(level.event_id,) if level else ())
    return out


def decided(rows: Iterable[ResultRow], kind: str) -> Mapping[str, ResultRow]:
    """The newest recorded grade of ``kind`` per subject (the decision: annual_grade, team_grade, …)."""
    out: dict[str, ResultRow] = {}
    for r in sorted(rows, key=lambda r: (r.recorded_at, r.event_id)):
        if r.kind == kind:
            out[r.subject_id] = r
    return out
