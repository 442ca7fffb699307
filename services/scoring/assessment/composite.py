"""The composite of the annual comprehensive assessment (综合考评), computed and explained. Pure.

For each subject of a batch: every component with its weight, score and contribution; every indicator
with its reading's event ids, raw value, basis (target, last year, class figure), function, points,
weight and contribution; what was missing and what the component's policy did with it; every rule that
fired with the events that made it fire. Composite = Σ component score × weight / Σ weight of the
components present (002: a weighted average against targets; weights per class, 000/001/004). A
component's score is the same weighted average over its indicators. Arithmetic is exact Decimal (34
digits), one division per weighted average (the contributions shown are each term's share); the
scheme's rounding is applied once, to the composite. The same inputs and scheme version
give the same result, byte for byte (``canonical_json``), whatever the order the inputs come in.

Rule ids fired here: ``weight_override`` and ``linked_indicator`` (000), ``constraint_breach`` (004),
``missing_renormalised`` / ``missing_counted_zero`` / ``missing_blocks`` (the scheme's policy),
``points_capped``, ``unknown_level``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext

from services.scoring.assessment.functions import Scored, score
from services.scoring.assessment.inputs import EvaluationScore, Inputs, Reading, Subject
from services.scoring.assessment.results import (
    AssessmentResult,
    ComponentLine,
    FiredRule,
    IndicatorLine,
    InvalidInputs,
    MissingInput,
    index_inputs,
)
from shared.assessment_scheme import AssessmentScheme, Component, Indicator, Link

EXACT = Context(prec=34, rounding=ROUND_HALF_EVEN)
ZERO = Decimal(0)
POLICY_RULE = {"renormalise": "missing_renormalised", "zero": "missing_counted_zero", "block": "missing_blocks"}
POLICY_EFFECT = {"renormalise": "the weights of what is present are scaled up to the whole",
                 "zero": "counted as 0 points", "block": "the result is blocked until it is recorded"}


@dataclass(frozen=True, slots=True)
class _Weights:
    components: Mapping[str, Decimal]
    indicators: Mapping[str, Decimal]


def _weights(scheme: AssessmentScheme, subject: Subject) -> tuple[_Weights, FiredRule | None]:
    over = next((o for o in scheme.overrides if o.subject_id == subject.subject_id), None)
    if over is not None and over.class_id != subject.class_id:
        raise InvalidInputs(f"{subject.subject_id}: its override is for class {over.class_id!r}, "
                            f"the subject is in {subject.class_id!r}")
    comps = {c.id: c.weights[subject.class_id] for c in scheme.components}
    inds = {i.id: i.weights[subject.class_id] for i in scheme.indicators}
    if over is None:
        return _Weights(comps, inds), None
    comps.update(over.components)
    inds.update(over.indicators)
    changed = sorted([*over.components, *over.indicators])
    doc = f" ({over.document})" if over.document else ""
    return _Weights(comps, inds), FiredRule("weight_override", "000", (),
                                            f"weights of {changed} set for this subject: {over.reason}{doc}")


def assess(scheme: AssessmentScheme, year: int, subjects: Iterable[Subject], inputs: Inputs) -> dict[str, AssessmentResult]:
    """The result of every subject in ``subjects`` under ``scheme`` for ``year``, by subject id."""
    with localcontext(EXACT):
        return _assess(scheme, year, sorted(subjects, key=lambda s: s.subject_id), inputs)


def _assess(scheme: AssessmentScheme, year: int, subjects: list[Subject], inputs: Inputs) -> dict[str, AssessmentResult]:
    classes = {c.id for c in scheme.classes}
    by_id = {s.subject_id: s for s in subjects}
    if len(by_id) != len(subjects):
        raise InvalidInputs("a subject is given twice")
    for s in subjects:
        if s.class_id not in classes:
            raise InvalidInputs(f"{s.subject_id}: class {s.class_id!r} is not a class of {scheme.name}")
    readings, scores, breaches = index_inputs(scheme, by_id, inputs)
    weights = {s.subject_id: _weights(scheme, s) for s in subjects}
    linked = {(link.subject_id, link.indicator): link for link in scheme.links}

    # Pass 1: every indicator that counts for a subject, scored from its own reading.
    scored: dict[tuple[str, str], Scored] = {}
    for ind in scheme.indicators:
        if ind.scoring is None:
            continue
        higher = ind.direction == "higher_is_better"
        peers = _Peers(subjects, readings, ind.id)
        for s in subjects:
            if weights[s.subject_id][0].indicators[ind.id] <= 0 or (s.subject_id, ind.id) in linked:
                continue
            scored[(s.subject_id, ind.id)] = score(ind.scoring, higher, readings.get((s.subject_id, ind.id)),
                                                   ind.targets.get(s.class_id), peers.of(s))
    results = {}
    for s in subjects:
        w, override_rule = weights[s.subject_id]
        fired = [override_rule] if override_rule else []
        missing: list[MissingInput] = []
        lines = []
        for comp in scheme.components:
            if w.components[comp.id] <= 0:
                continue
            if comp.source == "score":
                lines.append(_score_component(comp, w.components[comp.id], scores.get((s.subject_id, comp.id)),
                                              missing, fired))
            else:
                inds = [i for i in scheme.indicators if i.component == comp.id and w.indicators[i.id] > 0]
                ind_lines = [_indicator_line(s, i, w.indicators[i.id], readings, scored, linked, by_id, fired)
                             for i in inds]
                lines.append(_indicator_component(comp, w.components[comp.id], ind_lines, missing, fired))
        for b in breaches.get(s.subject_id, ()):
            veto = next(i.veto for i in scheme.indicators if i.id == b.indicator_id)
            fired.append(FiredRule("constraint_breach", "004", b.event_ids,
                                   f"constraint {b.indicator_id} breached{' (one-vote veto)' if veto else ''}"
                                   f"{': ' + b.note if b.note else ''}"))
        results[s.subject_id] = _finish(scheme, year, s, lines, missing, fired)
    return results


class _Peers:
    """An indicator's values in each class, gathered once: a subject's peers are its class's values but its own,
    in ascending order (a stable sort of the subjects in id order, as equal values keep their order)."""

    def __init__(self, subjects: list[Subject], readings: Mapping[tuple[str, str], Reading], indicator_id: str
                 ) -> None:
        by_class: dict[str, list[tuple[Decimal, str]]] = {}
        for o in subjects:
            r = readings.get((o.subject_id, indicator_id))
            if r is not None and r.value is not None:
                by_class.setdefault(o.class_id, []).append((r.value, o.subject_id))
        self._values: dict[str, list[Decimal]] = {}
        self._at: dict[str, int] = {}
        for class_id, pairs in by_class.items():
            pairs.sort(key=lambda p: p[0])
            self._values[class_id] = [v for v, _ in pairs]
            self._at.update((sid, n) for n, (_, sid) in enumerate(pairs))

    def of(self, s: Subject) -> list[Decimal]:
        values = self._values.get(s.class_id, [])
        at = self._at.get(s.subject_id)
        return values if at is None else values[:at] + values[at + 1:]


def _indicator_line(s: Subject, ind: Indicator, weight: Decimal, readings: Mapping[tuple[str, str], Reading],
                    scored: Mapping[tuple[str, str], Scored], linked: Mapping[tuple[str, str], Link],
                    by_id: Mapping[str, Subject], fired: list[FiredRule]) -> IndicatorLine:
    reading = readings.get((s.subject_id, ind.id))
    fn = ind.scoring.function if ind.scoring else "none"
    link = linked.get((s.subject_id, ind.id))
    if link is not None:
        got = [(src, scored[(src, ind.id)]) for src in sorted(link.from_subjects) if src in by_id
               and (src, ind.id) in scored and scored[(src, ind.id)].points is not None]
        events = tuple(e for src, _ in got for e in readings[(src, ind.id)].event_ids)
        pts = sum((sc.points for _, sc in got), ZERO) / len(got) if got else None
        sources = tuple(src for src, _ in got)
        if got:
            fired.append(FiredRule("linked_indicator", "000", events,
                                   f"{ind.id}: the mean of the points of {list(sources)}: {link.reason}"))
        return IndicatorLine(ind.id, ind.component, ind.kind, ind.unit, ind.direction, fn, events, None, None,
                             "linked", pts, weight, None, "scored" if got else "missing",
                             "" if got else "no linked subject was scored", sources)
    sc = scored[(s.subject_id, ind.id)]
    raw = None if reading is None else (reading.level if reading.level is not None else reading.value)
    events = reading.event_ids if reading else ()
    if sc.capped:
        fired.append(FiredRule("points_capped", "scheme", events, f"{ind.id}: points held at the cap {sc.points}"))
    if reading is not None and "not in the scale" in sc.note:
        fired.append(FiredRule("unknown_level", "scheme", events, f"{ind.id}: {sc.note}"))
    return IndicatorLine(ind.id, ind.component, ind.kind, ind.unit, ind.direction, fn, events,
                         None if raw is None else str(raw), sc.basis, sc.basis_kind, sc.points, weight, None,
                         "scored" if sc.points is not None else "missing", sc.note, ())


def _missing(comp: Component, what: str, missing: list[MissingInput], fired: list[FiredRule]) -> None:
    missing.append(MissingInput(what, comp.id, comp.missing, POLICY_EFFECT[comp.missing]))
    fired.append(FiredRule(POLICY_RULE[comp.missing], "scheme", (), f"{what} missing: {POLICY_EFFECT[comp.missing]}"))


def _score_component(comp: Component, weight: Decimal, got: EvaluationScore | None, missing: list[MissingInput],
                     fired: list[FiredRule]) -> ComponentLine:
    if got is not None:
        return ComponentLine(comp.id, comp.source, weight, comp.missing, got.score, None, "scored", got.event_ids, ())
    _missing(comp, f"component {comp.id}", missing, fired)
    status = {"renormalise": "missing", "zero": "counted_zero", "block": "blocked"}[comp.missing]
    return ComponentLine(comp.id, comp.source, weight, comp.missing, ZERO if comp.missing == "zero" else None,
                         None, status, (), ())


def _indicator_component(comp: Component, weight: Decimal, lines: list[IndicatorLine], missing: list[MissingInput],
                         fired: list[FiredRule]) -> ComponentLine:
    absent = [ln for ln in lines if ln.points is None]
    for ln in absent:
        _missing(comp, f"indicator {ln.indicator_id}", missing, fired)
    if absent and comp.missing == "block":
        return ComponentLine(comp.id, comp.source, weight, comp.missing, None, None, "blocked", (), tuple(lines))
    if comp.missing == "zero":
        lines = [ln if ln.points is not None else _with(ln, points=ZERO, status="counted_zero") for ln in lines]
    present = [ln for ln in lines if ln.points is not None]
    total_w = sum((ln.weight for ln in present), ZERO)
    if not present or total_w == 0:
        return ComponentLine(comp.id, comp.source, weight, comp.missing, None, None, "missing", (), tuple(lines))
    value = sum((ln.points * ln.weight for ln in present if ln.points is not None), ZERO) / total_w
    lines = [_with(ln, contribution=ln.points * ln.weight / total_w) if ln.points is not None else ln for ln in lines]
    events = tuple(sorted({e for ln in lines for e in ln.event_ids}))
    status = "renormalised" if absent and comp.missing == "renormalise" else "scored"
    return ComponentLine(comp.id, comp.source, weight, comp.missing, value, None, status, events, tuple(lines))


def _with(line: IndicatorLine, **changes: object) -> IndicatorLine:
    return replace(line, **changes)  # type: ignore[arg-type]


def _finish(scheme: AssessmentScheme, year: int, s: Subject, lines: list[ComponentLine], missing: list[MissingInput],
            fired: list[FiredRule]) -> AssessmentResult:
    blocked = any(c.status == "blocked" for c in lines)
    present = [c for c in lines if c.score is not None]
    total_w = sum((c.weight for c in present), ZERO)
    if blocked or not present or total_w == 0:
        return AssessmentResult(s.subject_id, s.class_id, year, scheme.name, scheme.subject_kind, "blocked", None,
                                None, tuple(lines), tuple(missing), tuple(fired))
    out = [_component_contribution(c, total_w) for c in lines]
    exact = sum((c.score * c.weight for c in present if c.score is not None), ZERO) / total_w
    q = Decimal(1).scaleb(-scheme.rounding.places)
    rounded = exact.quantize(q, rounding=ROUND_HALF_UP if scheme.rounding.mode == "half_up" else ROUND_HALF_EVEN)
    return AssessmentResult(s.subject_id, s.class_id, year, scheme.name, scheme.subject_kind, "complete", rounded,
                            exact, tuple(out), tuple(missing), tuple(fired))


def _component_contribution(c: ComponentLine, total_w: Decimal) -> ComponentLine:
    if c.score is None:
        return c
    return replace(c, contribution=c.score * c.weight / total_w)
