"""Bulk import through the gateway on both wirings: the rows are recorded, published and scored;
bad rows are reported by row, field and rule; sending the file again records nothing new."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from shared.settings import today
from tests.e2e.conftest import System
from tests.e2e.test_gateway import event_count, score_when


def ndjson(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def entry_row(cadre_id: str, n: int, points: float, days_ago: int) -> dict:
    return {"row_key": f"{cadre_id}-entry-{n}", "operation": "record_entry", "params": {"cadre_id": cadre_id},
            "body": {"kind": "positive" if points > 0 else "negative", "category": "honour" if points > 0 else "inaction",
                     "title": f"导入条目{n}", "points": points,
                     "effective_date": (today() - dt.timedelta(days=days_ago)).isoformat(),
                     "basis": {"reason": "导入", "document": f"示组字〔2026〕{n}号"}}}


async def post_file(system: System, body: bytes, role: str = "clerk", content_type: str = "application/x-ndjson"):
    return await system.client.post("/api/v1/imports", content=body,
                                    headers={**system.auth(role=role), "Content-Type": content_type})


async def test_an_imported_file_is_recorded_scored_and_imported_only_once(system: System) -> None:
    cadre_id = str(uuid.uuid4())
    rows = [{"row_key": f"{cadre_id}-reg", "operation": "register_cadre", "params": {"cadre_id": cadre_id},
             "body": {"name": "导入干部", "unit_id": system.unit_id}},
            entry_row(cadre_id, 1, 3, 10), entry_row(cadre_id, 2, 2.5, 20), entry_row(cadre_id, 3, -1, 30),
            {"row_key": f"{cadre_id}-bad", "operation": "record_entry", "params": {"cadre_id": cadre_id},
             "body": {"kind": "positive", "category": "honour", "title": "无依据", "points": 1,
                      "effective_date": today().isoformat()}}]
    r = await post_file(system, ndjson(rows))
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["recorded"], report["refused"]) == (4, 1)
    assert report["errors"] == [{"row": 5, "field": "body.basis", "rule": "missing", "message": "Field required"}]
    assert await event_count(system, cadre_id) == 4
    await score_when(system, cadre_id, 4.5)

    again = await post_file(system, ndjson(rows))
    assert (again.json()["recorded"], again.json()["replayed"]) == (0, 4)
    assert await event_count(system, cadre_id) == 4


async def test_only_a_clerk_may_import(system: System) -> None:
    r = await post_file(system, ndjson([]), role="auditor")
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["rule"] == "role_permission"


async def test_a_csv_upload_names_its_bad_cell(system: System) -> None:
    cadre_id = str(uuid.uuid4())
    await post_file(system, ndjson([{"operation": "register_cadre", "params": {"cadre_id": cadre_id},
                                     "body": {"name": "表格干部", "unit_id": system.unit_id}}]))
    day = (today() - dt.timedelta(days=5)).isoformat()
    body = ("operation,cadre_id,kind,category,title,points,effective_date,basis.reason,basis.document\n"
            f"record_entry,{cadre_id},positive,honour,表彰,2,{day},表彰,示组字1号\n"
            f"record_entry,{cadre_id},positive,honour,超出范围,99,{day},表彰,示组字2号\n").encode()
    r = await post_file(system, body, content_type="text/csv")
    assert r.status_code == 200, r.text
    assert [(e["row"], e["field"], e["rule"]) for e in r.json()["errors"]] == [
        (2, "points", "points_within_category_range")]
    await score_when(system, cadre_id, 2)
