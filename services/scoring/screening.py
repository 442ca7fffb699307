"""Promotion screening (提拔重用资格审查): every rule of domain.md, per cadre, pass / fail / unknown. Pure.

A cadre is eligible only when every rule passes. Missing data is ``unknown``, never a silent
pass: a cadre with an unknown rule and no failing one is ``undetermined`` until the record is
complete. Each result carries its evidence (event ids) and a reason in Chinese and English.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from services.scoring.model import CadreFacts, EntryFact, PostFact
from services.scoring.rules import RuleSet
from services.scoring.window import points_text, rolling_window

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
GRADES_BELOW_COMPETENT = {"basically_competent", "incompetent"}
GRADES_COMPETENT_OR_BELOW = {"competent", "basically_competent", "incompetent"}
APPRAISALS_FAIRLY_GOOD_OR_BELOW = {"fairly_good", "average", "poor"}


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule: str
    status: str
    reason_zh: str
    reason_en: str
    evidence: tuple[str, ...] = ()
    source: str = ""  # the article the rule comes from


@dataclass(frozen=True, slots=True)
class Screening:
    cadre_id: str
    as_of: dt.date
    rule_set: str
    results: tuple[RuleResult, ...] = field(default_factory=tuple)

    @property
    def verdict(self) -> str:
        statuses = {r.status for r in self.results}
        return "ineligible" if FAIL in statuses else "undetermined" if UNKNOWN in statuses else "eligible"

    @property
    def excluded_by(self) -> list[str]:
        return [r.rule for r in self.results if r.status == FAIL]

    @property
    def unknown(self) -> list[str]:
        return [r.rule for r in self.results if r.status == UNKNOWN]


def _years(as_of: dt.date) -> list[int]:
    """The three complete calendar years before the as-of year (the annual reviews, 003)."""
    return [as_of.year - 3, as_of.year - 2, as_of.year - 1]


def _in_window(facts: CadreFacts, as_of: dt.date, years: int) -> list[EntryFact]:
    window = rolling_window(as_of, years)
    return [e for e in facts.entries if e.effective_date in window]


def net_negative(facts: CadreFacts, as_of: dt.date, rules: RuleSet) -> RuleResult:
    counted = _in_window(facts, as_of, rules.window_years)
    points = sum((e.points * rules.weight(e.category) for e in counted), Decimal(0))
    register = sum((e.points for e in counted if e.kind in ("positive", "negative")), Decimal(0))
    negatives = tuple(e.event_id for e in counted if e.points < 0)
    p, r = points_text(points), points_text(register)
    if points < 0 and register < 0:
        return RuleResult("net_negative_points_and_register", FAIL, f"近三年动态积分（{p}）和正负面清单（{r}）均为负",
                          f"over the last three years both dynamic points ({p}) and the register ({r}) are net negative",
                          negatives, "002")
    return RuleResult("net_negative_points_and_register", PASS, f"近三年动态积分 {p}，正负面清单 {r}",
                      f"dynamic points {p}, register {r} over the last three years", (), "002")


def _yearly(facts: CadreFacts, as_of: dt.date, kind: str) -> dict[int, tuple[str, str]]:
    return {y: (r.value, r.event_id) for y in _years(as_of) if (r := facts.results.get((y, kind)))}


def weak_appraisal_and_grade(facts: CadreFacts, as_of: dt.date, rules: RuleSet) -> RuleResult:
    rule = "appraisal_fairly_good_or_below_and_grade_competent_or_below"
    appraisals, grades = _yearly(facts, as_of, "appraisal_level"), _yearly(facts, as_of, "annual_grade")
    if len(appraisals) < 3 or len(grades) < 3:
        missing = [y for y in _years(as_of) if y not in appraisals or y not in grades]
        return RuleResult(rule, UNKNOWN, f"缺少{missing}年度的实绩鉴定或年度考核结果",
                          f"appraisal or annual results of {missing} are not recorded", (), "002")
    evidence = tuple(e for _, e in appraisals.values()) + tuple(e for _, e in grades.values())
    if (all(v in APPRAISALS_FAIRLY_GOOD_OR_BELOW for v, _ in appraisals.values())
            and all(v in GRADES_COMPETENT_OR_BELOW for v, _ in grades.values())):
        return RuleResult(rule, FAIL, "近三年实绩鉴定均为较好及以下且年度考核均为称职及以下",
                          "over the last three years appraisals were fairly good or below and annual results "
                          "competent or below", evidence, "002")
    return RuleResult(rule, PASS, "近三年实绩鉴定或年度考核有好/优秀等次",
                      "a good appraisal or an excellent annual result in the last three years", evidence, "002")


def unit_third_prize(facts: CadreFacts, as_of: dt.date, rules: RuleSet) -> RuleResult:
    rule = "unit_third_prize_bars_heads"
    heads = [p for p in facts.posts if p.leadership == "chief" and p.open_on(as_of)]
    if not heads:
        return RuleResult(rule, PASS, "非单位党政正职", "not a head of a unit", (), "002")
    years = range(as_of.year - rules.screening.third_prize_bar_years, as_of.year)
    for post in heads:
        for year in years:
            prize = facts.unit_prizes.get((post.unit_id, year))
            if prize is None:
                return RuleResult(rule, UNKNOWN, f"{post.unit_id} {year}年度目标考评结果未录入",
                                  f"the {year} target evaluation of {post.unit_id} is not recorded", (), "002")
            if prize.value == "third":
                return RuleResult(rule, FAIL, f"所在单位{year}年度目标考评为三等奖，党政正职一年内不得提拔",
                                  f"{post.unit_id} took third prize in {year}: its heads are barred for a year",
                                  (prize.event_id, post.event_id), "002")
    return RuleResult(rule, PASS, "所在单位年度目标考评非三等奖", "the unit did not take third prize", (), "002")


def team_average_bars_head(facts: CadreFacts, as_of: dt.date, rules: RuleSet) -> RuleResult:
    """团队一般 (001, issue 16): a leadership team graded 一般 (average) for a year: its principal heads (the
    chiefs, 正职, of the unit) may not be promoted the year after. The decided team grade is read as recorded
    (the assessment's decision is the same record); a unit with no team grade recorded has no 一般 to bar on
    (team grades are given to the teams assessed, not to every unit), so the rule passes, saying so."""
    rule = "team_average_bars_principal_head"
    heads = [p for p in facts.posts if p.leadership == "chief" and p.open_on(as_of)]
    if not heads:
        return RuleResult(rule, PASS, "非单位党政正职", "not a head of a unit", (), "001")
    year = as_of.year - 1
    graded = []
    for post in heads:
        grade = facts.unit_team_grades.get((post.unit_id, year))
        if grade is not None and grade.value == "average":
            return RuleResult(rule, FAIL, f"所在单位领导班子{year}年度考核为一般，主要负责人当年不得提拔",
                              f"the leadership team of {post.unit_id} was graded average in {year}: its principal "
                              f"head may not be promoted in {as_of.year}", (grade.event_id, post.event_id), "001")
        if grade is not None:
            graded.append(grade.event_id)
    return RuleResult(rule, PASS, f"所在单位领导班子{year}年度考核非一般",
                      f"the unit's leadership team was not graded average in {year}", tuple(graded), "001")


def mass_satisfaction(facts: CadreFacts, as_of: dt.date, rules: RuleSet) -> RuleResult:
    rule = "mass_satisfaction_below_threshold"
    scores = _yearly(facts, as_of, "mass_satisfaction")
    if not scores:
        return RuleResult(rule, UNKNOWN, "近三年无群众满意度测评结果", "no mass-satisfaction score in the last three years",
                          (), "002")
    year = max(scores)
    value, event_id = scores[year]
    threshold = rules.screening.mass_satisfaction_min
    if Decimal(value) <= threshold:  # 85分以下: in Chinese rules 以下 includes the number itself (domain.md)
        return RuleResult(rule, FAIL, f"{year}年群众满意度{value}分，在{threshold}分以下（含{threshold}分）",
                          f"mass satisfaction {value} in {year} is {threshold} or below", (event_id,), "002")
    return RuleResult(rule, PASS, f"{year}年群众满意度{value}分", f"mass satisfaction {value} in {year}", (event_id,),
                      "002")


def integrity_veto(facts: CadreFacts, as_of: dt.date, rules: RuleSet) -> RuleResult:
    vetoes = [v.event_id for y in range(as_of.year - 3, as_of.year + 1) for v in facts.vetoes.get(y, [])]
    if vetoes:
        return RuleResult("morality_integrity_veto", FAIL, "有违反德、廉规定的一票否决情形",
                          "a morality/integrity veto was recorded", tuple(vetoes), "002")
    return RuleResult("morality_integrity_veto", PASS, "无一票否决情形", "no veto recorded", (), "002")


def annual_below_competent(facts: CadreFacts, as_of: dt.date, rules: RuleSet) -> RuleResult:
    rule = "annual_result_below_competent"
    grades = _yearly(facts, as_of, "annual_grade")
    below = [(y, e) for y, (v, e) in grades.items() if v in GRADES_BELOW_COMPETENT]
    if below:
        return RuleResult(rule, FAIL, f"{[y for y, _ in below]}年度考核结果在称职以下",
                          f"annual result below competent in {[y for y, _ in below]}", tuple(e for _, e in below), "003")
    if len(grades) < 3:
        missing = [y for y in _years(as_of) if y not in grades]
        return RuleResult(rule, UNKNOWN, f"缺少{missing}年度考核结果", f"annual results of {missing} are not recorded",
                          (), "003")
    return RuleResult(rule, PASS, "近三年年度考核均为称职及以上", "competent or better in each of the last three years",
                      tuple(e for _, e in grades.values()), "003")


def _full_years(start: dt.date, day: dt.date) -> int:
    """Whole years from ``start`` to ``day``: the third is full on the same calendar day three years on."""
    return day.year - start.year - ((day.month, day.day) < (start.month, start.day))


def at_level_since(posts: list[PostFact], current: PostFact) -> list[PostFact]:
    """The posts of an unbroken run at ``current``'s level (职级) ending with it, earliest first: going back,
    a post of the same rank that was held on the eve of (or overlapping) the run's start joins it (a transfer
    between posts of that level, 调任); a post of another rank (a promotion) or a gap ends it. A post whose
    rank is unknown runs on its own."""
    run = [current]
    while current.rank is not None:
        start = run[0].start_date
        before = [p for p in posts if p not in run and p.rank == current.rank and p.start_date < start
                  and p.end_date is not None and p.end_date >= start - dt.timedelta(days=1)]
        if not before:
            break
        run.insert(0, min(before, key=lambda p: p.start_date))
    return run


def years_in_post(facts: CadreFacts, as_of: dt.date, rules: RuleSet) -> RuleResult:
    """任职满三年 (003): time at the level of the current post counts across transfers between posts of that
    level, as the selection regulations count 任职年限; a promotion starts the count again (domain.md)."""
    rule = "less_than_three_years_in_post"
    current = [p for p in facts.posts if p.open_on(as_of)]
    if not current:
        return RuleResult(rule, UNKNOWN, "无现任职务记录", "no current post is recorded", (), "003")
    run = min((at_level_since(facts.posts, p) for p in current), key=lambda r: r[0].start_date)
    since, level = run[0].start_date, run[-1].rank or ""
    years = _full_years(since, as_of)
    minimum = rules.screening.years_in_post_min
    evidence = tuple(p.event_id for p in run)
    zh_level, en_level = (f"{level}职级", f"at the level {level}") if level else ("现职", "in post")
    if years < minimum:
        return RuleResult(rule, FAIL, f"自{since}起任{zh_level}{years}年，不满{minimum}年",
                          f"{years} years {en_level} since {since}, fewer than {minimum}", evidence, "003")
    return RuleResult(rule, PASS, f"自{since}起任{zh_level}{years}年", f"{years} years {en_level} since {since}",
                      evidence, "003")


def sanction_impact(facts: CadreFacts, as_of: dt.date, rules: RuleSet) -> RuleResult:
    active = [e for e in facts.entries if e.impact and e.impact[0] <= as_of <= e.impact[1]]
    if active:
        return RuleResult("inside_sanction_impact_period", FAIL, "处于处分影响期内",
                          "inside the impact period of a sanction", tuple(e.event_id for e in active), "003")
    return RuleResult("inside_sanction_impact_period", PASS, "不在处分影响期内", "no sanction's impact period applies",
                      (), "003")


def _declared(facts: CadreFacts, kind: str, rule: str, zh: tuple[str, str, str], en: tuple[str, str, str]) -> RuleResult:
    declaration = facts.declarations.get(kind)
    if declaration is None:
        return RuleResult(rule, UNKNOWN, zh[0], en[0], (), "003")
    if declaration.value == "1":
        return RuleResult(rule, FAIL, zh[1], en[1], (declaration.event_id,), "003")
    return RuleResult(rule, PASS, zh[2], en[2], (declaration.event_id,), "003")


def relatives(facts: CadreFacts, as_of: dt.date, rules: RuleSet) -> RuleResult:
    return _declared(facts, "relatives", "relatives_avoidance_conflict",
                     ("未填报亲属任职回避情况", "存在亲属任职回避情形", "无亲属任职回避情形"),
                     ("relatives are not declared", "a relatives-avoidance conflict exists", "no avoidance conflict"))


def naked_official(facts: CadreFacts, as_of: dt.date, rules: RuleSet) -> RuleResult:
    return _declared(facts, "naked_official", "naked_official",
                     ("未填报配偶子女移居国（境）外情况", "属于“裸官”", "不属于“裸官”"),
                     ("the naked-official status is not declared", "a naked official (裸官)", "not a naked official"))


def execution_negative_list(facts: CadreFacts, as_of: dt.date, rules: RuleSet) -> RuleResult:
    listed = set(rules.screening.execution_negative_categories)
    hits = [e for e in _in_window(facts, as_of, rules.window_years) if e.category in listed]
    if hits:
        return RuleResult("execution_capability_negative_list", FAIL, "有执行力负面清单所列情形",
                          f"on the execution-capability negative list ({sorted({e.category for e in hits})})",
                          tuple(e.event_id for e in hits), "003")
    return RuleResult("execution_capability_negative_list", PASS, "无执行力负面清单所列情形",
                      "nothing on the execution-capability negative list", (), "003")


RULES = (net_negative, weak_appraisal_and_grade, unit_third_prize, team_average_bars_head, mass_satisfaction,
         integrity_veto, annual_below_competent, years_in_post, sanction_impact, relatives, naked_official,
         execution_negative_list)


def screen(facts: CadreFacts, as_of: dt.date, rules: RuleSet) -> Screening:
    return Screening(facts.cadre_id, as_of, rules.name, tuple(rule(facts, as_of, rules) for rule in RULES))
