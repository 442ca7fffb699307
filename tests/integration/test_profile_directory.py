"""The profile directory (issue 20) on both databases: kept with the events, rebuilt from them to the same rows,
and a search narrowed by it answers exactly what folding every cadre answers, after writes, after corrections
(a birth date, an education and the fields recorded again) and after a rebuild, on several days and moments."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select

from services.dossier import directory
from services.dossier.portrait_facts import PortraitFacts
from services.dossier.store import Actor
from services.dossier.tables import profile_directory
from services.portraits import search
from shared import commands as c
from shared import profile_commands as pc

CLERK = Actor("clerk-1", "clerk")
BASIS = {"reason": "干部任免审批表", "document": "组干〔2025〕3号"}
CONDITIONS = [search.Conditions(age_min=a, age_max=b) for a, b in ((30, 40), (41, 60), (None, 35), (45, None))] + [
    search.Conditions(familiar_field="finance"), search.Conditions(professional_field="law"),
    search.Conditions(education_min="master"), search.Conditions(education_min="bachelor", age_min=35),
    search.Conditions(familiar_field="economy", age_max=50, education_min="associate"), search.Conditions()]


async def _rows(engine) -> list[tuple]:
    async with engine.connect() as conn:
        return sorted(tuple(r) for r in await conn.execute(select(profile_directory)))


async def _record(service, operation: str, cadre_id: str, command) -> None:
    by = Actor(cadre_id, "cadre") if operation == "record_basics" else CLERK  # basics are the cadre's own
    await service.execute(operation, command, {"cadre_id": cadre_id}, by)


async def _same_as_the_fold(facts: PortraitFacts, moments: list[dt.datetime | None]) -> int:
    compared = 0
    for day, moment, where in itertools.product((dt.date(2025, 12, 31), dt.date(2030, 6, 1)), moments, CONDITIONS):
        every = await facts.serving("city", day, moment, team=False)
        brute = sorted(f["cadre_id"] for f in every if search.matches(search.row(f, None), where))
        narrowed = sorted(f["cadre_id"] for f in await facts.serving("city", day, moment, team=False, where=where))
        assert narrowed == brute, (day, moment, where)
        compared += len(brute)
    return compared


async def test_a_search_narrowed_by_the_profile_directory_answers_what_the_fold_answers(two_dossiers) -> None:
    service, _ = two_dossiers
    await service.execute("register_unit", c.RegisterUnit(unit_id="city", name="市", level="city", unit_class="c"),
                          {}, CLERK)
    people = {}
    for i, (born, field, familiar, level) in enumerate((
            ("1970-03-15", "economy", ["planning", "finance"], "master"), ("1985-08-20", "law", ["economy"], "bachelor"),
            ("1978-12-31", "finance", [], "associate"), ("1992-02-29", "planning", ["finance", "law"], "doctorate"))):
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
    assert await _same_as_the_fold(facts, [None, written]) > 0
    kept = await _rows(service._engine)
    assert ("1990-01-01" in {v for cid, facet, v in kept if cid == first and facet == "birth_date"})

    async with service._engine.begin() as conn:
        await conn.run_sync(directory.rebuild_sync)
    assert await _rows(service._engine) == kept
    assert await _same_as_the_fold(PortraitFacts(service._engine, dt.date.today), [None, written]) > 0
