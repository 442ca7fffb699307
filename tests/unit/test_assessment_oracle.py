"""The composite computed by hand for a small scheme (two classes; a missing reading under each policy; an
override; a level map; a link; a veto), asserted to the last decimal. The arithmetic is written out on the
literal numbers of ``assessment_schemes``: the expected values never come from the code under test."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.scoring.assessment import AssessmentResult, ConstraintBreach, Inputs, assess, propose_all
from tests.unit.assessment_schemes import READINGS, SCORES, SUBJECTS, scheme

D = Decimal
Results = dict[str, AssessmentResult]
BREACH = ConstraintBreach("n3", "ecology", ("ev-n3-accident",), "重大生态环境损害事故")


@pytest.fixture(scope="module")
def results() -> Results:
    return assess(scheme(), 2025, SUBJECTS, Inputs(tuple(READINGS), tuple(SCORES), (BREACH,)))


def test_every_reading_present(results: Results) -> None:
    # c1 (central): gdp 110 / target 100 → 110 points (cap 120); projects 80 → band ≥75 → 80; poverty 较好 → 85
    # work = (110×50 + 80×30 + 85×20) / 100 = (5500 + 2400 + 1700) / 100 = 96
    # composite = (96×60 + 90×40) / 100 = (5760 + 3600) / 100 = 93.6
    c1 = results["c1"]
    assert c1.composite == D("93.60") and c1.status == "complete"
    assert c1.component("work").score == 96
    gdp = c1.component("work").indicators[0]
    assert (gdp.indicator_id, gdp.raw, gdp.basis, gdp.points, gdp.weight) == ("gdp", "110", 100, 110, 50)
    assert gdp.contribution == D("55") and gdp.event_ids == ("ev-c1-gdp",)
    assert c1.missing == () and c1.rules() == []


def test_missing_reading_renormalised(results: Results) -> None:
    # c2: gdp missing (work renormalises); projects 95 → 100; poverty 好 → 100
    # work = (100×30 + 100×20) / (30 + 20) = 5000 / 50 = 100
    # composite = (100×60 + 70×40) / 100 = (6000 + 2800) / 100 = 88
    c2 = results["c2"]
    assert c2.composite == D("88.00")
    assert c2.component("work").status == "renormalised"
    assert [(m.what, m.policy) for m in c2.missing] == [("indicator gdp", "renormalise")]
    assert "missing_renormalised" in c2.rules()


def test_missing_score_counted_as_zero(results: Results) -> None:
    # c3: gdp 90 → 90; projects 60 → band ≥60 → 60; poverty 一般 → 70; routine missing → 0 (its policy)
    # work = (90×50 + 60×30 + 70×20) / 100 = (4500 + 1800 + 1400) / 100 = 77
    # composite = (77×60 + 0×40) / 100 = 4620 / 100 = 46.2
    c3 = results["c3"]
    assert c3.composite == D("46.20")
    assert c3.component("routine").status == "counted_zero" and c3.component("routine").score == 0
    assert "missing_counted_zero" in c3.rules()


def test_override_and_cap(results: Results) -> None:
    # beidaihe (central, its override: gdp 40, projects 40, poverty stays 20):
    # gdp 130 → 130 points, held at the cap 120; projects 70 → band ≥60 → 60; poverty 好 → 100
    # work = (120×40 + 60×40 + 100×20) / 100 = (4800 + 2400 + 2000) / 100 = 92
    # composite = (92×60 + 85×40) / 100 = (5520 + 3400) / 100 = 89.2
    b = results["beidaihe"]
    assert b.composite == D("89.20")
    assert b.rules() == ["weight_override", "points_capped"]
    assert "旅游城区" in b.fired[0].message


def test_second_class_with_its_own_weights(results: Results) -> None:
    # n1 (new): gdp 60 / target 80 → 75; projects 90 → 100; poverty 较好 → 85
    # work = (75×40 + 100×30 + 85×30) / 100 = (3000 + 3000 + 2550) / 100 = 85.5
    # composite = (85.5×50 + 80×40 + 95×10) / 100 = (4275 + 3200 + 950) / 100 = 84.25
    assert results["n1"].composite == D("84.25")


def test_missing_score_blocks(results: Results) -> None:
    # n2: the department evaluation (survey) is missing and its policy blocks the result
    n2 = results["n2"]
    assert n2.status == "blocked" and n2.composite is None
    assert [(m.what, m.policy) for m in n2.missing] == [("component survey", "block")]


def test_veto_keeps_the_composite_and_fails_the_unit(results: Results) -> None:
    # n3: gdp 88 / 80 → 110; projects 76 → 80; poverty 好 → 100
    # work = (110×40 + 80×30 + 100×30) / 100 = (4400 + 2400 + 3000) / 100 = 98
    # composite = (98×50 + 92×40 + 91×10) / 100 = (4900 + 3680 + 910) / 100 = 94.9 → 立功 by score
    n3 = results["n3"]
    assert n3.composite == D("94.90")
    assert n3.rules() == ["constraint_breach"] and n3.fired[0].event_ids == ("ev-n3-accident",)
    proposal = propose_all(scheme(), results, Inputs(breaches=(BREACH,)))["n3"]
    assert (proposal.calculated, proposal.proposed) == ("merit", "fail")


def test_rounding_once_at_the_end(results: Results) -> None:
    # n4: projects missing (renormalise); gdp 70 / 80 → 87.5; poverty 好 → 100
    # work = (87.5×40 + 100×30) / (40 + 30) = 6500 / 70 = 650/7 = 92.857142…
    # composite = (650/7 × 50 + 77×40 + 83×10) / 100 = (32500/7 + 3910) / 100 = 59870/700 = 85.528571… → 85.53
    n4 = results["n4"]
    assert n4.composite == D("85.53")
    assert n4.exact is not None and str(n4.exact).startswith("85.5285714285714285714")


def test_linked_indicator(results: Results) -> None:
    # n5 takes gdp from c1 (110 points) and n1 (75 points): (110 + 75) / 2 = 92.5
    # projects 90 → 100; poverty 一般 → 70
    # work = (92.5×40 + 100×30 + 70×30) / 100 = (3700 + 3000 + 2100) / 100 = 88
    # composite = (88×50 + 60×40 + 70×10) / 100 = (4400 + 2400 + 700) / 100 = 75
    n5 = results["n5"]
    assert n5.composite == D("75.00")
    gdp = n5.component("work").indicators[0]
    assert gdp.linked_from == ("c1", "n1") and gdp.points == D("92.5")
    assert set(gdp.event_ids) == {"ev-c1-gdp", "ev-n1-gdp"} and "linked_indicator" in n5.rules()


def test_ranks_within_class_only(results: Results) -> None:
    from services.scoring.assessment import standings

    ranks = standings(scheme(), results.values())
    # central: c1 93.6, beidaihe 89.2, c2 88, c3 46.2 → top 30 % of 4 = ceil(1.2) = 2 places; no bottom band (< 10)
    assert [(k, ranks[k].rank, ranks[k].band) for k in ("c1", "beidaihe", "c2", "c3")] == [
        ("c1", 1, "top"), ("beidaihe", 2, "top"), ("c2", 3, None), ("c3", 4, None)]
    # new: n3 94.9, n4 85.53, n1 84.25, n5 75 (n2 blocked, unranked)
    assert [ranks[k].rank for k in ("n3", "n4", "n1", "n5")] == [1, 2, 3, 4] and "n2" not in ranks
