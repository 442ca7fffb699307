"""The profile directory and the profile history (issue 20) on both databases: kept with the events, rebuilt from
them to the same rows, and a search narrowed by the directory, or decided in SQL by the history
(``search_matches``, as held now), answers exactly what folding every cadre answers, after writes, after
corrections (a birth date cleared and set, an education and the fields recorded again, some effective only later)
and after a rebuild, on several days and moments."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select

from services.dossier import directory, search_directory, search_matches
from services.dossier.portrait_facts import PortraitFacts
from services.dossier.store import Actor
from services.dossier.tables import profile_directory, profile_history
from services.portraits import search
from shared import commands as c
from shared import profile_commands as pc

CLERK = Actor("clerk-1", "clerk")
BASIS = {"reason": "干部任免审批表", "document": "组干〔2025〕3号"}
CONDITIONS = [search.Conditions(age_min=a, age_max=b) for a, b in ((30, 40), (41, 60), (None, 35), (45, None))] + [
    search.Conditions(familiar_field="finance"), search.Conditions(professional_field="law"),
    search.Conditions(education_min="master"), search.Conditions(education_min="bachelor", age_min=35),
    search.Conditions(familiar_field="economy", age_max=50, education_min="associate"), search.Conditions(),
    search.Conditions(major="经济"), search.Conditions(major="法学", age_min=30), search.Conditions(discipline="law"),
    search.Conditions(familiar_field="social_affairs"), search.Conditions(familiar_field="social%affairs"),
    search.Conditions(professional_field="finance", familiar_field="planning"),
    search.Conditions(age_min=33, age_max=33), search.Conditions(age_min=34, age_max=34)]


async def _rows(engine) -> tuple[list[tuple], list[tuple]]:
    """The directory's rows, and the history's in the order recorded (without their row numbers)."""
    async with engine.connect() as conn:
        history = [tuple(r)[1:] for r in await conn.execute(select(profile_history).order_by(profile_history.c.row_id))]
        return sorted(tuple(r) for r in await conn.execute(select(profile_directory))), history


async def _record(service, operation: str, cadre_id: str, command) -> None:
    by = Actor(cadre_id, "cadre") if operation == "record_basics" else CLERK  # basics are the cadre's own
    await service.execute(operation, command, {"cadre_id": cadre_id}, by)


async def _same_as_the_fold(facts: PortraitFacts, moments: list[dt.datetime | None]) -> int:
    compared = 0
    days = (dt.date(2025, 12, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 1), dt.date(2030, 6, 1))
    for day, moment, where in itertools.product(days, moments, CONDITIONS):
        every = await facts.serving("city", day, moment, team=False)
        brute = sorted(f["cadre_id"] for f in every if search.matches(search.row(f, None), where))
        narrowed = sorted(f["cadre_id"] for f in await facts.serving("city", day, moment, team=False, where=where))
        assert narrowed == brute, (day, moment, where)
        decided, matched = await search_matches.matches(facts, "city", day, moment, where, "name")
        assert decided == ("sql" if moment is None else "fold")
        assert sorted(m["cadre_id"] for m in matched) == brute, (day, moment, where)
        ages = {f["cadre_id"]: (f["name"], f["basics"]["age"]) for f in every}
        assert all((m["name"], m["age"]) == ages[m["cadre_id"]] for m in matched)
        compared += len(brute)
    return compared


async def test_a_search_narrowed_by_the_profile_directory_answers_what_the_fold_answers(two_dossiers) -> None:
    service, _ = two_dossiers
    await service.execute("register_unit", c.RegisterUnit(unit_id="city", name="市", level="city", unit_class="c"),
                          {}, CLERK)
    people = {}
    for i, (born, field, familiar, level) in enumerate((
            ("1970-03-15", "economy", ["planning", "finance"], "master"), ("1985-08-20", "law", ["economy"], "bachelor"),
            ("1978-12-31", "finance", [], "associate"), ("1992-02-29", "planning", ["finance", "law"], "doctorate"),
            ("1960-05-05", "social_affairs", ["social_affairs"], "secondary"))):
        cid = (await service.execute("register_cadre", c.RegisterCadre(name=f"干部{i}", unit_id="city"), {},
                                     CLERK)).body["id"]
        people[cid] = born
        await _record(service, "record_basics", cid, c.RecordBasics(birth_date=dt.date.fromisoformat(born)))
        await _record(service, "record_expertise", cid, pc.RecordExpertise(
            professional_field=field, familiar_fields=familiar, effective_date=dt.date(2020, 1, 1), basis=BASIS))
        await _record(service, "record_education", cid, pc.RecordEducation(
            kind="full_time", level=level, degree="none", major="经济学", discipline="economics", institution="大学",
            completed_on=dt.date(2000, 7, 1), basis=BASIS))
    facts = PortraitFacts(service._engine, dt.date.today)
    written = dt.datetime.now(dt.UTC)
    assert await _same_as_the_fold(facts, [None]) > 0

    first, second = list(people)[:2]  # corrections: each replaces what the directory already holds for the cadre
    await _record(service, "record_basics", first, c.RecordBasics(birth_date=dt.date(1990, 1, 1)))
    await _record(service, "record_expertise", second, pc.RecordExpertise(
        professional_field="finance", familiar_fields=["planning"], effective_date=dt.date(2026, 1, 1), basis=BASIS,
        reason="转岗"))
    await _record(service, "record_education", second, pc.RecordEducation(
        kind="full_time", level="associate", degree="none", major="法学", discipline="law", institution="大学",
        completed_on=dt.date(2000, 7, 1), basis=BASIS, reason="学历核实更正"))
    third, fourth = list(people)[2:4]  # a birth date cleared; an education and fields that count only from 2027
    await _record(service, "record_basics", third, c.RecordBasics(gender="女"))
    await _record(service, "record_education", fourth, pc.RecordEducation(
        kind="in_service", level="master", degree="none", major="法学", discipline="law", institution="党校",
        completed_on=dt.date.today(), basis=BASIS))
    await _record(service, "record_expertise", fourth, pc.RecordExpertise(
        professional_field="finance", familiar_fields=["social_affairs"], effective_date=dt.date.today(),
        basis=BASIS, reason="转岗"))
    assert await _same_as_the_fold(facts, [None, written]) > 0
    kept = await _rows(service._engine)
    assert ("1990-01-01" in {v for cid, facet, v in kept[0] if cid == first and facet == "birth_date"})
    assert [h[:5] for h in kept[1] if h[:2] == (first, "birth_date")] == [  # the latest marked
        (first, "birth_date", False, None, dt.date.fromisoformat(people[first])),
        (first, "birth_date", True, None, dt.date(1990, 1, 1))]

    async with service._engine.begin() as conn:
        await conn.run_sync(directory.rebuild_sync)
    assert await _rows(service._engine) == kept
    async with service._engine.begin() as conn:
        await conn.run_sync(search_directory.rebuild_sync)
    assert await _rows(service._engine) == kept
    assert await _same_as_the_fold(PortraitFacts(service._engine, dt.date.today), [None, written]) > 0
