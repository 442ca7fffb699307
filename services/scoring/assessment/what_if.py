"""What if a scheme were changed? Pure: the same inputs for many subjects under the scheme in force and
under a changed one (weights, functions, thresholds), and every subject whose composite, proposed grade,
rank or band would change. Re-weighting never needs re-assessing: the raw inputs are kept (stack-notes).

Inputs that name an indicator or component the changed scheme no longer has are left out under it, and
counted in ``dropped_inputs``: what the scheme no longer reads cannot change a result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from services.scoring.assessment.composite import assess
from services.scoring.assessment.inputs import GradeFacts, Inputs, Subject
from services.scoring.assessment.proposal import propose_all
from services.scoring.assessment.results import standings
from shared.assessment_scheme import AssessmentScheme


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str
    composite: Decimal | None
    grade: str | None
    rank: int | None
    band: str | None


@dataclass(frozen=True, slots=True)
class Change:
    subject_id: str
    class_id: str
    current: Outcome
    proposed: Outcome
    composite_delta: Decimal | None
    changed: tuple[str, ...]  # which of status, composite, grade, rank, band


@dataclass(frozen=True, slots=True)
class WhatIf:
    current: str
    proposed: str
    year: int
    subjects: int
    dropped_inputs: int
    changes: tuple[Change, ...]


def inputs_for(scheme: AssessmentScheme, inputs: Inputs) -> Inputs:
    indicators = {i.id for i in scheme.indicators}
    scored = {c.id for c in scheme.components if c.source == "score"}
    return Inputs(tuple(r for r in inputs.readings if r.indicator_id in indicators),
                  tuple(s for s in inputs.scores if s.component_id in scored),
                  tuple(b for b in inputs.breaches if b.indicator_id in indicators))


def outcomes(scheme: AssessmentScheme, year: int, subjects: Iterable[Subject], inputs: Inputs,
             facts: Mapping[str, GradeFacts] | None = None) -> dict[str, Outcome]:
    results = assess(scheme, year, subjects, inputs)
    ranks = standings(scheme, results.values())
    proposals = propose_all(scheme, results, inputs, facts)
    return {sid: Outcome(r.status, r.composite, proposals[sid].proposed,
                         ranks[sid].rank if sid in ranks else None, ranks[sid].band if sid in ranks else None)
            for sid, r in results.items()}


def what_if(current: AssessmentScheme, proposed: AssessmentScheme, year: int, subjects: Iterable[Subject],
            inputs: Inputs, facts: Mapping[str, GradeFacts] | None = None) -> WhatIf:
    if current.subject_kind != proposed.subject_kind:
        raise ValueError(f"{current.name} assesses {current.subject_kind}s, {proposed.name} {proposed.subject_kind}s")
    subjects = sorted(subjects, key=lambda s: s.subject_id)
    now_inputs, new_inputs = inputs_for(current, inputs), inputs_for(proposed, inputs)
    size = len(inputs.readings) + len(inputs.scores) + len(inputs.breaches)
    dropped = size - len(new_inputs.readings) - len(new_inputs.scores) - len(new_inputs.breaches)
    before = outcomes(current, year, subjects, now_inputs, facts)
    after = outcomes(proposed, year, subjects, new_inputs, facts)
    changes = []
    for s in subjects:
        b, a = before[s.subject_id], after[s.subject_id]
        changed = tuple(name for name in ("status", "composite", "grade", "rank", "band")
                        if getattr(b, name) != getattr(a, name))
        if changed:
            delta = a.composite - b.composite if a.composite is not None and b.composite is not None else None
            changes.append(Change(s.subject_id, s.class_id, b, a, delta, changed))
    return WhatIf(current.name, proposed.name, year, len(subjects), dropped, tuple(changes))
