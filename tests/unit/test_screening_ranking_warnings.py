"""Screening rules (each with a passing and a failing case, and its answer on a record with nothing in it:
unknown where the rule needs a recorded result, pass where it looks for recorded events and none happened),
rankings with ties and tiny classes, and warning conditions. Pure: facts are built by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from services.scoring import ranking, screening, warnings
from services.scoring.facts import CadreFacts, EntryFact, PostFact, Result
from services.scoring.rules import RankingRules, RuleBook

AS_OF = dt.date(2026, 11, 21)
RULES = RuleBook.load().for_date(AS_OF)
YEARS = (2023, 2024, 2025)


def entry(points: float, days_ago: int = 30, kind: str | None = None, category: str = "honour",
          impact: tuple[dt.date, dt.date] | None = None, n: int = 0) -> EntryFact:
    kind = kind or ("positive" if points > 0 else "negative")
    return EntryFact(f"e{n}-{points}-{days_ago}", f"ev{n}-{points}-{days_ago}", kind, category, Decimal(str(points)),
                     AS_OF - dt.timedelta(days=days_ago), impact)


def post(leadership: str = "member", start: dt.date = dt.date(2020, 1, 1), unit: str = "u-1",
         end: dt.date | None = None) -> PostFact:
    return PostFact(f"p-{unit}-{start}", f"ev-p-{unit}-{start}", unit, leadership, start, end)


def facts(**kw) -> CadreFacts:
    return CadreFacts("c-1", "张伟", "u-1", **kw)


def complete_years(grade: str = "competent", level: str = "good") -> dict:
    out = {}
    for y in YEARS:
        out[(y, "annual_grade")] = Result(f"g{y}", grade)
        out[(y, "appraisal_level")] = Result(f"a{y}", level)
    return out


def status(rule, f: CadreFacts) -> str:
    return rule(f, AS_OF, RULES).status


def test_net_negative_points_and_register() -> None:
    assert status(screening.net_negative, facts(entries=[entry(2), entry(-1)])) == "pass"
    failing = facts(entries=[entry(-2, n=1), entry(-1, n=2)])
    result = screening.net_negative(failing, AS_OF, RULES)
    assert result.status == "fail" and len(result.evidence) == 2 and "均为负" in result.reason_zh
    # an achievement lifts the dynamic points but not the register: not both negative, so a pass
    assert status(screening.net_negative, facts(entries=[entry(-2), entry(5, kind="achievement", category="x")])) == "pass"
    # entries older than three years do not count
    assert status(screening.net_negative, facts(entries=[entry(-2, days_ago=1200)])) == "pass"


def test_weak_appraisal_and_grade() -> None:
    assert status(screening.weak_appraisal_and_grade, facts(results=complete_years("competent", "fairly_good"))) == "fail"
    assert status(screening.weak_appraisal_and_grade, facts(results=complete_years("competent", "good"))) == "pass"
    partial = complete_years()
    del partial[(2024, "appraisal_level")]
    assert status(screening.weak_appraisal_and_grade, facts(results=partial)) == "unknown"


def test_unit_third_prize_bars_heads_for_a_year() -> None:
    chief = [post("chief", unit="u-9")]
    assert status(screening.unit_third_prize, facts(posts=chief, unit_prizes={("u-9", 2025): Result("t", "third")})) == "fail"
    assert status(screening.unit_third_prize, facts(posts=chief, unit_prizes={("u-9", 2025): Result("t", "second")})) == "pass"
    assert status(screening.unit_third_prize, facts(posts=chief)) == "unknown"
    assert status(screening.unit_third_prize, facts(posts=[post("member", unit="u-9")])) == "pass"


def test_a_team_graded_average_bars_its_principal_head_the_year_after() -> None:
    """001 (issue 16, step 5): team 一般 → its principal head is not promoted that year."""
    chief = [post("chief", unit="u-9")]
    average = facts(posts=chief, unit_team_grades={("u-9", 2025): Result("g", "average")})
    found = screening.team_average_bars_head(average, AS_OF, RULES)
    assert (found.status, found.evidence[0], found.source) == ("fail", "g", "001")
    good = facts(posts=chief, unit_team_grades={("u-9", 2025): Result("g", "good")})
    assert status(screening.team_average_bars_head, good) == "pass"
    earlier = facts(posts=chief, unit_team_grades={("u-9", 2024): Result("g", "average")})
    assert status(screening.team_average_bars_head, earlier) == "pass"  # the year after only
    member = facts(posts=[post("member", unit="u-9")], unit_team_grades={("u-9", 2025): Result("g", "average")})
    assert status(screening.team_average_bars_head, member) == "pass"


def test_mass_satisfaction_of_85_or_below() -> None:
    """002: 群众满意度85分以下 bars promotion, and in Chinese rules 以下 includes the number itself (domain.md)."""
    def scored(value: str) -> CadreFacts:
        return facts(results={(2025, "mass_satisfaction"): Result("s", value)})

    assert status(screening.mass_satisfaction, scored("84.5")) == "fail"
    assert status(screening.mass_satisfaction, scored("85")) == "fail"  # regression: 85 itself passed
    assert screening.mass_satisfaction(scored("85"), AS_OF, RULES).reason_en == "mass satisfaction 85 in 2025 is 85 or below"
    assert status(screening.mass_satisfaction, scored("85.5")) == "pass"
    assert status(screening.mass_satisfaction, facts()) == "unknown"
    # the newest year decides
    both = {(2024, "mass_satisfaction"): Result("s", "70"), (2025, "mass_satisfaction"): Result("t", "90")}
    assert status(screening.mass_satisfaction, facts(results=both)) == "pass"


def test_integrity_veto() -> None:
    assert status(screening.integrity_veto, facts(vetoes={2025: [Result("v", "doc")]})) == "fail"
    assert status(screening.integrity_veto, facts()) == "pass"
    assert status(screening.integrity_veto, facts(vetoes={2019: [Result("v", "doc")]})) == "pass"


def test_annual_result_below_competent() -> None:
    assert status(screening.annual_below_competent, facts(results=complete_years("basically_competent"))) == "fail"
    assert status(screening.annual_below_competent, facts(results=complete_years("competent"))) == "pass"
    assert status(screening.annual_below_competent, facts(results={(2025, "annual_grade"): Result("g", "excellent")})) \
        == "unknown"
    # a failing year decides even when another is missing
    assert status(screening.annual_below_competent, facts(results={(2025, "annual_grade"): Result("g", "incompetent")})) \
        == "fail"


def test_years_in_post() -> None:
    assert status(screening.years_in_post, facts(posts=[post(start=dt.date(2023, 11, 22))])) == "fail"
    assert status(screening.years_in_post, facts(posts=[post(start=dt.date(2023, 11, 21))])) == "pass"
    assert status(screening.years_in_post, facts(posts=[post(end=dt.date(2025, 1, 1))])) == "unknown"


def test_sanction_impact_period() -> None:
    inside = entry(-5, category="accountability", impact=(AS_OF - dt.timedelta(days=10), AS_OF + dt.timedelta(days=10)))
    over = entry(-5, category="accountability", impact=(dt.date(2024, 1, 1), dt.date(2024, 12, 31)))
    assert status(screening.sanction_impact, facts(entries=[inside])) == "fail"
    assert status(screening.sanction_impact, facts(entries=[over])) == "pass"


@pytest.mark.parametrize("rule", [screening.relatives, screening.naked_official])
def test_declarations(rule) -> None:
    kind = "relatives" if rule is screening.relatives else "naked_official"
    assert status(rule, facts(declarations={kind: Result("d", "1")})) == "fail"
    assert status(rule, facts(declarations={kind: Result("d", "0")})) == "pass"
    assert status(rule, facts()) == "unknown"


def test_execution_capability_negative_list() -> None:
    assert status(screening.execution_negative_list, facts(entries=[entry(-1, category="inaction")])) == "fail"
    assert status(screening.execution_negative_list, facts(entries=[entry(-1, category="work_style")])) == "pass"


# What each rule answers on a record with nothing in it (domain.md: missing data is never a silent pass).
ON_AN_EMPTY_RECORD = {
    "net_negative_points_and_register": "pass",  # no entry: the totals are zero, not negative
    "appraisal_fairly_good_or_below_and_grade_competent_or_below": "unknown",
    "unit_third_prize_bars_heads": "pass",  # heads only: without a post, not a head
    "team_average_bars_principal_head": "pass",  # heads only, as above
    "mass_satisfaction_below_threshold": "unknown",
    "morality_integrity_veto": "pass",  # a veto is an event: none recorded, none happened
    "annual_result_below_competent": "unknown",
    "less_than_three_years_in_post": "unknown",
    "inside_sanction_impact_period": "pass",
    "relatives_avoidance_conflict": "unknown",
    "naked_official": "unknown",
    "execution_capability_negative_list": "pass",
}


def test_each_rule_on_an_empty_record() -> None:
    answered = {r.rule: r.status for r in screening.screen(facts(), AS_OF, RULES).results}
    assert answered == ON_AN_EMPTY_RECORD


def test_the_rules_that_count_events_are_unknown_for_none_of_them() -> None:
    """The event-counting rules read entries, vetoes and sanctions; the record-reading ones go unknown
    exactly when their record is missing, and pass or fail once it is there."""
    chief = facts(posts=[post("chief", unit="u-9")])
    assert status(screening.unit_third_prize, chief) == "unknown"  # a head whose unit's result is missing
    assert screening.unit_third_prize(chief, AS_OF, RULES).reason_en == "the 2025 target evaluation of u-9 is not recorded"
    grades_only = facts(results={k: v for k, v in complete_years().items() if k[1] == "annual_grade"})
    assert status(screening.weak_appraisal_and_grade, grades_only) == "unknown"
    assert status(screening.annual_below_competent, grades_only) == "pass"


def test_verdicts() -> None:
    complete = facts(entries=[entry(3)], posts=[post(start=dt.date(2020, 1, 1))],
                     results={**complete_years(), (2025, "mass_satisfaction"): Result("s", "95")},
                     declarations={"relatives": Result("d", "0"), "naked_official": Result("n", "0")})
    assert screening.screen(complete, AS_OF, RULES).verdict == "eligible"
    assert screening.screen(facts(), AS_OF, RULES).verdict == "undetermined"
    complete.vetoes[2025] = [Result("v", "doc")]
    result = screening.screen(complete, AS_OF, RULES)
    assert result.verdict == "ineligible" and result.excluded_by == ["morality_integrity_veto"]
    assert result.rule_set == "default@1" and len(result.results) == 12


def candidates(*totals: float) -> list[ranking.Candidate]:
    return [ranking.Candidate(f"c{i}", f"n{i:02d}", "u", Decimal(str(t))) for i, t in enumerate(totals)]


def test_ranking_ties_share_a_rank_and_bands() -> None:
    ranked = ranking.rank(candidates(5, 9, 5, 1, 7, 3, 2, 8, 6, 4, 0), RankingRules())
    assert [(r.rank, float(r.candidate.total)) for r in ranked][:4] == [(1, 9), (2, 8), (3, 7), (4, 6)]
    ties = [r for r in ranked if r.candidate.total == 5]
    assert [r.rank for r in ties] == [5, 5] and [r.candidate.name for r in ties] == ["n00", "n02"]
    assert [r.band for r in ranked].count("top") == 4  # ceil(0.3 * 11)
    assert [r.candidate.total for r in ranked if r.band == "bottom"] == [0]  # floor(0.1 * 11) = 1


def test_a_tie_across_a_band_edge_falls_wholly_inside() -> None:
    ranked = ranking.rank(candidates(9, 8, 8, 7, 6, 5, 4, 3, 2, 1), RankingRules())  # top cut = 3
    assert [r.band for r in ranked][:4] == ["top", "top", "top", None]
    ranked = ranking.rank(candidates(9, 8, 7, 6, 5, 4, 3, 2, 1, 1), RankingRules())  # bottom size = 1
    assert [r.band for r in ranked][-2:] == ["bottom", "bottom"]


def test_tiny_classes() -> None:
    assert ranking.rank([], RankingRules()) == []
    [only] = ranking.rank(candidates(3), RankingRules())
    assert (only.rank, only.band) == (1, "top")
    assert [r.band for r in ranking.rank(candidates(3, 1), RankingRules())] == ["top", None]
    # fewer candidates than the bottom three: every one of them is in it, ranked
    two = ranking.bottom(ranking.rank(candidates(3, 2), RankingRules()), 3)
    assert [(r.rank, r.candidate.cadre_id) for r in two] == [(1, "c0"), (2, "c1")]
    assert ranking.bottom(ranking.rank(candidates(3, 2), RankingRules()), 0) == []


def test_bottom_three_include_ties() -> None:
    ranked = ranking.rank(candidates(9, 8, 7, 6, 5, 4, 3, 2, 2, 1), RankingRules())
    assert sorted(float(r.candidate.total) for r in ranking.bottom(ranked, 3)) == [1, 2, 2]
    ranked = ranking.rank(candidates(9, 8, 7, 6, 5, 4, 3, 3, 3, 1), RankingRules())
    assert sorted(float(r.candidate.total) for r in ranking.bottom(ranked, 3)) == [1, 3, 3, 3]


def test_warning_conditions() -> None:
    assert warnings.per_cadre(facts(entries=[entry(3)]), AS_OF, RULES) == []
    low_quarter = warnings.per_cadre(facts(entries=[entry(-4, days_ago=5), entry(10, days_ago=200)]), AS_OF, RULES)
    assert [(c.key, c.level) for c in low_quarter] == [("quarter_points_low:2026-Q4", "yellow")]
    negative = warnings.per_cadre(facts(entries=[entry(-2, days_ago=200)]), AS_OF, RULES)
    assert [(c.key, c.level) for c in negative] == [("rolling_total_negative", "red")]
    sanction = entry(-1, days_ago=100, category="accountability",
                     impact=(AS_OF - dt.timedelta(days=100), AS_OF + dt.timedelta(days=100)))
    found = warnings.per_cadre(facts(entries=[sanction, entry(5, days_ago=300)]), AS_OF, RULES)
    assert [c.kind for c in found] == ["sanction_in_impact_period"] and found[0].evidence == (sanction.event_id,)
