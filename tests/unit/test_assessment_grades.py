"""Every grade rule and consequence: a case that fires it and one that does not; the boundaries (90 for
political quality, 80 for the reminder talk). A one-component scheme makes the composite the score given."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from services.scoring.assessment import (
    ConstraintBreach,
    DowngradeMatter,
    GradeFacts,
    Inputs,
    Proposal,
    Standing,
    Subject,
    assess,
    consequences,
    propose,
    propose_all,
)
from tests.unit.assessment_schemes import s, scheme

D = Decimal
THRESHOLDS = {"unit": [("merit", "90"), ("pass", "60")], "team": [("excellent", "90"), ("good", "75"), ("average", "60")],
              "cadre": [("excellent", "90"), ("competent", "70"), ("basically_competent", "60")]}


def simple(kind: str) -> Any:
    return scheme({
        "id": f"{kind}-simple", "version": 1, "effective_from": "2025-01-01", "reason": "test", "document": "test",
        "subject_kind": kind, "classes": [{"id": "k", "name": "k"}],
        "components": [{"id": "overall", "name": "综合", "source": "score", "missing": "block", "weights": {"k": "100"}},
                       {"id": "limits", "name": "约束", "source": "indicators", "missing": "block", "weights": {"k": "0"}}],
        "indicators": [{"id": "eco", "name": "生态", "component": "limits", "kind": "constraint", "veto": True,
                        "weights": {"k": "0"}},
                       {"id": "minor", "name": "一般约束", "component": "limits", "kind": "constraint",
                        "weights": {"k": "0"}}],
        "grade_thresholds": [{"grade": g, "at_least": v} for g, v in THRESHOLDS[kind]]})


def proposal(kind: str, composite: str | None, standing: Standing | None = None, breaches: tuple[ConstraintBreach, ...] = (),
             **facts: Any) -> Proposal:
    sch = simple(kind)
    scores = () if composite is None else (s("x", "overall", composite),)
    result = assess(sch, 2025, [Subject("x", "k")], Inputs(scores=scores, breaches=breaches))["x"]
    veto = tuple(e for b in breaches if b.indicator_id == "eco" for e in b.event_ids)
    return propose(sch, result, GradeFacts("x", **facts), standing, veto)


GOOD = {"political_quality": D(95), "appraisal_level": "good"}


@pytest.mark.parametrize(("kind", "score", "grade"), [
    ("unit", "90", "merit"), ("unit", "89.99", "pass"), ("unit", "59.99", "fail"),
    ("team", "75", "good"), ("team", "59", "poor"), ("cadre", "69.99", "basically_competent"), ("cadre", "10", "incompetent")])
def test_grade_from_composite(kind: str, score: str, grade: str) -> None:
    p = proposal(kind, score, **(GOOD if kind != "unit" else {}))
    assert (p.calculated, p.proposed, p.rules()) == (grade, grade, ["grade_from_composite"])


def test_blocked_composite_proposes_nothing_but_a_veto_still_fails_the_unit() -> None:
    assert proposal("cadre", None).proposed is None and proposal("cadre", None).rules() == ["composite_blocked"]
    veto = proposal("unit", None, breaches=(ConstraintBreach("x", "eco", ("ev-acc",)),))
    assert veto.proposed == "fail" and "constraint_veto_unit_fails" in veto.rules()


def test_unit_veto_fires_only_on_a_veto_constraint() -> None:
    fired = proposal("unit", "95", breaches=(ConstraintBreach("x", "eco", ("ev-acc",)),))
    assert fired.proposed == "fail" and fired.fired[-1].event_ids == ("ev-acc",)
    not_veto = proposal("unit", "95", breaches=(ConstraintBreach("x", "minor", ("ev-m",)),))
    assert not_veto.proposed == "merit" and "constraint_veto_unit_fails" not in not_veto.rules()


@pytest.mark.parametrize(("kind", "capped"), [("team", "good"), ("cadre", "competent")])
def test_political_quality_below_90_bars_excellent_and_90_passes(kind: str, capped: str) -> None:
    below = proposal(kind, "96", political_quality=D("89.99"), political_quality_events=("ev-pq",), appraisal_level="good")
    assert below.proposed == capped and "political_quality_below_90_bars_excellent" in below.rules()
    assert below.fired[-1].event_ids == ("ev-pq",)
    at = proposal(kind, "96", political_quality=D(90), appraisal_level="good")
    assert at.proposed == "excellent" and "political_quality_below_90_bars_excellent" not in at.rules()


def test_political_quality_unknown_bars_excellent_only() -> None:
    assert proposal("cadre", "96", appraisal_level="good").rules()[-1] == "political_quality_unknown_bars_excellent"
    competent = proposal("cadre", "80", appraisal_level="good")
    assert competent.proposed == "competent" and competent.rules() == ["grade_from_composite"]


def test_integrity_veto_makes_the_appraisal_poor_and_caps_below_competent() -> None:
    p = proposal("cadre", "96", political_quality=D(95), appraisal_level="good", integrity_veto_events=("ev-veto",))
    assert p.appraisal_level == "poor" and p.proposed == "basically_competent"
    assert p.rules() == ["grade_from_composite", "morality_integrity_veto_appraisal_poor", "appraisal_poor_caps_below_competent"]
    assert proposal("cadre", "96", **GOOD).appraisal_level == "good"


@pytest.mark.parametrize(("level", "grade", "rule"), [
    ("poor", "basically_competent", "appraisal_poor_caps_below_competent"),
    ("fairly_good", "competent", "appraisal_below_good_bars_excellent"),
    ("average", "competent", "appraisal_below_good_bars_excellent"),
    (None, "competent", "appraisal_unknown_bars_excellent")])
def test_appraisal_ceilings(level: str | None, grade: str, rule: str) -> None:
    p = proposal("cadre", "96", political_quality=D(95), appraisal_level=level)
    assert p.proposed == grade and rule in p.rules()
    good = proposal("cadre", "96", political_quality=D(95), appraisal_level="good")
    assert good.proposed == "excellent" and not {rule} & set(good.rules())


def test_poverty_county_team_follows_its_result() -> None:
    p = proposal("team", "70", poverty_result="good", poverty_events=("ev-pov",), political_quality=D(95))
    assert (p.calculated, p.proposed) == ("average", "excellent") and "poverty_county_team_follows_result" in p.rules()
    assert proposal("team", "95", poverty_result="fairly_good", political_quality=D(95)).proposed == "good"
    plain = proposal("team", "70", political_quality=D(95))
    assert plain.proposed == "average" and "poverty_county_team_follows_result" not in plain.rules()


def test_poverty_county_head_is_excellent_in_principle() -> None:
    head = proposal("cadre", "80", poverty_result="good", poverty_county_head=True, **GOOD)
    assert head.proposed == "excellent" and "poverty_good_head_excellent" in head.rules()
    not_head = proposal("cadre", "80", poverty_result="good", **GOOD)
    assert not_head.proposed == "competent"
    fairly = proposal("cadre", "80", poverty_result="fairly_good", poverty_county_head=True, **GOOD)
    assert fairly.proposed == "competent" and "poverty_good_head_excellent" not in fairly.rules()
    gated = proposal("cadre", "80", poverty_result="good", poverty_county_head=True, political_quality=D(89),
                     appraisal_level="good")
    assert gated.proposed == "competent"  # in principle: the gate still applies


BOTTOM = Standing("x", "k", 10, 10, "bottom")


@pytest.mark.parametrize(("kind", "rule"), [
    ("veto_matter", "veto_matter_downgrade"), ("public_reprimand", "public_reprimand_downgrade"),
    ("member_disciplined", "member_disciplined_downgrade")])
def test_team_downgrades(kind: str, rule: str) -> None:
    p = proposal("team", "80", downgrades=(DowngradeMatter(kind, ("ev-d",)),), political_quality=D(95))
    assert (p.calculated, p.proposed) == ("good", "average") and rule in p.rules()
    assert proposal("team", "80", political_quality=D(95)).proposed == "good"


def test_low_rank_needs_both_the_bottom_band_and_a_formal_talk() -> None:
    talk = (DowngradeMatter("formal_talk", ("ev-talk",)),)
    fired = proposal("team", "80", BOTTOM, downgrades=talk, political_quality=D(95))
    assert fired.proposed == "average" and "low_rank_and_formal_talk_downgrade" in fired.rules()
    middle = proposal("team", "80", Standing("x", "k", 5, 10, None), downgrades=talk, political_quality=D(95))
    assert middle.proposed == "good" and "low_rank_and_formal_talk_downgrade" not in middle.rules()
    assert proposal("team", "80", BOTTOM, political_quality=D(95)).proposed == "good"


def test_several_matters_lower_one_level_in_all_and_never_below_the_scale() -> None:
    matters = (DowngradeMatter("veto_matter"), DowngradeMatter("public_reprimand"))
    assert proposal("team", "95", downgrades=matters, political_quality=D(95)).proposed == "good"
    assert proposal("team", "10", downgrades=matters, political_quality=D(95)).proposed == "poor"


def actions(p: Proposal, **facts: Any) -> list[tuple[str, str, str]]:
    return [(c.rule, c.subject_id, c.action) for c in consequences(p, GradeFacts("x", **facts))]


def test_reminder_talk_at_80_and_below_not_above() -> None:
    assert ("composite_80_or_below_reminder_talk", "x", "reminder_talk") in actions(proposal("cadre", "80", **GOOD))
    assert not any(r == "composite_80_or_below_reminder_talk" for r, _, _ in actions(proposal("cadre", "80.01", **GOOD)))
    assert actions(proposal("cadre", None)) == []


def test_cadre_grade_consequences() -> None:
    assert actions(proposal("cadre", "95", **GOOD)) == [("excellent_commendation", "x", "commendation")]
    assert ("basically_competent_admonishment", "x", "admonishment_talk") in actions(proposal("cadre", "65", **GOOD))
    low = actions(proposal("cadre", "50", **GOOD))
    assert ("incompetent_demotion", "x", "demotion") in low and ("incompetent_admonishment", "x", "admonishment_talk") in low
    assert [r for r, _, _ in actions(proposal("cadre", "85", **GOOD))] == []


def test_team_average_bars_its_principal_head() -> None:
    got = actions(proposal("team", "65", political_quality=D(95)), head_id="head-1")
    assert got == [("team_average_report", "x", "written_report_and_rectification"),
                   ("team_average_head_not_promoted", "head-1", "promotion_barred")]
    assert actions(proposal("team", "80", political_quality=D(95)), head_id="head-1") == []


def test_unit_fail_owes_a_report_and_two_years_put_the_head_under_review() -> None:
    fail = proposal("unit", "50")
    once = actions(fail, head_id="head-1", prior_grade="pass")
    assert once == [("unit_fail_rectification_report", "x", "rectification_report"),
                    ("unit_fail_head_admonishment", "head-1", "admonishment_talk")]
    twice = consequences(fail, GradeFacts("x", head_id="head-1", prior_grade="fail", prior_grade_events=("ev-2024",)))
    assert twice[-1].rule == "unit_fail_two_years_head_review" and "ev-2024" in twice[-1].event_ids
    assert actions(proposal("unit", "70"), head_id="head-1", prior_grade="fail") == []


def test_propose_all_ranks_within_class_for_the_low_rank_rule() -> None:
    sch = simple("team")
    subjects = [Subject(f"t{i}", "k") for i in range(10)]
    scores = tuple(s(f"t{i}", "overall", str(70 + i)) for i in range(10))
    results = assess(sch, 2025, subjects, Inputs(scores=scores))
    facts = {sub.subject_id: GradeFacts(sub.subject_id, political_quality=D(95),
                                        downgrades=(DowngradeMatter("formal_talk", ("ev-talk",)),)) for sub in subjects}
    proposals = propose_all(sch, results, Inputs(scores=scores), facts)
    assert "low_rank_and_formal_talk_downgrade" in proposals["t0"].rules()  # 70: last of ten, the bottom 10 %
    assert "low_rank_and_formal_talk_downgrade" not in proposals["t1"].rules()
