"""Every refusal of the scheme validation, with its field path and rule id; versions that overlap."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from shared.assessment_scheme import SchemeInvalid, in_force, parse_scheme, version_problems
from tests.unit.assessment_schemes import UNIT_SCHEME, doc, scheme

Doc = dict[str, Any]


def _ind(d: Doc, ind_id: str) -> Doc:
    return next(i for i in d["indicators"] if i["id"] == ind_id)


def weights_off(d: Doc) -> None:
    d["components"][1]["weights"]["central"] = "35"  # 60 + 35 + 0 = 95


def indicator_class_weight_missing(d: Doc) -> None:
    del _ind(d, "projects")["weights"]["new"]


def indicator_weights_off(d: Doc) -> None:
    _ind(d, "projects")["weights"]["new"] = "20"  # 40 + 20 + 30 = 90


def unknown_function(d: Doc) -> None:
    _ind(d, "gdp")["scoring"] = {"function": "eval", "expression": "x * 2"}


def level_without_score(d: Doc) -> None:
    del _ind(d, "poverty")["scoring"]["points"]["poor"]


def level_not_in_scale(d: Doc) -> None:
    _ind(d, "poverty")["scoring"]["points"]["excellent"] = "110"


def unknown_class(d: Doc) -> None:
    d["components"][0]["weights"]["zone"] = "0"


def component_weight_missing(d: Doc) -> None:
    del d["components"][2]["weights"]["central"]


def target_missing(d: Doc) -> None:
    del _ind(d, "gdp")["targets"]["new"]


def target_not_positive(d: Doc) -> None:
    _ind(d, "gdp")["targets"]["new"] = "0"


def bands_not_monotone(d: Doc) -> None:
    _ind(d, "projects")["scoring"]["bands"][1]["points"] = "100.5"


def unknown_component(d: Doc) -> None:
    _ind(d, "projects")["component"] = "nowhere"


def score_component_with_indicators(d: Doc) -> None:
    _ind(d, "ecology")["component"] = "routine"


def function_missing(d: Doc) -> None:
    del _ind(d, "gdp")["scoring"]


def level_kind_without_map(d: Doc) -> None:
    _ind(d, "poverty")["scoring"] = {"function": "rank_in_class", "step": "5"}


def duplicate_id(d: Doc) -> None:
    d["classes"].append({"id": "new", "name": "again"})


def override_sum(d: Doc) -> None:
    d["overrides"][0]["indicators"]["gdp"] = "50"


def override_unknown_indicator(d: Doc) -> None:
    d["overrides"][0]["indicators"]["gdq"] = "0"


def override_twice(d: Doc) -> None:
    d["overrides"].append(dict(d["overrides"][0]))


def override_without_reason(d: Doc) -> None:
    d["overrides"][0]["reason"] = ""


def link_unknown(d: Doc) -> None:
    d["links"][0]["indicator"] = "gdq"


def link_chain(d: Doc) -> None:
    d["links"].append({"subject_id": "c1", "indicator": "gdp", "from_subjects": ["c2"], "reason": "x"})


def grade_not_in_scale(d: Doc) -> None:
    d["grade_thresholds"][0]["grade"] = "excellent"


def thresholds_ascending(d: Doc) -> None:
    d["grade_thresholds"][1]["at_least"] = "95"


def ends_before_start(d: Doc) -> None:
    d["effective_to"] = "2024-12-31"


def no_reason(d: Doc) -> None:
    del d["reason"]


def free_formula_field(d: Doc) -> None:
    _ind(d, "gdp")["formula"] = "value * 1.1"


REFUSALS: list[tuple[Callable[[Doc], None], str, str]] = [
    (weights_off, "components.weights.central", "component_weights_sum"),
    (indicator_class_weight_missing, "indicators.1.weights", "class_weight_missing"),
    (indicator_weights_off, "indicators.weights.new", "indicator_weights_sum"),
    (unknown_function, "indicators.0.scoring.function", "unknown_scoring_function"),
    (level_without_score, "indicators.2.scoring.points", "level_without_score"),
    (level_not_in_scale, "indicators.2.scoring.points.excellent", "level_not_in_scale"),
    (unknown_class, "components.0.weights.zone", "unknown_class"),
    (component_weight_missing, "components.2.weights", "class_weight_missing"),
    (target_missing, "indicators.0.targets.new", "target_missing"),
    (target_not_positive, "indicators.0.targets.new", "target_not_positive"),
    (bands_not_monotone, "indicators.1.scoring.bands", "bands_not_monotone"),
    (unknown_component, "indicators.1.component", "unknown_component"),
    (score_component_with_indicators, "indicators.3.component", "component_source_mismatch"),
    (function_missing, "indicators.0.scoring", "scoring_function_missing"),
    (level_kind_without_map, "indicators.2.scoring.function", "level_kind_needs_level_map"),
    (duplicate_id, "classes", "duplicate_id"),
    (override_sum, "overrides.0.indicators", "override_weights_sum"),
    (override_unknown_indicator, "overrides.0.indicators.gdq", "override_unknown_indicator"),
    (override_twice, "overrides", "override_duplicate_subject"),
    (override_without_reason, "overrides.0.reason", "string_too_short"),
    (link_unknown, "links.0.indicator", "link_unknown_indicator"),
    (link_chain, "links.0.from_subjects", "link_chain"),
    (grade_not_in_scale, "grade_thresholds.0.grade", "grade_not_in_scale"),
    (thresholds_ascending, "grade_thresholds", "grade_thresholds_not_descending"),
    (ends_before_start, "effective_to", "effective_to_before_from"),
    (no_reason, "reason", "missing"),
    (free_formula_field, "indicators.0.formula", "extra_forbidden"),
]


def test_the_example_scheme_is_valid() -> None:
    assert scheme().name == "district-2025@1"


@pytest.mark.parametrize(("change", "field", "rule"), REFUSALS, ids=[c.__name__ for c, _, _ in REFUSALS])
def test_refused_with_field_and_rule(change: Callable[[Doc], None], field: str, rule: str) -> None:
    d = doc()
    change(d)
    with pytest.raises(SchemeInvalid) as refused:
        parse_scheme(d)
    found = [(p.field, p.rule) for p in refused.value.problems]
    assert (field, rule) in found, found
    assert all(p.message for p in refused.value.problems)


def test_refused_from_json_too_and_constructing_the_model_cannot_bypass() -> None:
    d = doc()
    weights_off(d)
    with pytest.raises(SchemeInvalid):
        parse_scheme(json.dumps(d))
    from shared.assessment_scheme import AssessmentScheme

    with pytest.raises(SchemeInvalid):
        AssessmentScheme.model_validate(d)


def test_a_class_weight_of_zero_is_stated_not_omitted() -> None:
    d = doc()
    _ind(d, "projects")["weights"]["new"] = "0"
    _ind(d, "poverty")["weights"]["new"] = "60"
    assert parse_scheme(d).indicators[1].weights["new"] == 0


def test_problems_have_the_projects_shape() -> None:
    d = doc()
    weights_off(d)
    with pytest.raises(SchemeInvalid) as refused:
        parse_scheme(d)
    assert refused.value.problems[0].as_dict() == {
        "field": "components.weights.central", "rule": "component_weights_sum",
        "message": "the component weights of class 'central' add up to 95, not 100"}


def _version(n: int, start: str, end: str | None) -> Any:
    return scheme(version=n, effective_from=start, effective_to=end, reason=f"version {n}")


def test_versions_that_follow_each_other_are_accepted() -> None:
    v1, v2 = _version(1, "2025-01-01", "2025-06-30"), _version(2, "2025-07-01", None)
    assert version_problems([v2, v1]) == []
    assert in_force([v1, v2], dt.date(2025, 6, 30)) is v1 and in_force([v1, v2], dt.date(2025, 7, 1)) is v2
    assert in_force([v1, v2], dt.date(2024, 12, 31)) is None


@pytest.mark.parametrize(("end_of_first", "start_of_second"), [("2025-07-01", "2025-07-01"), (None, "2026-01-01")])
def test_overlapping_versions_are_refused(end_of_first: str | None, start_of_second: str) -> None:
    v1, v2 = _version(1, "2025-01-01", end_of_first), _version(2, start_of_second, None)
    problems = version_problems([v1, v2])
    assert [(p.field, p.rule) for p in problems] == [("versions.1.effective_from", "versions_overlap")]


def test_a_repeated_version_number_and_mixed_schemes_are_refused() -> None:
    v1, again = _version(1, "2025-01-01", "2025-03-31"), _version(1, "2025-04-01", None)
    assert [p.rule for p in version_problems([v1, again])] == ["version_repeated"]
    other = scheme(id="other-scheme", effective_from="2026-01-01", effective_to=None)
    assert "versions_of_different_schemes" in [p.rule for p in version_problems([v1, other])]


def test_the_example_is_unchanged() -> None:
    assert UNIT_SCHEME["version"] == 1  # the helpers copy; no test changes the shared document


def test_a_later_version_with_a_lower_number_is_refused() -> None:
    v2, v1 = _version(2, "2025-01-01", "2025-06-30"), _version(1, "2025-07-01", None)
    assert [(p.field, p.rule) for p in version_problems([v2, v1])] == [("versions.1.version", "versions_out_of_order")]


def test_the_pure_modules_import_no_framework() -> None:
    import subprocess
    import sys

    code = ("import sys, services.scoring.assessment, shared.assessment_scheme; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'fastapi', 'sqlalchemy', 'starlette'}))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
