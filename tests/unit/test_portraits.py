"""The pure logic of issue 20 without a service: a cadre's facts on a day, the portrait's configured dimensions,
the search's order and page, a team's structure and gaps, moves on paper; every figure by hand."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from pydantic import ValidationError

from services.dossier import domain
from services.dossier.domain import profile
from services.portraits import dimensions, search, team, what_if
from services.portraits.facts import RecordRef, cadre_facts, full_years, years_before
from shared import commands as c
from shared import profile_commands as pc
from shared.events import BasicsRecorded
from tests.unit.test_domain import ctx, registered, run

CLASSES = {"u-1": "economic_department", "u-0": "social_development_department"}
BASIS = {"reason": "证书", "document": "1号"}


def dossier() -> domain.Dossier:
    """A chief since 2019-06-01 after a deputy's post elsewhere (a promotion), born 1970-03-15."""
    state = registered()
    state = domain.evolve(state, BasicsRecorded(birth_date=dt.date(1970, 3, 15)))
    earlier = c.AssignPost(unit_id="u-1", position="副局长", rank="副处级", leadership="deputy", start_date="2014-01-01")
    state = run(state, domain.assign_post, earlier, "p-0", ctx())
    state = run(state, domain.end_post, "p-0", c.EndPost(end_date="2019-05-31", reason="提拔"), ctx())
    now = c.AssignPost(unit_id="u-1", position="局长", rank="正处级", leadership="chief", start_date="2019-06-01")
    state = run(state, domain.assign_post, now, "p-1", ctx())
    state = run(state, profile.record_education, pc.RecordEducation.model_validate({
        "kind": "full_time", "level": "bachelor", "degree": "bachelor", "major": "经济学", "discipline": "economics",
        "institution": "某大学", "completed_on": "1992-07-01", "basis": BASIS}), ctx())
    return run(state, profile.record_expertise, pc.RecordExpertise.model_validate({
        "professional_field": "economy", "familiar_fields": ["finance"], "effective_date": "2019-06-01",
        "basis": BASIS}), ctx())


def test_whole_years_and_the_window_start() -> None:
    assert full_years(dt.date(1970, 3, 15), dt.date(2025, 3, 14)) == 54
    assert full_years(dt.date(1970, 3, 15), dt.date(2025, 3, 15)) == 55
    assert full_years(dt.date(2026, 1, 1), dt.date(2025, 1, 1)) == 0
    assert years_before(dt.date(2028, 2, 29), 3) == dt.date(2025, 2, 28)


def test_facts_on_a_day() -> None:
    facts = cadre_facts(dossier(), [], dt.date(2025, 12, 31), CLASSES)
    assert facts["basics"]["age"] == 55
    career = facts["career"]
    assert (career["rank"], career["rank_since"], career["years_at_rank"]) == ("正处级", "2019-06-01", 6)
    assert career["came_from"] == {"unit_id": "u-1", "unit_class": "economic_department", "same_unit": True}
    assert facts["education"]["highest_level"] == "bachelor" and facts["education"]["familiar_fields"] == ["finance"]
    # Before the promotion: a deputy since 2014, the post ending later still open on the day.
    before = cadre_facts(dossier(), [], dt.date(2019, 5, 1), CLASSES)["career"]
    assert (before["rank"], before["years_at_rank"], before["posts"][0]["end_date"]) == ("副处级", 5, None)
    assert cadre_facts(dossier(), [], dt.date(2019, 5, 31), CLASSES)["education"]["professional_field"] is None


def test_the_records_behind_a_dimension_are_those_effective_by_the_day() -> None:
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    refs = [RecordRef(1, "cadre_registered", None, at), RecordRef(2, "education_recorded", dt.date(1992, 7, 1), at),
            RecordRef(3, "education_recorded", dt.date(2030, 1, 1), at)]
    facts = cadre_facts(dossier(), refs, dt.date(2025, 12, 31), CLASSES)
    portrait = dimensions.portrait(facts, {"score": None, "screening": None, "warnings": [], "ranked": None})
    basics = next(d for d in portrait["dimensions"] if d["code"] == "basics")
    assert [r["version"] for r in basics["records"]] == [1, 2]
    assert len(portrait["dimensions"]) == 8 and portrait["configuration"] == "portrait-2026.1"


def test_a_configuration_may_not_name_what_nobody_computes() -> None:
    raw = json.loads((dimensions.CONFIG_DIR / "portrait.v1.json").read_text(encoding="utf-8"))
    raw["dimensions"][0]["code"] = "horoscope"
    with pytest.raises(ValidationError, match="no such dimension"):
        dimensions.PortraitConfig.model_validate(raw)
    raw = json.loads((dimensions.CONFIG_DIR / "portrait.v1.json").read_text(encoding="utf-8"))
    raw["dimensions"][0]["figures"].append("shoe_size")
    config = dimensions.PortraitConfig.model_validate(raw)
    with pytest.raises(ValueError, match="no figure shoe_size"):
        dimensions.portrait(cadre_facts(dossier(), [], dt.date(2025, 1, 1), CLASSES), {}, config)


def member(name: str, birth: str, age: int, leadership: str = "deputy", **more: Any) -> dict[str, Any]:
    return {"cadre_id": name, "name": name, "leadership": leadership, "position": "x", "birth_date": birth,
            "age": age, "rank": "副处级", "highest_level": "bachelor", "majors": ["m"], "disciplines": ["law"],
            "professional_field": "law", "familiar_fields": [], "came_from": "first_post", "total": 1.0,
            "screening": "eligible", "grades": {}, "active_warning": False, "unit_class": "economic_department",
            "unit_id": "u-1", **more}


TEAM = [member("甲", "1970-03-15", 55, "chief", professional_field="economy", disciplines=["economics"]),
        member("乙", "1985-08-20", 40, highest_level="master", came_from="other_class"),
        member("丙", "1978-12-31", 47, highest_level="associate", total=3.0, active_warning=True)]


def test_a_teams_structure_by_hand() -> None:
    s = team.structure(TEAM, dt.date(2025, 12, 31))
    assert s["age"] == {"ages": [40, 47, 55], "average": 47.3, "spread": 15, "youngest": 40, "oldest": 55,
                        "generations": {"70后": 2, "80后": 1}, "unknown": 0}
    assert s["knowledge"]["levels"] == {"associate": 1, "bachelor": 1, "master": 1}
    assert s["career"] == {"first_post": 2, "other_class": 1}
    assert s["performance"]["average_total"] == pytest.approx(1.67) and s["performance"]["active_warnings"] == 1


def test_every_gap_names_the_rule_it_breaks() -> None:
    model = team.load().for_class("economic_department", dt.date(2025, 12, 31))
    found = {g["rule"]: g for g in team.gaps(TEAM, model)}
    assert set(found) == {"education_share_at_least", "field_present", "no_member_with_active_warning"}
    assert found["education_share_at_least"]["actual"] == pytest.approx(0.6667)
    assert found["field_present"]["parameters"] == {"field": "finance"}
    assert found["no_member_with_active_warning"]["actual"] == ["丙"]


def test_the_model_of_a_class_on_a_day() -> None:
    models = team.load()
    assert models.for_class("economic_department", dt.date(2025, 1, 1)).unit_class == "economic_department"
    assert models.for_class("law_enforcement", dt.date(2025, 1, 1)).unit_class == "*"
    assert models.for_class("economic_department", dt.date(2019, 12, 31)) is None
    with pytest.raises(ValidationError, match="unknown rule"):
        team.IdealModel(unit_class="x", effective_from="2020-01-01", reason="r", rules=[{"rule": "be_nice"}])


def test_moves_on_paper() -> None:
    outsider = member("丁", "1990-05-01", 35, unit_class="social_development_department", familiar_fields=["finance"])
    teams = {"a": list(TEAM), "b": [outsider]}
    classes = {"a": "economic_department", "b": "social_development_department"}
    after = what_if.apply(teams, classes, {"丁": outsider}, [what_if.Move("in", "丁", "a", "deputy")])
    assert [m["name"] for m in after["a"]] == ["甲", "乙", "丙", "丁"] and after["b"] == []
    assert after["a"][-1]["came_from"] == "other_class"
    swapped = what_if.apply(teams, classes, {}, [what_if.Move("swap", "甲", "a", other_cadre_id="丁",
                                                              other_unit_id="b")])
    assert [(m["name"], m["leadership"]) for m in swapped["b"]] == [("甲", "deputy")]
    assert [(m["name"], m["leadership"]) for m in swapped["a"]][-1] == ("丁", "chief")
    assert teams["a"] == TEAM  # nothing given was changed
    with pytest.raises(what_if.MoveRefused) as refused:
        what_if.apply(teams, classes, {}, [what_if.Move("out", "甲", "a"), what_if.Move("out", "甲", "a")])
    assert (refused.value.field, refused.value.rule) == ("moves.1.cadre_id", "member_of_team")


def test_the_search_orders_missing_values_last_and_pages() -> None:
    rows = [{"cadre_id": n, "name": n, "age": a} for n, a in (("b", 40), ("a", None), ("c", 40), ("d", 30))]
    assert [r["name"] for r in search.ordered(rows, "age")] == ["d", "b", "c", "a"]
    assert [r["name"] for r in search.ordered(rows, "-age")] == ["b", "c", "d", "a"]
    with pytest.raises(ValueError):
        search.ordered(rows, "height")


def test_sealed_declarations_stay_out_of_a_portrait() -> None:
    from shared.events import DeclarationKind, DeclarationRecorded

    state = domain.evolve(dossier(), DeclarationRecorded(declaration=DeclarationKind.NAKED_OFFICIAL, flagged=True,
                                                         sealed_details="U0VBTEVELVNFQ1JFVA==", key_id="k1"))
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    refs = [RecordRef(state.version, "declaration_recorded", None, at)]
    portrait = dimensions.portrait(cadre_facts(state, refs, dt.date(2025, 12, 31), CLASSES), {})
    text = json.dumps(portrait, ensure_ascii=False)
    assert "U0VBTEVELVNFQ1JFVA" not in text and "declaration" not in text and "naked" not in text
