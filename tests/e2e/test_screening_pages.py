"""The screening list paged between scoring and the gateway (issue 18): the pages of a list are the whole list,
each cadre once, at the first page's moment; its workbook, read page by page, is its JSON cell by cell."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import System
from tests.e2e.test_dossier_workflows import office
from tests.e2e.test_gateway import BASIS, key, today
from tests.e2e.test_scoring_features import eventually
from tests.e2e.test_spreadsheets import AS_XLSX, assert_cells

HEADER = ["干部编号", "初筛结论", "不符合或待定的规则"]
VERDICTS = {"eligible": "符合条件", "ineligible": "不符合条件", "undetermined": "待定"}


def rows(answer: dict[str, Any]) -> list[list[Any]]:
    """An answer's cadres as workbook rows, in cadre-number order."""
    found = ([[c, VERDICTS["eligible"], ""] for c in answer["eligible"]]
             + [[r["cadre_id"], VERDICTS["ineligible"], "；".join(r["excluded_by"])] for r in answer["ineligible"]]
             + [[r["cadre_id"], VERDICTS["undetermined"], "；".join(r["unknown"])] for r in answer["undetermined"]])
    return sorted(found)


async def screenings(system: System, **params: Any) -> dict[str, Any]:
    r = await system.client.get("/api/v1/screenings", params=params, headers=system.auth())
    assert r.status_code == 200, r.text
    return r.json()


async def pages(system: System, unit: str, limit: int, first: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every page of ``unit``'s screening (after ``first`` when given), following ``next``."""
    read = [first] if first else [await screenings(system, unit=unit, limit=limit)]
    while read[-1]["next"]:
        read.append(await screenings(system, unit=unit, limit=limit, cursor=read[-1]["next"]))
    return read


async def town(system: System, size: int) -> tuple[str, list[str]]:
    """A fresh unit of ``size`` cadres (its chief and member, and more registered there), once scoring has them."""
    o = await office(system)
    ids = [o.boss, o.cadre]
    for n in range(size - 2):
        r = await system.client.post("/api/v1/cadres", json={"name": f"翻页{n}", "unit_id": o.unit_id},
                                     headers={**system.auth(), **key()})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])

    async def all_in() -> None:
        assert (await screenings(system, unit=o.unit_id))["cadres"] == size
    await eventually(all_in)
    return o.unit_id, sorted(ids)


async def test_the_pages_of_a_screening_are_the_whole_list_and_so_is_its_workbook(system: System) -> None:
    unit, ids = await town(system, 7)
    whole = await screenings(system, unit=unit)
    assert "next" not in whole and whole["cadres"] == 7  # the unpaged answer is as it was
    read = await pages(system, unit, limit=3)
    assert [p["cadres"] for p in read] == [3, 3, 1] and read[-1]["next"] is None
    assert {p["known_at"] for p in read} == {read[0]["known_at"]}  # every page at the first page's moment
    paged = [row for p in read for row in rows(p)]
    assert [r[0] for r in paged] == ids  # cadre-number order, each cadre once
    assert paged == rows(whole)

    for params in ({"limit": 3}, {}):  # three rows a page, and the default page
        book = await system.client.get("/api/v1/screenings", params={"unit": unit, **params},
                                       headers={**system.auth(), **AS_XLSX})
        assert book.status_code == 200, book.text
        assert_cells(book.content, HEADER, paged)
    tail = await system.client.get("/api/v1/screenings", params={"unit": unit, "limit": 3, "cursor": read[0]["next"]},
                                   headers={**system.auth(), **AS_XLSX})
    assert_cells(tail.content, HEADER, paged[3:])  # a workbook from a cursor on

    log = await system.client.get("/api/v1/access-log", params={"limit": 500}, headers=system.auth("audit_admin", "a"))
    downloads = [e for e in log.json()["entries"] if e["action"] == "screenings.xlsx" and unit in (e["query"] or "")]
    assert len(downloads) == 3  # one line a download, however many pages it read


async def test_a_score_changed_between_pages_neither_loses_nor_doubles_a_cadre(system: System) -> None:
    unit, ids = await town(system, 6)
    first = await screenings(system, unit=unit, limit=2)
    assert [r[0] for r in rows(first)] == ids[:2]
    later = ids[-1]  # on the last page: vetoed, and a cadre registered, after the first page was read
    r = await system.client.post(f"/api/v1/cadres/{later}/assessments/{today().year}/integrity-veto",
                                 json={"basis": BASIS}, headers={**system.auth(), **key()})
    assert r.status_code == 201, r.text
    r = await system.client.post("/api/v1/cadres", json={"name": "后到", "unit_id": unit},
                                 headers={**system.auth(), **key()})
    newcomer = r.json()["id"]

    async def changed() -> dict[str, Any]:
        now = await screenings(system, unit=unit)
        assert later in [x["cadre_id"] for x in now["ineligible"]] and now["cadres"] == 7, now
        return now
    now = await eventually(changed)

    read = await pages(system, unit, limit=2, first=first)
    paged = [row for p in read for row in rows(p)]
    assert [row[0] for row in paged] == ids  # every cadre of the first page's moment once; the newcomer not
    assert newcomer not in [row[0] for row in paged]
    then = await screenings(system, unit=unit, known_at=first["known_at"], as_of=first["as_of"])
    assert paged == rows(then)  # the pages are the list as known at the first page's moment
    assert dict((row[0], row[1]) for row in paged)[later] != VERDICTS["ineligible"]
    assert rows(now) != rows(then)  # while the list as it stands now has changed


async def test_a_cursor_the_list_did_not_give_out_is_refused_by_name(system: System) -> None:
    for cursor in ("bm90LWEtY3Vyc29y", "W1sxXSwgIjIwMjYtMDEtMDEiLCAiMjAyNi0wMS0wMVQwMDowMDowMCJd"):
        r = await system.client.get("/api/v1/screenings", params={"limit": 2, "cursor": cursor},
                                    headers=system.auth())
        assert r.status_code == 422, r.text
        assert [e["rule"] for e in r.json()["errors"]] == ["cursor_format"]
