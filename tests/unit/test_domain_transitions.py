"""Dossier transitions test_domain.py does not reach: a post ended twice, transfers, quarter periods,
appeals decided twice, achievements rejected by someone who is not the superior. Pure."""

from __future__ import annotations

import datetime as dt

import pytest

from services.dossier import domain
from services.dossier.errors import AlreadyDone, NotAllowed, NotFound
from shared import commands as c
from shared.events import AchievementRejected, AppealDecided, PostAssigned, PostEnded
from tests.unit.test_domain import BOSS, ME, REPORT, STRANGER, TODAY, ctx, refused, registered, run, with_entry

POST = c.AssignPost(unit_id="u-1", position="科长", rank="正科级", leadership="member", start_date="2020-01-01")


def with_post(start: str = "2020-01-01", post_id: str = "p-1", state: domain.Dossier | None = None) -> domain.Dossier:
    return run(state or registered(), domain.assign_post, POST.model_copy(update={"start_date": dt.date.fromisoformat(start)}),
               post_id, ctx())


def move(start: str, unit_id: str = "u-1") -> c.Transfer:
    return c.Transfer(unit_id=unit_id, position="副局长", rank="副处级", leadership="deputy", start_date=start, reason="调任")


# ------------------------------------------------------------------------------------------------ posts


def test_a_post_ends_once_never_before_it_started_nor_after_today() -> None:
    state = with_post()
    refused("post_exists", domain.end_post, state, "p-9", c.EndPost(end_date="2024-01-01", reason="x"), ctx())
    refused("end_after_start", domain.end_post, state, "p-1", c.EndPost(end_date="2019-12-31", reason="x"), ctx())
    refused("not_in_future", domain.end_post, state, "p-1",
            c.EndPost(end_date=TODAY + dt.timedelta(days=1), reason="x"), ctx())
    # the day it started is a valid last day, and so is today
    assert domain.end_post(state, "p-1", c.EndPost(end_date="2020-01-01", reason="x"), ctx())[0].end_date == dt.date(2020, 1, 1)
    state = run(state, domain.end_post, "p-1", c.EndPost(end_date=TODAY, reason="退休"), ctx())
    assert state.posts["p-1"].end_date == TODAY
    error = refused("post_open", domain.end_post, state, "p-1", c.EndPost(end_date=TODAY, reason="again"), ctx())
    assert isinstance(error, AlreadyDone)


def test_a_post_needs_a_registered_unit_and_a_start_that_has_happened() -> None:
    refused("unit_exists", domain.assign_post, registered(), POST.model_copy(update={"unit_id": "u-9"}), "p-1", ctx())
    refused("not_in_future", domain.assign_post, registered(),
            POST.model_copy(update={"start_date": TODAY + dt.timedelta(days=1)}), "p-1", ctx())
    refused("cadre_exists", domain.assign_post, domain.Dossier("c-none"), POST, "p-1", ctx())


def test_a_transfer_ends_every_open_post_and_leaves_ended_ones_alone() -> None:
    state = with_post("2019-01-01", "p-old")
    state = run(state, domain.end_post, "p-old", c.EndPost(end_date="2019-12-31", reason="x"), ctx())
    state = with_post("2020-01-01", "p-1", state)
    state = with_post("2021-06-01", "p-2", state)  # a concurrent post (兼任)
    events = domain.transfer(state, move("2025-01-01"), "p-3", ctx())
    assert [type(e) for e in events] == [PostEnded, PostEnded, PostAssigned]
    assert {(e.post_id, e.end_date, e.reason) for e in events[:2]} == {
        ("p-1", dt.date(2024, 12, 31), "调任"), ("p-2", dt.date(2024, 12, 31), "调任")}
    assert (events[2].post_id, events[2].start_date) == ("p-3", dt.date(2025, 1, 1))
    for event in events:
        state = domain.evolve(state, event)
    assert state.posts["p-old"].end_date == dt.date(2019, 12, 31)
    assert [p for p in state.posts.values() if p.end_date is None] == [state.posts["p-3"]]


def test_a_transfer_with_no_open_post_only_assigns_the_new_one() -> None:
    [event] = domain.transfer(registered(), move("2025-01-01"), "p-1", ctx())
    assert isinstance(event, PostAssigned) and event.post_id == "p-1"


def test_a_transfer_starts_after_the_current_post_today_at_the_latest_into_a_registered_unit() -> None:
    state = with_post("2024-03-01")
    # starting the day the current post started would end it the day before it began
    error = refused("transfer_after_current_post", domain.transfer, state, move("2024-03-01"), "p-2", ctx())
    assert error.field == "start_date"
    assert domain.transfer(state, move("2024-03-02"), "p-2", ctx())[0].end_date == dt.date(2024, 3, 1)
    refused("not_in_future", domain.transfer, state, move((TODAY + dt.timedelta(days=1)).isoformat()), "p-2", ctx())
    assert domain.transfer(state, move(TODAY.isoformat()), "p-2", ctx())[-1].start_date == TODAY
    refused("unit_exists", domain.transfer, state, move("2025-01-01", unit_id="u-9"), "p-2", ctx())


# ------------------------------------------------------------------------------------------------ periods


@pytest.mark.parametrize("period", ["2026Q3", "2026-Q5", "2026-Q0", "26-Q1", "2026-q3", ""])
def test_a_period_is_a_quarter_like_2026_q3(period: str) -> None:
    error = refused("quarter_format", domain.save_report, registered(), period, REPORT, ctx(ME))
    assert error.field == "period"


def test_a_quarter_is_begun_from_its_first_day() -> None:
    # TODAY is 2026-11-21: 2026-Q4 began on 1 October; 2027-Q1 begins on 1 January
    assert domain.save_report(registered(), "2026-Q4", REPORT, ctx(ME))[0].period == "2026-Q4"
    refused("quarter_begun", domain.save_report, registered(), "2027-Q1", REPORT, ctx(ME))
    on_first_day = domain.Context(actor=ME, today=dt.date(2027, 1, 1))
    assert domain.save_report(registered(), "2027-Q1", REPORT, on_first_day)[0].period == "2027-Q1"
    refused("quarter_begun", domain.submit_report, registered(), "2027-Q1", ctx(ME))
    refused("quarter_format", domain.submit_report, registered(), "2027Q1", ctx(ME))


def test_a_report_is_returned_only_when_submitted_and_only_by_the_superior() -> None:
    state = run(registered(), domain.save_report, "2026-Q3", REPORT, ctx(ME))
    back = c.ReturnQuarterlyReport(comment="补充")
    refused("report_submitted", domain.return_report, state, "2026-Q3", back, ctx(BOSS))
    refused("report_exists", domain.return_report, state, "2026-Q2", back, ctx(BOSS))
    state = run(state, domain.submit_report, "2026-Q3", ctx(ME))
    refused("superior_only", domain.return_report, state, "2026-Q3", back, ctx(STRANGER))
    refused("not_own_record", domain.return_report, state, "2026-Q3", back, ctx(ME))
    refused("report_submittable", domain.submit_report, state, "2026-Q3", ctx(ME))


# ------------------------------------------------------------------------------------------------ appeals


@pytest.mark.parametrize("first", ["upheld", "revoked"])
def test_an_appeal_is_decided_once(first: str) -> None:
    state = run(with_entry(kind="negative", category="work_style", points=-2), domain.file_appeal, "e-1",
                c.FileAppeal(grounds="不实"), "ap-1", ctx(ME))
    state = run(state, domain.decide_appeal, "ap-1", c.DecideAppeal(outcome=first, reason="核实"), ctx())
    assert state.appeals["ap-1"].outcome == first
    for outcome in ("upheld", "revoked"):
        error = refused("appeal_open", domain.decide_appeal, state, "ap-1",
                        c.DecideAppeal(outcome=outcome, reason="再议"), ctx())
        assert isinstance(error, AlreadyDone) and error.field == "appeal_id"


def test_an_unknown_appeal_is_not_found_and_a_decided_one_can_be_followed_by_another() -> None:
    state = run(with_entry(kind="negative", category="work_style", points=-2), domain.file_appeal, "e-1",
                c.FileAppeal(grounds="不实"), "ap-1", ctx(ME))
    error = refused("appeal_exists", domain.decide_appeal, state, "ap-9", c.DecideAppeal(outcome="upheld", reason="x"), ctx())
    assert isinstance(error, NotFound)
    state = run(state, domain.decide_appeal, "ap-1", c.DecideAppeal(outcome="upheld", reason="维持"), ctx())
    # the entry stands and has no open appeal: the cadre may appeal again, once
    state = run(state, domain.file_appeal, "e-1", c.FileAppeal(grounds="新证据"), "ap-2", ctx(ME))
    [decided] = domain.decide_appeal(state, "ap-2", c.DecideAppeal(outcome="upheld", reason="维持"), ctx())
    assert decided == AppealDecided(appeal_id="ap-2", entry_id="e-1", outcome="upheld", reason="维持")


# ------------------------------------------------------------------------------------------------ achievements


def claimed() -> domain.Dossier:
    claim = c.ClaimAchievement(title="港口改造", description="提前完成", effective_date="2026-06-30")
    return run(registered(), domain.claim_achievement, claim, "a-1", ctx(ME))


def test_only_the_superior_rejects_an_achievement() -> None:
    state = claimed()
    reject = c.RejectAchievement(reason="材料不实")
    for actor, rule in ((ME, "not_own_record"), (STRANGER, "superior_only"), ("clerk-1", "superior_only")):
        error = refused(rule, domain.reject_achievement, state, "a-1", reject, ctx(actor))
        assert isinstance(error, NotAllowed)
    refused("achievement_exists", domain.reject_achievement, state, "a-9", reject, ctx(BOSS))
    assert domain.reject_achievement(state, "a-1", reject, ctx(BOSS)) == [
        AchievementRejected(achievement_id="a-1", reason="材料不实")]
    state = run(state, domain.reject_achievement, "a-1", reject, ctx(BOSS))
    assert (state.achievements["a-1"].status, state.achievements["a-1"].decision) == ("rejected", "材料不实")
    # rejected is final: neither rejected again nor verified
    refused("achievement_awaits_verification", domain.reject_achievement, state, "a-1", reject, ctx(BOSS))
    refused("achievement_awaits_verification", domain.verify_achievement, state, "a-1",
            c.VerifyAchievement(category="key_project", points=1), ctx(BOSS))
