"""The assessment's wiring, pure parts (issue 16): the dossier's decisions on schemes and inputs, and the read
model that turns projected rows into what the rules read as of a date."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest

from services.dossier.domain import assessment_inputs as inputs
from services.dossier.domain import assessment_schemes as schemes
from services.dossier.errors import AlreadyDone, DomainError
from services.scoring.assessment.read_model import InputRow, inputs_as_of
from shared import assessment_commands as c
from shared.answers.assessments import EXAMPLE_SCHEME
from shared.assessment_scheme import parse_scheme

TODAY = dt.date(2026, 12, 6)
UNIT = inputs.Subject("unit", "u1", True)


def publish(versions: tuple = (), **changes) -> list:
    doc = {**copy.deepcopy(EXAMPLE_SCHEME), **changes}
    return schemes.publish(versions, c.PublishAssessmentScheme(scheme=doc))


def test_a_scheme_version_is_published_whole_and_refused_with_every_problem() -> None:
    [event] = publish()
    assert (event.scheme_id, event.version, event.effective_from) == ("district-2025", 1, dt.date(2025, 1, 1))
    assert parse_scheme(event.scheme) == parse_scheme(EXAMPLE_SCHEME)
    with pytest.raises(schemes.SchemeRefused) as refused:
        publish(grade_thresholds=[{"grade": "excellent", "at_least": "90"}], version=0)
    assert {e["field"] for e in refused.value.errors} >= {"scheme.version"}
    assert refused.value.rule == "scheme_invalid" and refused.value.status == 422


def test_a_version_overlapping_or_repeating_an_earlier_one_is_refused() -> None:
    first = (parse_scheme(EXAMPLE_SCHEME),)
    with pytest.raises(schemes.SchemeRefused) as refused:
        publish(first, version=2, effective_from="2025-07-01")
    assert [(e["field"], e["rule"]) for e in refused.value.errors] == [("versions.1.effective_from", "versions_overlap")]
    with pytest.raises(schemes.SchemeRefused) as refused:
        publish(first, effective_from="2026-01-01", effective_to=None)
    assert [e["rule"] for e in refused.value.errors] == ["version_repeated"]
    [v2] = publish(first, version=2, effective_from="2026-01-01", effective_to=None)
    assert v2.version == 2


def reading(period: str = "2025-06", reason: str | None = None, **value: str) -> c.RecordIndicatorReading:
    return c.RecordIndicatorReading(scheme_id="s", indicator_id="gdp", period=period, effective_date="2025-06-30",
                                    source="统计局", reason=reason, **(value or {"value": "90"}))


def test_a_period_recorded_again_is_a_correction_and_needs_a_reason() -> None:
    [first] = inputs.record_reading(inputs.AssessmentInputs(), UNIT, 2025, reading(), "r1", TODAY)
    state = inputs.evolve(inputs.AssessmentInputs(), first)
    with pytest.raises(DomainError, match="correction needs a reason"):
        inputs.record_reading(state, UNIT, 2025, reading(), "r2", TODAY)
    [second] = inputs.record_reading(state, UNIT, 2025, reading(reason="修正"), "r2", TODAY)
    state = inputs.evolve(state, second)
    [revoked] = inputs.revoke_input(state, 2025, "r2", c.RevokeAssessmentInput(reason="错"))
    state = inputs.evolve(state, revoked)
    with pytest.raises(AlreadyDone):
        inputs.revoke_input(state, 2025, "r2", c.RevokeAssessmentInput(reason="错"))
    # the period is empty again: a new record needs no reason
    assert inputs.record_reading(state, UNIT, 2025, reading(), "r3", TODAY)


def test_an_input_of_another_year_or_of_an_unregistered_subject_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        inputs.record_reading(inputs.AssessmentInputs(), UNIT, 2025, reading(period="2024-12"), "r", TODAY)
    assert refused.value.rule == "period_in_year"
    with pytest.raises(DomainError) as refused:
        inputs.record_reading(inputs.AssessmentInputs(), inputs.Subject("unit", "x", False), 2025, reading(), "r", TODAY)
    assert (refused.value.status, refused.value.rule) == (404, "unit_exists")


T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def row(event_id: str, kind: str, item: str | None, period: str | None, effective: str | None, *, input_id: str = "",
        subject: str = "u1", value: str | None = None, level: str | None = None, score: str | None = None,
        minutes: int = 0) -> InputRow:
    types = {"reading": "indicator_reading_recorded", "score": "evaluation_score_recorded",
             "breach": "constraint_breach_recorded", "revoked": "assessment_input_revoked"}
    return InputRow(event_id, types[kind], input_id or event_id, subject, item, period,
                    dt.date.fromisoformat(effective) if effective else None, value, level, None, None,
                    T0 + dt.timedelta(minutes=minutes), score=score)


def test_the_latest_period_read_by_a_date_stands_and_corrections_replace_their_period() -> None:
    scheme = parse_scheme(EXAMPLE_SCHEME)
    rows = [row("e1", "reading", "gdp", "2025-06", "2025-06-30", value="90"),
            row("e2", "reading", "gdp", "2025-11", "2025-11-30", value="110", minutes=1),
            row("e3", "reading", "gdp", "2025-11", "2025-11-30", value="112", minutes=2),  # a correction
            row("e4", "score", "routine", "2025-Q1", "2025-03-31", score="90"),
            row("e5", "score", "routine", "2025-Q2", "2025-06-30", score="81"),
            row("e6", "reading", "not_in_scheme", "2025", "2025-06-30", value="1"),
            row("e7", "breach", "ecology", None, "2025-05-12"),
            row("e8", "revoked", None, None, None, input_id="e7", minutes=3)]
    got, ignored = inputs_as_of(scheme, rows, ["u1"], dt.date(2025, 12, 31))
    assert [(r.indicator_id, r.value, r.event_ids) for r in got.readings] == [("gdp", Decimal("112"), ("e3",))]
    assert [(s.score, s.event_ids) for s in got.scores] == [(Decimal("85.5"), ("e4", "e5"))]
    assert got.breaches == () and [i.event_id for i in ignored] == ["e6"]
    mid_year, _ = inputs_as_of(scheme, rows, ["u1"], dt.date(2025, 7, 15))
    assert [r.value for r in mid_year.readings] == [Decimal("90")]


def test_a_revoked_correction_does_not_bring_back_what_it_corrected() -> None:
    scheme = parse_scheme(EXAMPLE_SCHEME)
    rows = [row("e1", "reading", "gdp", "2025-06", "2025-06-30", value="90"),
            row("e2", "reading", "gdp", "2025-06", "2025-06-30", value="95", minutes=1),
            row("e3", "revoked", None, None, None, input_id="e2", minutes=2)]
    got, _ = inputs_as_of(scheme, rows, ["u1"], dt.date(2025, 12, 31))
    assert got.readings == ()


def test_a_decision_departing_from_the_proposal_without_a_reason_is_refused() -> None:
    from services.dossier import units
    from services.dossier.domain import assessment_decisions as decisions
    from shared.events import UnitRegistered

    unit = units.fold("u1", [UnitRegistered(unit_id="u1", name="u", parent_id=None, level="city", unit_class="c")])
    cmd = c.DecideUnitAssessmentGrade(scheme_id="s", subject_kind="unit", grade="pass", calculated="merit",
                                      proposed="fail")
    with pytest.raises(DomainError) as refused:
        decisions.decide_unit(unit, 2025, cmd, 2026)
    assert (refused.value.field, refused.value.rule) == ("departures", "departure_has_reason")
    explained = cmd.model_copy(update={"departures": [c.Departure(rule="proposal", reason="复核")]})
    [decided] = decisions.decide_unit(unit, 2025, explained, 2026)
    assert (decided.grade, decided.proposed, decided.calculated) == ("pass", "fail", "merit")
    team = c.DecideUnitAssessmentGrade(scheme_id="s", subject_kind="team", grade="good", proposed="good")
    assert [e.event_type for e in decisions.decide_unit(unit, 2025, team, 2026)] == [
        "assessment_grade_decided", "team_grade_recorded"]
    with pytest.raises(ValueError, match="one of merit, pass, fail"):
        c.DecideUnitAssessmentGrade(scheme_id="s", subject_kind="unit", grade="excellent")
