"""The rules an assessment scheme must keep, each with an id; ``scheme_problems`` lists every breach as
(field path, rule, message). A scheme that breaks any is refused (``shared.assessment_scheme``).

- ``duplicate_id``: class, component and indicator ids are unique.
- ``effective_to_before_from``: a version ends on or after the day it starts.
- ``unknown_class``, ``class_weight_missing``: a weight names a class of the scheme; every component and
  indicator states a weight for every class (0 when it does not count there).
- ``component_weights_sum``: the components' weights of a class add up to 100 (Frappe HRMS refuses a
  template whose weights do not add up to 100; so do we, per class).
- ``indicator_weights_sum``: the indicators of a component add up to 100 in each class where the
  component counts (0 or 100 where it does not).
- ``unknown_component``, ``component_source_mismatch``: an indicator belongs to a component scored from
  indicators.
- ``scoring_function_missing``: an indicator that counts somewhere has a scoring function (an unknown one
  is refused while parsing: ``unknown_scoring_function``).
- ``level_without_score``, ``level_not_in_scale``, ``level_kind_needs_level_map``: a level map gives points
  to every level of its scale and to nothing else; level indicators use one.
- ``target_missing``, ``target_not_positive``: a function that scores against a target has one, per class
  where the indicator counts (and linear-to-target's is above 0).
- ``bands_not_monotone``: a better band never earns fewer points (so a better reading never scores less).
- ``override_*``: an override names a known class, components and indicators, one override per subject,
  and its weights still add up to 100.
- ``link_unknown_indicator``, ``link_chain``: a link names a scheme indicator and no subject both takes
  and gives the same indicator.
- ``grade_not_in_scale``, ``grade_thresholds_not_descending``: thresholds name grades of the subject
  kind's scale but its last, best first, each lower than the one before.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.assessment_scheme import AssessmentScheme, Indicator, SchemeProblem

HUNDRED = Decimal(100)
Add = Callable[[str, str, str], None]  # (field, rule, message)


def _fmt(d: Decimal) -> str:
    return format(d.normalize(), "f")


def scheme_problems(s: AssessmentScheme) -> list[SchemeProblem]:
    from shared.assessment_scheme import SchemeProblem

    out: list[SchemeProblem] = []

    def add(field: str, rule: str, message: str) -> None:
        out.append(SchemeProblem(field, rule, message))

    for name, items in (("classes", s.classes), ("components", s.components), ("indicators", s.indicators)):
        for item_id, n in Counter(x.id for x in items).items():
            if n > 1:
                add(name, "duplicate_id", f"{item_id!r} appears {n} times")
    if s.effective_to is not None and s.effective_to < s.effective_from:
        add("effective_to", "effective_to_before_from", "the version ends before it starts")

    classes = [c.id for c in s.classes]
    components = {c.id: c for c in s.components}
    for i, comp in enumerate(s.components):
        _class_keys(add, f"components.{i}.weights", comp.weights, classes)
    for cls in classes:
        total = sum((c.weights.get(cls, Decimal(0)) for c in s.components), Decimal(0))
        if total != HUNDRED:
            add(f"components.weights.{cls}", "component_weights_sum",
                f"the component weights of class {cls!r} add up to {_fmt(total)}, not 100")

    for i, ind in enumerate(s.indicators):
        _class_keys(add, f"indicators.{i}.weights", ind.weights, classes)
        comp = components.get(ind.component)
        if comp is None:
            add(f"indicators.{i}.component", "unknown_component", f"no component {ind.component!r}")
        elif comp.source != "indicators":
            add(f"indicators.{i}.component", "component_source_mismatch",
                f"component {comp.id!r} is scored from an evaluation score, not from indicators")
        _indicator_function(add, i, ind, classes)

    for comp in s.components:
        if comp.source != "indicators":
            continue
        for cls in classes:
            total = sum((ind.weights.get(cls, Decimal(0)) for ind in s.indicators if ind.component == comp.id), Decimal(0))
            counts = comp.weights.get(cls, Decimal(0)) > 0
            if (counts and total != HUNDRED) or (not counts and total not in (0, HUNDRED)):
                add(f"indicators.weights.{cls}", "indicator_weights_sum",
                    f"the indicators of component {comp.id!r} in class {cls!r} add up to {_fmt(total)}, not 100")

    _overrides(add, s, classes)
    _links(add, s)
    _thresholds(add, s)
    _tracking(add, s)
    return out


def _class_keys(add: Add, field: str, weights: dict[str, Decimal], classes: list[str]) -> None:
    for key in weights:
        if key not in classes:
            add(f"{field}.{key}", "unknown_class", f"no class {key!r} in the scheme")
    missing = [c for c in classes if c not in weights]
    if missing:
        add(field, "class_weight_missing", f"no weight for class(es) {missing}; state 0 where it does not count")


def _indicator_function(add: Add, i: int, ind: Indicator, classes: list[str]) -> None:
    f = ind.scoring
    counted = [c for c in classes if ind.weights.get(c, Decimal(0)) > 0]
    if f is None:
        if counted:
            add(f"indicators.{i}.scoring", "scoring_function_missing",
                f"indicator {ind.id!r} counts in {counted} but has no scoring function")
        return
    if ind.kind == "level" and f.function != "level_map":
        add(f"indicators.{i}.scoring.function", "level_kind_needs_level_map",
            f"a level indicator is scored with level_map, not {f.function}")
    if f.function == "level_map":
        for level in f.scale:
            if level not in f.points:
                add(f"indicators.{i}.scoring.points", "level_without_score", f"level {level!r} has no mapped score")
        for level in f.points:
            if level not in f.scale:
                add(f"indicators.{i}.scoring.points.{level}", "level_not_in_scale", f"{level!r} is not in the scale")
    if f.function == "bands":
        higher = ind.direction == "higher_is_better"
        ordered = sorted(f.bands, key=lambda b: b.threshold, reverse=higher)  # best band first
        pts = [f.otherwise, *(b.points for b in reversed(ordered))]  # worst first
        if any(a > b for a, b in itertools.pairwise(pts)) or len({b.threshold for b in f.bands}) < len(f.bands):
            add(f"indicators.{i}.scoring.bands", "bands_not_monotone",
                "a better band must not earn fewer points, and thresholds must differ")
    needs_target = f.function == "linear_to_target" or (f.function == "compare" and f.basis == "target")
    if needs_target:
        for cls in counted:
            target = ind.targets.get(cls)
            if target is None:
                add(f"indicators.{i}.targets.{cls}", "target_missing", f"indicator {ind.id!r} has no target in {cls!r}")
            elif target <= 0 and f.function == "linear_to_target":
                add(f"indicators.{i}.targets.{cls}", "target_not_positive", "linear-to-target needs a target above 0")
    for key in ind.targets:
        if key not in classes:
            add(f"indicators.{i}.targets.{key}", "unknown_class", f"no class {key!r} in the scheme")
    if f.function == "rank_in_class" and f.floor > f.best:
        add(f"indicators.{i}.scoring.floor", "floor_above_best", "the floor is above the best rank's points")
    if f.function == "compare" and f.floor > f.cap:
        add(f"indicators.{i}.scoring.floor", "floor_above_cap", "the floor is above the cap")


def _overrides(add: Add, s: AssessmentScheme, classes: list[str]) -> None:
    indicators = {ind.id: ind for ind in s.indicators}
    components = {c.id: c for c in s.components}
    for subject, n in Counter(o.subject_id for o in s.overrides).items():
        if n > 1:
            add("overrides", "override_duplicate_subject", f"subject {subject!r} has {n} overrides")
    for i, o in enumerate(s.overrides):
        if o.class_id not in classes:
            add(f"overrides.{i}.class_id", "unknown_class", f"no class {o.class_id!r} in the scheme")
            continue
        for key in o.components:
            if key not in components:
                add(f"overrides.{i}.components.{key}", "override_unknown_component", f"no component {key!r}")
        for key in o.indicators:
            if key not in indicators:
                add(f"overrides.{i}.indicators.{key}", "override_unknown_indicator", f"no indicator {key!r}")
        comp_w = {c.id: o.components.get(c.id, c.weights.get(o.class_id, Decimal(0))) for c in s.components}
        total = sum(comp_w.values(), Decimal(0))
        if total != HUNDRED:
            add(f"overrides.{i}.components", "override_weights_sum",
                f"with the override the component weights add up to {_fmt(total)}, not 100")
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for ind in s.indicators:
            sums[ind.component] += o.indicators.get(ind.id, ind.weights.get(o.class_id, Decimal(0)))
        for comp_id, total in sorted(sums.items()):
            comp = components.get(comp_id)
            if comp is None or comp.source != "indicators":
                continue
            if (comp_w.get(comp_id, 0) > 0 and total != HUNDRED) or (comp_w.get(comp_id, 0) == 0 and total not in (0, 100)):
                add(f"overrides.{i}.indicators", "override_weights_sum",
                    f"with the override the indicators of {comp_id!r} add up to {_fmt(total)}, not 100")


def _links(add: Add, s: AssessmentScheme) -> None:
    indicators = {ind.id for ind in s.indicators}
    takers = {(link.subject_id, link.indicator) for link in s.links}
    for i, link in enumerate(s.links):
        if link.indicator not in indicators:
            add(f"links.{i}.indicator", "link_unknown_indicator", f"no indicator {link.indicator!r}")
        for src in link.from_subjects:
            if (src, link.indicator) in takers:
                add(f"links.{i}.from_subjects", "link_chain",
                    f"{src!r} itself takes {link.indicator!r} from others; links do not chain")


def _thresholds(add: Add, s: AssessmentScheme) -> None:
    from shared.assessment_scheme import GRADE_SCALES

    scale = GRADE_SCALES[s.subject_kind]
    grades = [t.grade for t in s.grade_thresholds]
    for i, g in enumerate(grades):
        if g not in scale[:-1]:
            add(f"grade_thresholds.{i}.grade", "grade_not_in_scale",
                f"{g!r} is not a grade of a {s.subject_kind} above the lowest ({', '.join(scale[:-1])})")
    known = [t for t in s.grade_thresholds if t.grade in scale]
    positions = [scale.index(t.grade) for t in known]
    if positions != sorted(set(positions)) or any(
            a.at_least <= b.at_least for a, b in itertools.pairwise(known)):
        add("grade_thresholds", "grade_thresholds_not_descending", "thresholds go best grade first, each lower")


def _tracking(add: Add, s: AssessmentScheme) -> None:
    if s.tracking is None:
        return
    kinds = {ind.id: ind.kind for ind in s.indicators}
    if not any(ind.kind == "data" and ind.targets for ind in s.indicators):
        add("tracking", "tracking_without_targets", "warning notices need a data indicator with a target")
    for i, ind_id in enumerate(s.tracking.whole_target):
        if ind_id not in kinds:
            add(f"tracking.whole_target.{i}", "unknown_indicator", f"no indicator {ind_id!r}")
        elif kinds[ind_id] != "data":
            add(f"tracking.whole_target.{i}", "not_a_data_indicator",
                f"{ind_id!r} is a {kinds[ind_id]} indicator; only data readings have a schedule")
