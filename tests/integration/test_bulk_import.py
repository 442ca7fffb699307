"""Bulk import on both event stores: a generated city goes in whole, bad rows are reported and block
nothing, a second import records nothing new, and the hash chains hold."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from sqlalchemy import func, select, text

from services.demo_city import CityShape, generate, write_ndjson
from services.dossier import domain
from services.dossier.importer import Importer, csv_rows, ndjson_rows
from services.dossier.service import DossierService
from services.dossier.store import Actor
from services.dossier.tables import cadre_directory, events, idempotency_keys
from shared.db import make_engine
from shared.events import EducationKind

CLERK = Actor("clerk-1", "clerk")
TODAY = dt.date(2026, 11, 22)  # after the generated city's last day
SHAPE = CityShape(cadres=25, events=2_500, seed=4)


@pytest.fixture
async def service(database_url_factory):
    engine = make_engine(await database_url_factory("dossier"), pool_size=4)
    service = DossierService(engine, today=lambda: TODAY)
    await service.seed_catalogue()
    yield service
    await engine.dispose()


def lines(rows: list[dict]) -> list[str]:
    return [json.dumps(r, ensure_ascii=False) + "\n" for r in rows]


async def count(service: DossierService, table=events) -> int:
    async with service._engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(table))


async def test_a_generated_city_is_imported_whole_chained_and_once(service: DossierService) -> None:
    out = io.StringIO()
    write_ndjson(SHAPE, out)
    text = out.getvalue().splitlines(keepends=True)
    before = await count(service)
    report = await Importer(service, CLERK, batch_rows=300).run(ndjson_rows(text))
    assert report.refused == 0, report.errors[:5]
    assert report.recorded == report.rows == len(text)
    assert await count(service) - before == report.events > len(text)  # a transfer appends two events
    assert await count(service, cadre_directory) == SHAPE.cadres
    _streams, stored, breaks = await service.verify()
    assert breaks == [] and stored == await count(service)

    # A cadre's stream folds to what the file says: entries, revocations and amendments included.
    rows = list(generate(SHAPE))
    cadre = rows[-1]["params"]["cadre_id"]
    mine = [r for r in rows if r["params"].get("cadre_id") == cadre]
    state = domain.fold(cadre, [e.domain_event() for e in await service.cadre_history(cadre)])
    assert len(state.entries) == sum(r["operation"] == "record_entry" for r in mine)
    assert sum(e.revoked for e in state.entries.values()) == sum(r["operation"] == "revoke_entry" for r in mine)
    # What a portrait needs: the registration's birth date, the education and the fields (issue 20).
    assert state.basics["birth_date"] == mine[0]["body"]["birth_date"]
    assert state.profile.education_on(EducationKind.FULL_TIME, SHAPE.end) is not None
    # A cadre's card (name, unit, version: ``GET /cadres/{id}``) read from the directory and the stream's head is
    # what folding the stream gives, for every cadre of the city.
    for cadre_id in sorted({r["params"]["cadre_id"] for r in rows if "cadre_id" in r["params"]}):
        folded = domain.fold(cadre_id, [e.domain_event() for e in await service.cadre_history(cadre_id)])
        assert await service.cadre_card(cadre_id) == (folded.name, folded.unit_id, folded.version)
    with pytest.raises(domain.CadreNotFound):
        await service.cadre_card("c-nobody")
    assert state.profile.expertise_on(SHAPE.end) is not None

    again = await Importer(service, CLERK, batch_rows=300).run(ndjson_rows(text))
    assert (again.recorded, again.replayed, again.events) == (0, len(text), 0)
    assert await count(service) - before == report.events


async def test_bad_rows_are_reported_by_row_field_and_rule_and_the_good_ones_stored(service: DossierService) -> None:
    rows = list(generate(CityShape(cadres=3, events=200, seed=9)))
    cadre = next(r for r in rows if r["operation"] == "register_cadre")["params"]["cadre_id"]
    entry = next(r for r in rows if r["operation"] == "record_entry")
    bad = [
        {**entry, "row_key": "bad-points", "params": {"cadre_id": cadre},
         "body": {**entry["body"], "kind": "negative", "category": "inaction", "points": 3}},  # model: sign
        {**entry, "row_key": "bad-category", "params": {"cadre_id": cadre},
         "body": {**entry["body"], "kind": "positive", "category": "no_such", "points": 1}},  # domain: catalogue
        {**entry, "row_key": "bad-op", "operation": "drop_table"},
        {**entry, "row_key": "future", "params": {"cadre_id": cadre},
         "body": {**entry["body"], "effective_date": "2027-01-01"}},  # domain: not in the future
    ]
    # Bad rows in the middle of the file, one of them not even JSON.
    text = lines(rows[:5]) + lines(bad[:2]) + ["{not json\n"] + lines(bad[2:]) + lines(rows[5:])
    report = await Importer(service, CLERK, batch_rows=50).run(ndjson_rows(text))
    found = {(e.row, e.field, e.rule) for e in report.errors}
    assert found == {(6, "body.points", "value_error"), (7, "category", "category_defined"), (8, "", "json"),
                     (9, "operation", "known_operation"), (10, "effective_date", "not_in_future")}
    assert report.refused == 5 and report.recorded == len(rows)
    history = await service.cadre_history(cadre)
    assert len({e.data.get("entry_id") for e in history if e.event_type == "entry_recorded"}) == sum(
        r["operation"] == "record_entry" and r["params"]["cadre_id"] == cadre for r in rows)


async def test_a_row_key_reused_with_other_content_is_refused(service: DossierService) -> None:
    rows = list(generate(CityShape(cadres=1, events=60, seed=2)))
    await Importer(service, CLERK).run(ndjson_rows(lines(rows)))
    changed = {**rows[-1], "body": {**rows[-1]["body"], "reason": "another reason"}}
    report = await Importer(service, CLERK).run(ndjson_rows(lines([changed])))
    assert [(e.field, e.rule) for e in report.errors] == [("row_key", "same_request_same_key")]


async def test_a_clerk_s_csv_of_entries_is_imported_and_a_bad_cell_named(service: DossierService) -> None:
    rows = list(generate(CityShape(cadres=1, events=40, seed=6)))
    await Importer(service, CLERK).run(ndjson_rows(lines([r for r in rows if r["operation"] in (
        "register_unit", "register_cadre")])))
    cadre = next(r for r in rows if r["operation"] == "register_cadre")["params"]["cadre_id"]
    csv_text = ("cadre_id,kind,category,title,points,effective_date,basis.reason,basis.document\n"
                f"{cadre},positive,honour,获市级表彰,3,2026-03-01,表彰,示组字〔2026〕1号\n"
                f"{cadre},negative,work_style,会议缺席,-1,2026-04-01,通报,示组字〔2026〕2号\n"
                f"{cadre},positive,honour,日期有误,2,2026-13-01,表彰,示组字〔2026〕3号\n")
    keys = await count(service, idempotency_keys)
    report = await Importer(service, CLERK).run(csv_rows(io.StringIO(csv_text, newline=""), "record_entry"))
    assert report.recorded == 2
    assert [(e.row, e.field, e.rule) for e in report.errors] == [(3, "body.effective_date", "date_from_datetime_parsing")]
    again = await Importer(service, CLERK).run(csv_rows(io.StringIO(csv_text, newline=""), "record_entry"))
    assert again.recorded == 0 and again.replayed == 2  # no row key: the row's content is its key
    assert await count(service, idempotency_keys) == keys + 2


async def test_a_batch_the_database_refuses_is_retried_row_by_row(pg) -> None:
    """A row that passes every rule the importer and the domain check, refused by the database itself (here a
    CHECK constraint the test adds, standing for any refusal only the database makes): the batch rolls back
    whole, then every other row is stored."""
    url = await pg.create("dossier")
    engine = make_engine(url, pool_size=4)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE events ADD CONSTRAINT refuse_one CHECK (stream_id <> 'unit-refused')"))
        service = DossierService(engine, today=lambda: TODAY)
        rows = [{"row_key": f"u{n}", "operation": "register_unit", "params": {},
                 "body": {"unit_id": f"x{n}" if n != 2 else "refused", "name": "单位", "level": "city",
                          "unit_class": "city"}} for n in range(5)]
        report = await Importer(service, CLERK).run(ndjson_rows(lines(rows)))
        assert report.recorded == 4 and [(e.row, e.rule) for e in report.errors] == [(3, "stored")]
        assert sorted(u["unit_id"] for u in await service.units()) == ["x0", "x1", "x3", "x4"]
    finally:
        await engine.dispose()
