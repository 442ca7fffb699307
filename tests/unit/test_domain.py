"""The dossier's fold and decisions, every workflow and every forbidden transition, without a database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from services.dossier import catalogue, domain
from shared import commands as c
from shared.events import (
    AnnualGrade,
    AppealDecided,
    AppraisalLevel,
    AppraisalLevelRecorded,
    EntryRevoked,
    IntegrityVetoRecorded,
    UnitLevel,
)

TODAY = dt.date(2026, 11, 21)
ME, BOSS, STRANGER = "c-1", "boss", "someone"
BASIS = {"reason": "市委通报表扬", "document": "组字〔2026〕8号"}
CATALOGUE = catalogue.fold(catalogue.DEFAULT_CATEGORIES)


def ctx(actor: str = "clerk-1", **kw: Any) -> domain.Context:
    return domain.Context(actor=actor, today=TODAY, catalogue=CATALOGUE, superiors=frozenset({BOSS}),
                          unit_levels={"u-1": UnitLevel.UNIT}, **kw)


def run(state: domain.Dossier, decision, *args: Any) -> domain.Dossier:
    for event in decision(state, *args):
        state = domain.evolve(state, event)
    return state


def registered() -> domain.Dossier:
    return run(domain.Dossier(ME), domain.register_cadre, c.RegisterCadre(name="张伟", unit_id="u-1"), ctx())


def entry_cmd(**overrides: Any) -> c.RecordEntry:
    fields = {"kind": "positive", "category": "honour", "title": "先进个人", "points": 3,
              "effective_date": "2026-05-01", "basis": BASIS, **overrides}
    return c.RecordEntry.model_validate(fields)


def with_entry(state: domain.Dossier | None = None, **overrides: Any) -> domain.Dossier:
    return run(state or registered(), domain.record_entry, entry_cmd(**overrides), "e-1", ctx())


def refused(rule: str, decision, *args: Any) -> domain.DomainError:
    with pytest.raises(domain.DomainError) as err:
        decision(*args)
    assert err.value.rule == rule, err.value
    return err.value


# ------------------------------------------------------------------------------------------------ cadres, posts


def test_registration_needs_a_registered_unit_and_happens_once() -> None:
    state = registered()
    assert state.exists and state.version == 1 and state.unit_id == "u-1"
    refused("cadre_already_registered", domain.register_cadre, state, c.RegisterCadre(name="x", unit_id="u-1"), ctx())
    refused("unit_exists", domain.register_cadre, domain.Dossier("c-2"), c.RegisterCadre(name="x", unit_id="u-9"), ctx())


def test_the_basic_record_is_filled_by_the_cadre_only() -> None:
    state = run(registered(), domain.record_basics, c.RecordBasics(gender="男", education="研究生"), ctx(ME))
    state = run(state, domain.write_self_evaluation, c.WriteSelfEvaluation(text="勤勉尽责"), ctx(ME))
    assert state.basics["education"] == "研究生" and state.self_evaluation == "勤勉尽责"
    refused("self_filled", domain.write_self_evaluation, state, c.WriteSelfEvaluation(text="x"), ctx(BOSS))


def test_a_transfer_ends_open_posts_the_day_before_the_new_one() -> None:
    post = c.AssignPost(unit_id="u-1", position="科长", rank="正科级", leadership="member", start_date="2020-01-01")
    state = run(registered(), domain.assign_post, post, "p-1", ctx())
    move = c.Transfer(unit_id="u-1", position="副局长", rank="副处级", leadership="deputy", start_date="2024-03-01",
                      reason="提拔")
    state = run(state, domain.transfer, move, "p-2", ctx())
    assert state.posts["p-1"].end_date == dt.date(2024, 2, 29)
    assert state.posts["p-2"].end_date is None and state.posts["p-2"].start_date == dt.date(2024, 3, 1)
    refused("post_open", domain.end_post, state, "p-1", c.EndPost(end_date="2024-03-01", reason="x"), ctx())
    refused("end_after_start", domain.end_post, state, "p-2", c.EndPost(end_date="2024-01-01", reason="x"), ctx())


# ------------------------------------------------------------------------------------------------ achievements


def test_a_claimed_achievement_counts_only_once_the_superior_verifies_it() -> None:
    claim = c.ClaimAchievement(title="港口改造", description="提前完成", effective_date="2026-06-30")
    state = run(registered(), domain.claim_achievement, claim, "a-1", ctx(ME))
    verify = c.VerifyAchievement(category="key_project", points=4)
    refused("not_own_record", domain.verify_achievement, state, "a-1", verify, ctx(ME))
    refused("superior_only", domain.verify_achievement, state, "a-1", verify, ctx(STRANGER))
    refused("points_within_category_range", domain.verify_achievement, state, "a-1",
            c.VerifyAchievement(category="key_project", points=11), ctx(BOSS))
    refused("category_matches_kind", domain.verify_achievement, state, "a-1",
            c.VerifyAchievement(category="honour", points=1), ctx(BOSS))
    state = run(state, domain.verify_achievement, "a-1", verify, ctx(BOSS))
    assert state.achievements["a-1"].status == "verified" and state.achievements["a-1"].points == Decimal(4)
    refused("achievement_awaits_verification", domain.reject_achievement, state, "a-1",
            c.RejectAchievement(reason="x"), ctx(BOSS))
    refused("self_filled", domain.claim_achievement, state, claim, "a-2", ctx(BOSS))


# ------------------------------------------------------------------------------------------------ quarterly reports

REPORT = c.SaveQuarterlyReport(key_work="完成", indicator_progress="80%", most_satisfied="项目", least_satisfied="调研")


def test_quarterly_report_draft_submit_return_resubmit_endorse() -> None:
    state = run(registered(), domain.save_report, "2026-Q3", REPORT, ctx(ME))
    refused("report_submitted", domain.endorse_report, state, "2026-Q3", c.EndorseQuarterlyReport(), ctx(BOSS))
    state = run(state, domain.submit_report, "2026-Q3", ctx(ME))
    refused("report_editable", domain.save_report, state, "2026-Q3", REPORT, ctx(ME))
    state = run(state, domain.return_report, "2026-Q3", c.ReturnQuarterlyReport(comment="补充数据"), ctx(BOSS))
    assert state.reports["2026-Q3"].status == "returned"
    state = run(state, domain.save_report, "2026-Q3", REPORT, ctx(ME))
    state = run(state, domain.submit_report, "2026-Q3", ctx(ME))
    refused("not_own_record", domain.endorse_report, state, "2026-Q3", c.EndorseQuarterlyReport(), ctx(ME))
    refused("superior_only", domain.endorse_report, state, "2026-Q3", c.EndorseQuarterlyReport(), ctx(STRANGER))
    state = run(state, domain.endorse_report, "2026-Q3", c.EndorseQuarterlyReport(comment="同意"), ctx(BOSS))
    assert state.reports["2026-Q3"].status == "endorsed"
    refused("report_submitted", domain.endorse_report, state, "2026-Q3", c.EndorseQuarterlyReport(), ctx(BOSS))
    refused("report_editable", domain.save_report, state, "2026-Q3", REPORT, ctx(ME))  # filed: immutable
    refused("report_submittable", domain.submit_report, state, "2026-Q3", ctx(ME))


def test_quarterly_reports_of_future_quarters_or_by_others_are_refused() -> None:
    refused("quarter_begun", domain.save_report, registered(), "2027-Q1", REPORT, ctx(ME))
    refused("self_filled", domain.save_report, registered(), "2026-Q3", REPORT, ctx(BOSS))
    refused("report_exists", domain.submit_report, registered(), "2026-Q2", ctx(ME))


# ------------------------------------------------------------------------------------------------ list entries


def test_entries_follow_the_catalogue() -> None:
    state = registered()
    refused("category_defined", domain.record_entry, state, entry_cmd(category="nope"), "e", ctx())
    refused("category_matches_kind", domain.record_entry, state, entry_cmd(category="inaction"), "e", ctx())
    refused("points_within_category_range", domain.record_entry, state, entry_cmd(points=10.5), "e", ctx())
    refused("not_in_future", domain.record_entry, state, entry_cmd(effective_date="2026-11-22"), "e", ctx())
    sanction = {"kind": "negative", "category": "accountability", "points": -5}
    refused("sanction_has_impact_period", domain.record_entry, state, entry_cmd(**sanction), "e", ctx())
    period = {"start": "2026-01-01", "end": "2026-12-31"}
    refused("impact_period_only_for_sanctions", domain.record_entry, state, entry_cmd(impact_period=period), "e", ctx())
    state = run(state, domain.record_entry, entry_cmd(**sanction, impact_period=period), "s-1", ctx())
    assert state.entries["s-1"].impact_period.end == dt.date(2026, 12, 31)


def test_amendments_correct_an_active_entry_within_the_rules() -> None:
    state = with_entry()
    state = run(state, domain.amend_entry, "e-1", c.AmendEntry(points=5, reason="核实后调整"), ctx())
    assert state.entries["e-1"].points == Decimal(5) and state.entries["e-1"].category == "honour"
    refused("amendment_changes_something", domain.amend_entry, state, "e-1", c.AmendEntry(points=5, reason="x"), ctx())
    refused("points_within_category_range", domain.amend_entry, state, "e-1", c.AmendEntry(points=20, reason="x"), ctx())
    refused("category_matches_kind", domain.amend_entry, state, "e-1",
            c.AmendEntry(category="inaction", reason="x"), ctx())
    state = run(state, domain.revoke_entry, "e-1", c.RevokeEntry(reason="撤销"))
    refused("entry_not_revoked", domain.amend_entry, state, "e-1", c.AmendEntry(points=4, reason="x"), ctx())
    refused("entry_not_revoked", domain.revoke_entry, state, "e-1", c.RevokeEntry(reason="again"))
    refused("entry_exists", domain.revoke_entry, state, "e-404", c.RevokeEntry(reason="x"))


def test_an_appeal_is_filed_by_the_cadre_and_decided_by_someone_else() -> None:
    state = with_entry(kind="negative", category="work_style", points=-2)
    refused("self_filled", domain.file_appeal, state, "e-1", c.FileAppeal(grounds="不实"), "ap-1", ctx(BOSS))
    state = run(state, domain.file_appeal, "e-1", c.FileAppeal(grounds="情况不实"), "ap-1", ctx(ME))
    refused("one_open_appeal", domain.file_appeal, state, "e-1", c.FileAppeal(grounds="再诉"), "ap-2", ctx(ME))
    refused("not_own_record", domain.decide_appeal, state, "ap-1", c.DecideAppeal(outcome="revoked", reason="x"), ctx(ME))
    events = domain.decide_appeal(state, "ap-1", c.DecideAppeal(outcome="revoked", reason="核实不实"), ctx())
    assert [type(e) for e in events] == [AppealDecided, EntryRevoked]
    for e in events:
        state = domain.evolve(state, e)
    assert state.entries["e-1"].revoked and state.appeals["ap-1"].outcome == "revoked"
    refused("appeal_open", domain.decide_appeal, state, "ap-1", c.DecideAppeal(outcome="upheld", reason="x"), ctx())


def test_an_upheld_appeal_leaves_the_entry_standing() -> None:
    state = run(with_entry(), domain.file_appeal, "e-1", c.FileAppeal(grounds="g"), "ap-1", ctx(ME))
    state = run(state, domain.decide_appeal, "ap-1", c.DecideAppeal(outcome="upheld", reason="维持"), ctx())
    assert not state.entries["e-1"].revoked and state.entries["e-1"].open_appeal is None


# ------------------------------------------------------------------------------------------------ assessments


def grade(g: str, reason: str | None = None) -> c.RecordAnnualGrade:
    return c.RecordAnnualGrade(grade=g, reason=reason)


def level(lv: str, reason: str | None = None) -> c.RecordAppraisalLevel:
    return c.RecordAppraisalLevel(level=lv, reason=reason)


def test_appraisal_fairly_good_or_average_excludes_excellent() -> None:
    state = run(registered(), domain.record_appraisal_level, 2025, level("fairly_good"), ctx())
    refused("appraisal_below_good_excludes_excellent", domain.record_annual_grade, state, 2025, grade("excellent"), ctx())
    state = run(state, domain.record_annual_grade, 2025, grade("competent"), ctx())
    assert state.year(2025).annual_grade is AnnualGrade.COMPETENT
    # and in the other order: an excellent year cannot then be appraised 一般
    state = run(registered(), domain.record_annual_grade, 2024, grade("excellent"), ctx())
    refused("appraisal_below_good_excludes_excellent", domain.record_appraisal_level, state, 2024, level("average"), ctx())


def test_a_poor_appraisal_caps_the_grade_below_competent() -> None:
    state = run(registered(), domain.record_appraisal_level, 2025, level("poor"), ctx())
    refused("poor_appraisal_caps_grade_below_competent", domain.record_annual_grade, state, 2025, grade("competent"), ctx())
    refused("poor_appraisal_caps_grade_below_competent", domain.record_annual_grade, state, 2025, grade("excellent"), ctx())
    state = run(state, domain.record_annual_grade, 2025, grade("basically_competent"), ctx())
    assert state.year(2025).annual_grade is AnnualGrade.BASICALLY_COMPETENT


def test_political_quality_below_90_excludes_excellent() -> None:
    state = run(registered(), domain.record_scores, 2025, c.RecordAssessmentScores(political_quality=89.5), ctx())
    refused("political_quality_below_90_excludes_excellent", domain.record_annual_grade, state, 2025,
            grade("excellent"), ctx())


def test_an_integrity_veto_makes_the_appraisal_poor_directly() -> None:
    veto = c.RecordIntegrityVeto(basis=BASIS)
    events = domain.record_integrity_veto(registered(), 2025, veto, ctx())
    assert [type(e) for e in events] == [IntegrityVetoRecorded, AppraisalLevelRecorded]
    state = run(registered(), domain.record_integrity_veto, 2025, veto, ctx())
    assert state.year(2025).appraisal_level is AppraisalLevel.POOR
    refused("veto_means_poor_appraisal", domain.record_appraisal_level, state, 2025, level("good", "复核"), ctx())
    graded = run(registered(), domain.record_annual_grade, 2025, grade("competent"), ctx())
    refused("poor_appraisal_caps_grade_below_competent", domain.record_integrity_veto, graded, 2025, veto, ctx())


def test_a_second_result_for_a_year_is_a_correction_and_needs_a_reason() -> None:
    state = run(registered(), domain.record_annual_grade, 2025, grade("competent"), ctx())
    refused("correction_has_reason", domain.record_annual_grade, state, 2025, grade("excellent"), ctx())
    state = run(state, domain.record_annual_grade, 2025, grade("excellent", "复核更正"), ctx())
    assert state.year(2025).annual_grade is AnnualGrade.EXCELLENT
    refused("year_begun", domain.record_annual_grade, state, 2027, grade("competent"), ctx())


def test_democratic_evaluation_tallies_per_rater_group() -> None:
    tally = c.RecordDemocraticEvaluation(rater_group="peers", counts={"excellent": 12, "competent": 30})
    state = run(registered(), domain.record_democratic_evaluation, 2025, tally, ctx())
    assert state.year(2025).democratic == {"peers": {"excellent": 12, "competent": 30}}


# ------------------------------------------------------------------------------------------------ commands


@pytest.mark.parametrize(("kind", "points", "ok"), [
    ("positive", 1, True), ("positive", 0, False), ("positive", -1, False),
    ("negative", -0.5, True), ("negative", 0, False), ("negative", 2, False),
    ("achievement", 0, True), ("achievement", 5, True), ("achievement", -1, False),
])
def test_points_sign_follows_the_kind(kind: str, points: float, ok: bool) -> None:
    if ok:
        assert entry_cmd(kind=kind, points=points).points == Decimal(str(points))
    else:
        with pytest.raises(ValidationError) as err:
            entry_cmd(kind=kind, points=points)
        assert err.value.errors()[0]["loc"] == ("points",)


@pytest.mark.parametrize("overrides", [
    {"points": 1000.5}, {"points": 1.234}, {"basis": {"reason": "", "document": "x"}},
    {"basis": {"reason": "r"}}, {"effective_date": "1900-01-01"}, {"unexpected": 1}, {"kind": "bonus"},
    {"title": ""}, {"impact_period": {"start": "2026-02-01", "end": "2026-01-01"}},
])
def test_bad_commands_are_refused(overrides: dict) -> None:
    with pytest.raises(ValidationError):
        entry_cmd(**overrides)
