"""Issue 15, "Wrong results" items 1-4 and 8 (a warning's text), pinned on the pure rules and the announcement diff."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from services.scoring import screening
from services.scoring.announcements import ActiveWarning, PublishedTotals, decide
from services.scoring.model import CadreFacts, EntryFact, PostFact, Result
from services.scoring.rules import RuleBook
from shared.rule_sets import WarningRules

AS_OF = dt.date(2026, 6, 30)
NOW = dt.datetime(2026, 6, 30, 8, tzinfo=dt.UTC)
RULES = RuleBook.load().for_date(AS_OF)


def entry(n: int, points: str) -> EntryFact:
    return EntryFact(f"e{n}", f"ev{n}", "negative" if Decimal(points) < 0 else "positive", "work_style",
                     Decimal(points), AS_OF)


def published_as(change) -> PublishedTotals:
    v = change.values
    return PublishedTotals(v["cadre_id"], v["total_cents"], v["positive_cents"], v["negative_cents"], v["rule_set"],
                           v["stream_version"])


# ------------------------------------------------------------------------------------ 1: message ids


def test_bug_15_1_a_total_back_at_an_earlier_value_has_a_new_id() -> None:
    """Record +2 and revoke it: the third totals message (0 again) used to carry the first one's id, and a
    receiver dropping repeated ids ended on 2."""
    ids, published, totals = [], {}, []
    for version, entries in ((1, []), (2, [entry(1, "2")]), (3, [])):
        [change] = decide({"c-1": CadreFacts("c-1", entries=entries)}, ["c-1"], {}, published, AS_OF, NOW, RULES,
                          versions={"c-1": version}).totals
        message = json.loads(change.message)
        ids.append(message["id"])
        totals.append(message["data"]["total"])
        published = {"c-1": published_as(change)}
    assert totals == [0, 2, 0]
    assert len(set(ids)) == 3


def test_bug_15_1_the_same_cause_gives_the_same_id() -> None:
    """Made again (a second instance, a rebuild) from the same stream version: the same message, the same id."""
    facts = {"c-1": CadreFacts("c-1", entries=[entry(1, "2")])}
    later = NOW + dt.timedelta(hours=3)  # the time attribute may differ; the id does not
    first, again = (json.loads(decide(facts, ["c-1"], {}, {}, AS_OF, at, RULES, versions={"c-1": 7}).totals[0].message)
                    for at in (NOW, later))
    assert first["id"] == again["id"] and first["data"] == again["data"]
    other = json.loads(decide(facts, ["c-1"], {}, {}, AS_OF, NOW, RULES, versions={"c-1": 8}).totals[0].message)
    assert other["id"] != first["id"]


def test_bug_15_1_the_daily_job_rests_on_the_version_last_published() -> None:
    facts = {"c-1": CadreFacts("c-1", entries=[entry(1, "2")])}
    before = PublishedTotals("c-1", 0, 0, 0, RULES.name, 5)
    [change] = decide(facts, ["c-1"], {}, {"c-1": before}, AS_OF, NOW, RULES).totals
    assert change.values["stream_version"] == 5


def test_bug_15_1_each_raising_and_clearing_of_a_key_has_its_own_id() -> None:
    negative = {"c-1": CadreFacts("c-1", entries=[entry(1, "-1")])}
    cleared = {"c-1": CadreFacts("c-1")}
    ids = []
    active: dict = {}
    occurrences: dict = {}
    for facts in (negative, cleared, negative, cleared):
        [change] = [c for c in decide(facts, ["c-1"], active, {}, AS_OF, NOW, RULES, occurrences=occurrences).warnings
                    if c.warning.key == "rolling_total_negative"]
        ids.append(json.loads(change.message)["id"])
        w = change.warning
        occurrences = {"c-1": {w.key: w.occurrence}}
        active = {"c-1": {w.key: w}} if change.status == "raised" else {}
    assert len(set(ids)) == 4


# ------------------------------------------------------------------------------------ 2: raised again


def test_bug_15_2_a_cleared_warning_is_raised_again_as_the_next_occurrence() -> None:
    facts = {"c-1": CadreFacts("c-1", entries=[entry(1, "-1")])}
    changes = decide(facts, ["c-1"], {}, {}, AS_OF, NOW, RULES, occurrences={"c-1": {"rolling_total_negative": 1}})
    [raised] = [c for c in changes.warnings if c.warning.key == "rolling_total_negative"]
    assert (raised.status, raised.warning.occurrence, raised.warning.raised_on) == ("raised", 2, AS_OF)
    # and cleared again: the row of that occurrence
    again = decide({"c-1": CadreFacts("c-1")}, ["c-1"], {"c-1": {raised.warning.key: raised.warning}}, {}, AS_OF,
                   NOW, RULES, occurrences={"c-1": {"rolling_total_negative": 2}})
    [cleared] = again.warnings
    assert (cleared.status, cleared.warning.occurrence) == ("cleared", 2)


# ------------------------------------------------------------------------------------ 3: tiny classes


def chiefs(totals: list[str], group_unit: str = "u", leadership: str = "chief") -> dict[str, CadreFacts]:
    return {f"c-{n}": CadreFacts(f"c-{n}", name=f"n{n}", unit_id=group_unit, entries=[entry(n, t)],
                                 posts=[PostFact(f"p{n}", f"pe{n}", group_unit, leadership, dt.date(2020, 1, 1), None)],
                                 unit_classes={group_unit: "county"})
            for n, t in enumerate(totals, start=1)}


def bottom_warned(facts: dict[str, CadreFacts], rules=RULES) -> set[tuple[str, str]]:
    changes = decide(facts, sorted(facts), {}, {}, AS_OF, NOW, rules, with_rankings=True)
    return {(c.warning.cadre_id, c.warning.key) for c in changes.warnings if c.warning.kind == "bottom_of_ranking"}


def test_bug_15_3_the_only_chief_of_a_class_gets_no_bottom_warning() -> None:
    assert bottom_warned(chiefs(["5"])) == set()


def test_bug_15_3_a_two_deputy_team_gets_no_bottom_warning() -> None:
    assert bottom_warned(chiefs(["5", "1"], leadership="deputy")) == set()


def test_bug_15_3_bottom_three_apply_from_seven_members() -> None:
    """The default: a class of more than twice N (7 for the bottom 3) warns its bottom 3; 6 warns none."""
    six = chiefs(["6", "5", "4", "3", "2", "1"])
    assert bottom_warned(six) == set()
    seven = chiefs(["7", "6", "5", "4", "3", "2", "1"])
    assert bottom_warned(seven) == {(f"c-{n}", "bottom_of_ranking:class:county:chief") for n in (5, 6, 7)}


def test_bug_15_3_the_smallest_class_is_a_rule_set_parameter() -> None:
    rules = RULES.model_copy(update={"warnings": RULES.warnings.model_copy(update={"bottom_of_ranking_min_size": 6})})
    assert len(bottom_warned(chiefs(["6", "5", "4", "3", "2", "1"]), rules)) == 3
    assert not WarningRules().bottom_of_ranking_applies_to(6) and WarningRules().bottom_of_ranking_applies_to(7)
    assert not WarningRules(bottom_of_ranking=None).bottom_of_ranking_applies_to(100)
    with pytest.raises(ValidationError):
        WarningRules(bottom_of_ranking_min_size=1)


def test_bug_15_3_a_tie_across_the_whole_class_is_top_band_and_not_warned() -> None:
    assert bottom_warned(chiefs(["0"] * 8)) == set()


# ------------------------------------------------------------------------------------ 4: exact boundaries


def test_bug_15_4_a_mass_satisfaction_of_85_bars_promotion() -> None:
    def scored(value: str) -> CadreFacts:
        return CadreFacts("c-1", results={(2025, "mass_satisfaction"): Result("s", value)})

    assert screening.mass_satisfaction(scored("85"), AS_OF, RULES).status == "fail"  # 85分以下 includes 85
    assert screening.mass_satisfaction(scored("85.01"), AS_OF, RULES).status == "pass"


def post(n: int, rank: str | None, start: dt.date, end: dt.date | None = None) -> PostFact:
    return PostFact(f"p{n}", f"pe{n}", f"u{n}", "chief", start, end, rank)


def in_post(posts: list[PostFact], as_of: dt.date) -> screening.RuleResult:
    return screening.years_in_post(CadreFacts("c-1", posts=posts), as_of, RULES)


def test_bug_15_4_three_years_in_post_on_the_day_passes_and_one_day_less_fails() -> None:
    posts = [post(1, "正处级", dt.date(2023, 6, 30))]
    assert in_post(posts, dt.date(2026, 6, 30)).status == "pass"
    assert in_post(posts, dt.date(2026, 6, 29)).status == "fail"


def test_bug_15_4_a_transfer_at_the_same_level_keeps_counting() -> None:
    """调任 between posts of one level: the count goes on from the first of them (003, 任职年限)."""
    posts = [post(1, "正处级", dt.date(2023, 6, 30), dt.date(2025, 1, 9)), post(2, "正处级", dt.date(2025, 1, 10))]
    result = in_post(posts, dt.date(2026, 6, 30))
    assert result.status == "pass" and result.evidence == ("pe1", "pe2")
    assert in_post(posts, dt.date(2026, 6, 29)).status == "fail"


def test_bug_15_4_a_promotion_starts_the_count_again() -> None:
    posts = [post(1, "副处级", dt.date(2018, 1, 1), dt.date(2025, 1, 9)), post(2, "正处级", dt.date(2025, 1, 10))]
    result = in_post(posts, dt.date(2026, 6, 30))
    assert result.status == "fail" and result.evidence == ("pe2",)
    assert in_post(posts, dt.date(2028, 1, 10)).status == "pass"
    assert in_post(posts, dt.date(2028, 1, 9)).status == "fail"


def test_bug_15_4_a_gap_or_an_unknown_rank_does_not_carry_the_count() -> None:
    gap = [post(1, "正处级", dt.date(2020, 1, 1), dt.date(2024, 12, 31)), post(2, "正处级", dt.date(2025, 3, 1))]
    assert in_post(gap, dt.date(2026, 6, 30)).status == "fail"
    unknown = [post(1, None, dt.date(2020, 1, 1), dt.date(2025, 1, 9)), post(2, None, dt.date(2025, 1, 10))]
    assert in_post(unknown, dt.date(2026, 6, 30)).status == "fail"


# ------------------------------------------------------------------------------------ 8: a warning's text


def test_bug_15_8_a_warning_says_what_held_when_raised_and_carries_its_figures() -> None:
    facts = {"c-1": CadreFacts("c-1", entries=[entry(1, "-1")])}
    [raised] = [c for c in decide(facts, ["c-1"], {}, {}, AS_OF, NOW, RULES).warnings
                if c.warning.key == "rolling_total_negative"]
    assert raised.warning.detail == f"three-year total -1 below 0 on {AS_OF}"
    assert (raised.warning.figure, raised.warning.threshold) == (Decimal(-1), Decimal(0))
    # Cleared later, the message says what was raised, dated: never a figure that reads as current.
    old = ActiveWarning("c-1", raised.warning.key, AS_OF, raised.warning.kind, "red", raised.warning.detail,
                        RULES.name, 1, Decimal(-1), Decimal(0))
    [cleared] = decide({"c-1": CadreFacts("c-1")}, ["c-1"], {"c-1": {old.key: old}}, {},
                       AS_OF + dt.timedelta(days=9), NOW, RULES).warnings
    assert json.loads(cleared.message)["data"]["detail"] == f"three-year total -1 below 0 on {AS_OF}"
