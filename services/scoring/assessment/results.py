"""The explained result of an assessment, its canonical JSON, the checks on inputs, and ranks within a
class with the two ends (top 30 % / bottom 10 %, 000), through scoring's ``rank`` (ties share a rank and
a band; a class under ten has no bottom band). Pure.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import rfc8785

from services.scoring.assessment.inputs import ConstraintBreach, EvaluationScore, Inputs, Reading, Subject
from services.scoring.ranking import Candidate, rank
from shared.assessment_scheme import AssessmentScheme


class InvalidInputs(ValueError):
    """Inputs the scheme cannot take: an unknown subject, indicator or component, or two values for one."""


@dataclass(frozen=True, slots=True)
class FiredRule:
    rule: str
    source: str  # the article (000/001/002/004) or "scheme" for the scheme's own choice
    event_ids: tuple[str, ...]
    message: str


@dataclass(frozen=True, slots=True)
class MissingInput:
    what: str
    component_id: str
    policy: str
    effect: str


@dataclass(frozen=True, slots=True)
class IndicatorLine:
    indicator_id: str
    component_id: str
    kind: str
    unit: str
    direction: str
    function: str
    event_ids: tuple[str, ...]
    raw: str | None  # the reading as recorded: a number or a level
    basis: Decimal | None  # the target / last year / class figure / band threshold / rank
    basis_kind: str | None
    points: Decimal | None
    weight: Decimal
    contribution: Decimal | None  # points × weight / Σ weight present, within the component
    status: str  # scored | missing | counted_zero
    note: str
    linked_from: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ComponentLine:
    component_id: str
    source: str
    weight: Decimal
    missing_policy: str
    score: Decimal | None
    contribution: Decimal | None  # score × weight / Σ weight present, in the composite
    status: str  # scored | renormalised | counted_zero | missing | blocked
    event_ids: tuple[str, ...]
    indicators: tuple[IndicatorLine, ...]


@dataclass(frozen=True, slots=True)
class AssessmentResult:
    subject_id: str
    class_id: str
    year: int
    scheme: str  # id@version
    subject_kind: str
    status: str  # complete | blocked
    composite: Decimal | None  # rounded once, as the scheme states
    exact: Decimal | None
    components: tuple[ComponentLine, ...]
    missing: tuple[MissingInput, ...]
    fired: tuple[FiredRule, ...]

    def rules(self) -> list[str]:
        return [f.rule for f in self.fired]

    def component(self, component_id: str) -> ComponentLine:
        return next(c for c in self.components if c.component_id == component_id)


def plain(value: Any) -> Any:
    """JSON-ready: Decimals as plain decimal strings, as exact as computed ("92.5", the composite "88.00" at its
    stated places; never an exponent), tuples as lists, dataclasses as dicts."""
    if isinstance(value, Decimal):
        return format(abs(value) if value.is_zero() else value, "f")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes: the same result is the same bytes."""
    return rfc8785.dumps(plain(value))


def index_inputs(scheme: AssessmentScheme, subjects: Mapping[str, Subject], inputs: Inputs) -> tuple[
        dict[tuple[str, str], Reading], dict[tuple[str, str], EvaluationScore], dict[str, list[ConstraintBreach]]]:
    indicators = {i.id: i for i in scheme.indicators}
    components = {c.id: c for c in scheme.components}

    def known(subject_id: str, what: str) -> None:
        if subject_id not in subjects:
            raise InvalidInputs(f"{what} for {subject_id!r}, which is not a subject of this assessment")

    readings: dict[tuple[str, str], Reading] = {}
    for r in inputs.readings:
        known(r.subject_id, f"a reading of {r.indicator_id}")
        if r.indicator_id not in indicators:
            raise InvalidInputs(f"a reading of {r.indicator_id!r}, which is not an indicator of {scheme.name}")
        if (r.subject_id, r.indicator_id) in readings:
            raise InvalidInputs(f"two readings of {r.indicator_id} for {r.subject_id}")
        readings[(r.subject_id, r.indicator_id)] = r
    scores: dict[tuple[str, str], EvaluationScore] = {}
    for sc in inputs.scores:
        known(sc.subject_id, f"a score of {sc.component_id}")
        comp = components.get(sc.component_id)
        if comp is None or comp.source != "score":
            raise InvalidInputs(f"a score of {sc.component_id!r}, which is not a component scored as a whole")
        if (sc.subject_id, sc.component_id) in scores:
            raise InvalidInputs(f"two scores of {sc.component_id} for {sc.subject_id}")
        scores[(sc.subject_id, sc.component_id)] = sc
    breaches: dict[str, list[ConstraintBreach]] = {}
    for b in sorted(inputs.breaches, key=lambda b: (b.subject_id, b.indicator_id, b.event_ids, b.note)):
        known(b.subject_id, f"a breach of {b.indicator_id}")
        if b.indicator_id not in indicators:
            raise InvalidInputs(f"a breach of {b.indicator_id!r}, which is not an indicator of {scheme.name}")
        breaches.setdefault(b.subject_id, []).append(b)
    return readings, scores, breaches


def vetoes(scheme: AssessmentScheme, inputs: Inputs, subject_id: str) -> tuple[str, ...]:
    """The event ids of the subject's breaches of veto constraints (004: 一票否决)."""
    veto = {i.id for i in scheme.indicators if i.veto}
    return tuple(sorted({e for b in inputs.breaches if b.subject_id == subject_id and b.indicator_id in veto
                         for e in b.event_ids}))


@dataclass(frozen=True, slots=True)
class Standing:
    subject_id: str
    class_id: str
    rank: int
    of: int
    band: str | None  # "top" (top 30 %), "bottom" (bottom 10 %) or None


def standings(scheme: AssessmentScheme, results: Iterable[AssessmentResult]) -> dict[str, Standing]:
    """Ranks by rounded composite within each class, never across classes (000, 001); blocked results are
    not ranked."""
    by_class: dict[str, list[Candidate]] = {}
    for r in results:
        if r.composite is not None:
            by_class.setdefault(r.class_id, []).append(Candidate(r.subject_id, r.subject_id, r.class_id, r.composite))
    out = {}
    for class_id, candidates in sorted(by_class.items()):
        for ranked in rank(candidates, scheme.ranking):
            c = ranked.candidate
            out[c.cadre_id] = Standing(c.cadre_id, class_id, ranked.rank, len(candidates), ranked.band)
    return out
