"""The facts a portrait needs (issue 20): education, expertise and other sources' results, without a database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from services.dossier import domain
from services.dossier.domain import profile
from shared import commands as c
from shared import profile_commands as pc
from shared.events import EducationKind, EducationLevel
from tests.unit.test_domain import ctx, refused, registered, run

BASIS = {"reason": "学历证书", "document": "10055120050200123"}


def education(**overrides: Any) -> pc.RecordEducation:
    return pc.RecordEducation.model_validate({
        "kind": "full_time", "level": "bachelor", "degree": "bachelor", "major": "土木工程", "discipline": "engineering",
        "institution": "天津大学", "completed_on": "2000-07-01", "basis": BASIS, **overrides})


def expertise(**overrides: Any) -> pc.RecordExpertise:
    return pc.RecordExpertise.model_validate({"professional_field": "urban_construction",
                                              "familiar_fields": ["economy", "planning"],
                                              "effective_date": "2020-01-01", "basis": BASIS, **overrides})


def result(**overrides: Any) -> pc.RecordExternalResult:
    return pc.RecordExternalResult.model_validate({
        "source": "political_patrol", "title": "第三轮巡察", "effective_date": "2025-06-01", "conclusion": "negative",
        "findings": ["主体责任落实不到位"], "basis": BASIS, **overrides})


def test_education_of_each_kind_and_the_one_in_force_on_a_day() -> None:
    state = run(registered(), profile.record_education, education(), ctx())
    state = run(state, profile.record_education,
                education(kind="in_service", level="master", degree="master", major="公共管理", discipline="management",
                          completed_on="2012-01-15"), ctx())
    on = state.profile.education_on
    assert on(EducationKind.FULL_TIME, dt.date(2000, 6, 30)) is None  # not yet completed
    assert on(EducationKind.FULL_TIME, dt.date(2000, 7, 1)).level is EducationLevel.BACHELOR
    assert on(EducationKind.IN_SERVICE, dt.date(2012, 1, 14)) is None
    assert on(EducationKind.IN_SERVICE, dt.date(2020, 1, 1)).major == "公共管理"


def test_replacing_an_education_needs_a_reason_and_the_replacement_counts_from_its_date() -> None:
    state = run(registered(), profile.record_education, education(), ctx())
    refused("correction_has_reason", profile.record_education, state, education(major="建筑学"), ctx())
    corrected = run(state, profile.record_education, education(major="建筑学", reason="证书核对更正"), ctx())
    assert corrected.profile.education_on(EducationKind.FULL_TIME, dt.date(2026, 1, 1)).major == "建筑学"
    assert len(corrected.profile.education[EducationKind.FULL_TIME]) == 2  # the first stays in the stream


def test_expertise_latest_in_force_and_replacing_needs_a_reason() -> None:
    state = run(registered(), profile.record_expertise, expertise(), ctx())
    refused("correction_has_reason", profile.record_expertise, state, expertise(professional_field="finance"), ctx())
    later = run(state, profile.record_expertise,
                expertise(professional_field="finance", effective_date="2024-03-01", reason="调任财政局"), ctx())
    assert later.profile.expertise_on(dt.date(2024, 2, 29)).professional_field == "urban_construction"
    assert later.profile.expertise_on(dt.date(2024, 3, 1)).professional_field == "finance"
    assert later.profile.expertise_on(dt.date(2019, 12, 31)) is None


def test_familiar_fields_are_codes_given_once() -> None:
    with pytest.raises(ValidationError, match="each familiar field once"):
        expertise(familiar_fields=["economy", "economy"])
    with pytest.raises(ValidationError):
        expertise(familiar_fields=["Economy!"])


def test_results_from_other_sources_and_their_rules() -> None:
    state = run(registered(), profile.record_external_result, result(), "r-1", ctx())
    assert [r.result_id for r in state.profile.results_by(dt.date(2025, 6, 1))] == ["r-1"]
    assert state.profile.results_by(dt.date(2025, 5, 31)) == []
    with pytest.raises(domain.AlreadyDone):
        profile.record_external_result(state, result(), "r-1", ctx())
    refused("departure_after_leaving", profile.record_external_result, state,
            result(source="departure_evaluation"), "r-2", ctx())
    posted = run(state, domain.assign_post, c.AssignPost(unit_id="u-1", position="局长", rank="正处级",
                                                         leadership="chief", start_date="2019-01-01"), "p-1", ctx())
    ended = run(posted, domain.end_post, "p-1", c.EndPost(end_date="2025-05-01", reason="任期届满"), ctx())
    refused("departure_after_leaving", profile.record_external_result, ended,
            result(source="departure_evaluation", effective_date="2025-04-30"), "r-2", ctx())
    assert run(ended, profile.record_external_result, result(source="departure_evaluation"), "r-2",
               ctx()).profile.results["r-2"].source == "departure_evaluation"
    with pytest.raises(ValidationError):
        result(findings=[])


def test_nothing_after_today_and_no_record_of_a_cadre_not_registered() -> None:
    refused("not_in_future", profile.record_education, registered(), education(completed_on="2026-11-22"), ctx())
    refused("not_in_future", profile.record_expertise, registered(), expertise(effective_date="2026-11-22"), ctx())
    with pytest.raises(domain.CadreNotFound):
        profile.record_education(domain.Dossier("nobody"), education(), ctx())
