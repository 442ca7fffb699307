"""What an assessment input or decision refers to must exist (issue 16): each rule with a case that refuses and one
that accepts. Pure."""

from __future__ import annotations

import copy

import pytest

from services.dossier.domain import assessment_references as refs
from services.dossier.errors import DomainError
from shared.answers.assessments import EXAMPLE_SCHEME
from shared.assessment_scheme import parse_scheme

V1 = parse_scheme(EXAMPLE_SCHEME)  # 2025 only: gdp, poverty, ecology; components work (indicators), routine (score)


def later() -> object:
    doc = copy.deepcopy(EXAMPLE_SCHEME)
    doc.update({"version": 2, "effective_from": "2026-01-01", "effective_to": None})
    doc["indicators"][1]["id"] = "rural_revival"  # poverty replaced
    return parse_scheme(doc)


def refused(call, *args) -> tuple[str | None, str]:
    with pytest.raises(DomainError) as caught:
        call(*args)
    return caught.value.field, caught.value.rule


def test_a_scheme_must_be_published() -> None:
    assert refused(refs.require_indicator, (), "nope", "gdp", 2025) == ("scheme_id", "scheme_exists")
    refs.require_scheme((V1,), "district-2025")


def test_an_indicator_must_be_one_of_a_version_of_the_year() -> None:
    refs.require_indicator((V1,), "district-2025", "gdp", 2025)
    assert refused(refs.require_indicator, (V1,), "district-2025", "gpd", 2025) == ("indicator_id",
                                                                                  "indicator_in_scheme")
    assert refused(refs.require_indicator, (V1,), "district-2025", "gdp", 2024) == ("indicator_id",
                                                                                  "indicator_in_scheme")
    both = (V1, later())
    refs.require_indicator(both, "district-2025", "rural_revival", 2026)
    assert refused(refs.require_indicator, both, "district-2025", "rural_revival", 2025)[1] == "indicator_in_scheme"


def test_a_score_must_be_of_a_component_scored_as_a_whole() -> None:
    refs.require_scored_component((V1,), "district-2025", "routine", 2025)
    assert refused(refs.require_scored_component, (V1,), "district-2025", "work", 2025) == (
        "component_id", "component_scored_in_scheme")


def test_a_decision_s_scheme_assesses_that_kind_of_subject() -> None:
    refs.require_kind((V1,), "district-2025", "unit")
    assert refused(refs.require_kind, (V1,), "district-2025", "team") == ("scheme_id", "scheme_assesses_the_kind")


def test_a_report_is_owed_after_a_fail_once_and_again_after_a_new_fail() -> None:
    from services.dossier.domain.assessment_rectification import Rectifications, evolve, file_report
    from shared.assessment_consequence_commands import FileRectificationReport
    from shared.events import AssessmentGradeDecided

    cmd = FileRectificationReport(scheme_id="s", report={"reason": "整改", "document": "d"})

    def decided(grade: str) -> AssessmentGradeDecided:
        return AssessmentGradeDecided(scheme_id="s", year=2025, subject_kind="unit", grade=grade)

    state = Rectifications()
    assert refused(file_report, state, True, "u", 2025, cmd) == ("scheme_id", "rectification_owed")
    state = evolve(state, decided("fail"))
    [filed] = file_report(state, True, "u", 2025, cmd)
    state = evolve(state, filed)
    assert refused(file_report, state, True, "u", 2025, cmd) == ("year", "rectification_filed_once")
    state = evolve(evolve(state, decided("pass")), decided("fail"))  # decided otherwise, then 不达标 again
    assert file_report(state, True, "u", 2025, cmd)
    assert refused(file_report, state, False, "u", 2025, cmd) == ("unit_id", "unit_exists")
