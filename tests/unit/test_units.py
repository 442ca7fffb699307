"""The unit hierarchy (city -> county/district -> unit) and the yearly results of a unit, without a database."""

from __future__ import annotations

import pytest

from services.dossier import units
from services.dossier.errors import AlreadyDone, DomainError, NotFound
from shared.commands import RecordTargetEvaluation, RecordTeamGrade, RegisterUnit
from shared.events import TargetEvaluationRecorded, TargetPrize, TeamGrade, TeamGradeRecorded, UnitLevel, UnitRegistered

THIS_YEAR = 2026


def cmd(level: str, parent_id: str | None = None, unit_id: str = "u-new") -> RegisterUnit:
    return RegisterUnit(unit_id=unit_id, name="新单位", parent_id=parent_id, level=level, unit_class="economic_development")


def refused(error: type[DomainError], rule: str, decision, *args) -> DomainError:
    with pytest.raises(error) as raised:
        decision(*args)
    assert raised.value.rule == rule, raised.value
    return raised.value


def registered(level: str = "unit", parent_level: UnitLevel | None = UnitLevel.COUNTY) -> units.Unit:
    parent = None if parent_level is None else "parent"
    return units.fold("u-new", units.register_unit(units.Unit("u-new"), cmd(level, parent), parent_level))


# Every (level, parent's level) pair: None = no parent. A city stands alone; a county sits under a city;
# a unit sits under a county or directly under a city (a city's own bureaus).
ALLOWED = {("city", None), ("county", UnitLevel.CITY), ("unit", UnitLevel.COUNTY), ("unit", UnitLevel.CITY)}


@pytest.mark.parametrize("level", ["city", "county", "unit"])
@pytest.mark.parametrize("parent_level", [None, UnitLevel.CITY, UnitLevel.COUNTY, UnitLevel.UNIT])
def test_each_level_sits_only_under_the_level_above_it(level: str, parent_level: UnitLevel | None) -> None:
    parent = None if parent_level is None else "parent"
    if (level, parent_level) in ALLOWED:
        [event] = units.register_unit(units.Unit("u-new"), cmd(level, parent), parent_level)
        assert event == UnitRegistered(unit_id="u-new", name="新单位", parent_id=parent, level=level,
                                       unit_class="economic_development")
    elif parent_level is None:
        refused(DomainError, "parent_required", units.register_unit, units.Unit("u-new"), cmd(level), None)
    else:
        error = refused(DomainError, "hierarchy_city_county_unit", units.register_unit, units.Unit("u-new"),
                        cmd(level, parent), parent_level)
        assert error.field == "parent_id"


def test_a_parent_must_be_registered() -> None:
    # the parent is named but is no unit (its level is unknown): refused, whatever the level
    for level in ("county", "unit", "city"):
        error = refused(DomainError, "parent_exists", units.register_unit, units.Unit("u-new"), cmd(level, "ghost"), None)
        assert error.field == "parent_id" and "ghost" in str(error)


def test_a_unit_is_registered_once() -> None:
    unit = registered()
    assert (unit.exists, unit.version, unit.level, unit.parent_id) == (True, 1, UnitLevel.UNIT, "parent")
    refused(AlreadyDone, "unit_already_registered", units.register_unit, unit, cmd("unit", "parent"), UnitLevel.COUNTY)


@pytest.mark.parametrize(("record", "command", "value"), [
    (units.record_team_grade, RecordTeamGrade, {"grade": "good"}),
    (units.record_target_evaluation, RecordTargetEvaluation, {"prize": "third"}),
])
def test_a_year_s_result_needs_the_unit_a_begun_year_and_a_reason_to_correct(record, command, value) -> None:
    first = command(**value)
    refused(NotFound, "unit_exists", record, units.Unit("u-none"), 2025, first, THIS_YEAR)
    unit = registered()
    refused(DomainError, "year_begun", record, unit, THIS_YEAR + 1, first, THIS_YEAR)
    [event] = record(unit, THIS_YEAR, first, THIS_YEAR)  # this year itself has begun
    assert event.year == THIS_YEAR
    unit = units.fold("u-new", [*units.register_unit(units.Unit("u-new"), cmd("unit", "p"), UnitLevel.CITY), event])
    refused(DomainError, "correction_has_reason", record, unit, THIS_YEAR, first, THIS_YEAR)
    [correction] = record(unit, THIS_YEAR, command(**value, reason="复核更正"), THIS_YEAR)
    assert correction.reason == "复核更正"
    # another year is no correction
    assert record(unit, THIS_YEAR - 1, first, THIS_YEAR)[0].year == THIS_YEAR - 1


def test_the_fold_keeps_each_year_s_newest_result() -> None:
    events = [UnitRegistered(unit_id="u-1", name="局", parent_id=None, level="city", unit_class="c"),
              TeamGradeRecorded(year=2024, grade="good"), TeamGradeRecorded(year=2025, grade="average"),
              TeamGradeRecorded(year=2025, grade="excellent", reason="复核"),
              TargetEvaluationRecorded(year=2025, prize="third")]
    unit = units.fold("u-1", events)
    assert unit.team_grades == {2024: TeamGrade.GOOD, 2025: TeamGrade.EXCELLENT}
    assert unit.target_prizes == {2025: TargetPrize.THIRD}
    assert unit.version == 5 and units.stream_id("u-1") == "unit-u-1"
