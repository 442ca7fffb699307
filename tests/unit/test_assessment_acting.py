"""The consequences of a decided grade, acted on (issue 16, step 5): each rule with a case that fires it and one
that does not, and what a later decision raises and withdraws. Pure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from services.scoring.assessment.acting import WARNED, Decision, Held, entailed, plan, warning_key
from services.scoring.assessment.proposal import Proposal

DAY = dt.date(2026, 1, 20)


def decision(kind: str, grade: str, subject: str = "s-1") -> Decision:
    return Decision(subject, kind, "sch", 2025, grade, f"ev-{grade}", DAY)


def proposal(kind: str, composite: str | None, subject: str = "s-1") -> Proposal:
    return Proposal(subject, kind, 2025, "sch@1", None if composite is None else D(composite), None, None, None, (),
                    ("ev-input",))


def acted(kind: str, grade: str, composite: str | None = "85", head: str | None = None,
          prior: tuple[str, ...] = ()) -> dict[str, tuple[str, str | None]]:
    """rule -> (bearer, warning kind)"""
    return {a.rule: (a.bearer_id, a.warning_kind)
            for a in entailed(decision(kind, grade), proposal(kind, composite), head, prior)}


def test_a_composite_of_80_or_below_warns_of_a_reminder_talk() -> None:
    assert acted("cadre", "competent", "80.00")["composite_80_or_below_reminder_talk"] == (
        "s-1", "assessment_reminder_talk")
    assert "composite_80_or_below_reminder_talk" not in acted("cadre", "competent", "80.01")
    assert "composite_80_or_below_reminder_talk" not in acted("cadre", "competent", None)  # no composite computed


def test_basically_competent_warns_of_an_admonishment_talk() -> None:
    assert acted("cadre", "basically_competent")["basically_competent_admonishment"] == (
        "s-1", "assessment_admonishment_talk")
    assert "basically_competent_admonishment" not in acted("cadre", "competent")


def test_incompetent_flags_a_demotion_without_a_warning_of_its_own() -> None:
    found = acted("cadre", "incompetent")
    assert found["incompetent_demotion"] == ("s-1", None)
    assert found["incompetent_admonishment"] == ("s-1", "assessment_admonishment_talk")
    assert "incompetent_demotion" not in acted("cadre", "basically_competent")


def test_a_team_graded_average_bars_its_head() -> None:
    found = acted("team", "average", head="head-1")
    assert found["team_average_head_not_promoted"] == ("head-1", None)  # the screening rule bars it
    assert "team_average_head_not_promoted" not in acted("team", "good", head="head-1")


def test_a_unit_that_fails_owes_a_report_and_its_head_is_warned() -> None:
    found = acted("unit", "fail", head="head-1")
    assert found["unit_fail_rectification_report"] == ("s-1", None)
    assert found["unit_fail_head_admonishment"] == ("head-1", "assessment_admonishment_talk")
    assert "unit_fail_two_years_head_review" not in found
    assert acted("unit", "pass", head="head-1") == {}


def test_two_years_failed_warns_that_the_head_s_post_is_to_be_reviewed() -> None:
    found = acted("unit", "fail", head="head-1", prior=("ev-2024",))
    assert found["unit_fail_two_years_head_review"] == ("head-1", "assessment_head_post_review")
    review = next(a for a in entailed(decision("unit", "fail"), None, "head-1", ("ev-2024",))
                  if a.rule == "unit_fail_two_years_head_review")
    assert {"ev-2024", "ev-fail"} <= set(review.evidence)  # the two decisions are its evidence


def test_a_unit_without_a_recorded_head_bears_it_and_no_one_is_warned() -> None:
    found = acted("unit", "fail", head=None)
    assert found["unit_fail_head_admonishment"] == ("s-1", None)


def test_the_decided_grade_acts_not_the_proposed_one() -> None:
    p = Proposal("s-1", "unit", 2025, "sch@1", D("95"), "merit", "fail", None, (), ())  # proposed 不达标 (a veto)
    assert entailed(decision("unit", "pass"), p, "head-1") == []


def held(a, occurrence: int = 1, active: bool = True, bearer: str | None = None) -> Held:
    return Held(a.key, occurrence, bearer or a.bearer_id, active, a.warning_kind, a)


def test_deciding_again_raises_only_what_is_new_and_withdraws_what_is_no_longer_entailed() -> None:
    first = entailed(decision("unit", "fail"), None, "head-1")
    todo = plan(first, {})
    assert [(a.rule, n) for a, n in todo.raise_] == [("unit_fail_head_admonishment", 1),
                                                     ("unit_fail_rectification_report", 1)]
    holding = {a.key: held(a) for a in first}
    same = plan(entailed(decision("unit", "fail"), None, "head-1"), holding)  # a redelivery, a replay
    assert same.raise_ == () and same.withdraw == ()
    passed = plan(entailed(decision("unit", "pass"), None, "head-1"), holding)
    assert passed.raise_ == () and {h.key.split(":")[0] for h in passed.withdraw} == {
        "unit_fail_head_admonishment", "unit_fail_rectification_report"}
    withdrawn = {k: held(h.acted, active=False) for k, h in holding.items()}
    again = plan(first, withdrawn)  # failed again on appeal: the second occurrence of each key
    assert sorted(n for _, n in again.raise_) == [2, 2]


def test_a_new_head_takes_over_the_warning() -> None:
    first = entailed(decision("unit", "fail"), None, "head-1")
    holding = {a.key: held(a) for a in first}
    todo = plan(entailed(decision("unit", "fail"), None, "head-2"), holding)
    assert [(a.bearer_id, n) for a, n in todo.raise_] == [("head-2", 2)]
    assert [h.bearer_id for h in todo.withdraw] == ["head-1"]


def test_warning_keys_fit_their_column_and_stay_distinct() -> None:
    long_a, long_b = "r:" + "x" * 300 + ":a", "r:" + "x" * 300 + ":b"
    assert len(warning_key(long_a)) == 200 and warning_key(long_a) != warning_key(long_b)
    assert warning_key("short:key") == "short:key"
    assert set(WARNED) == {"reminder_talk", "admonishment_talk", "head_post_review"}
