"""Reads of the caller's jurisdiction: its units, the catalogue, screenings, rankings, warnings, and what a
proposed rule set would change there (what-if)."""

from __future__ import annotations

import functools
from typing import Annotated

from fastapi import Query, Request, Response

from services.gateway.deps import MAX_PAGE, CadreId, Caller, Cursor, GatewayDep, UnitId
from services.gateway.docs import READ_ERRORS, WRITE_ERRORS, responses
from services.gateway.freshness import MinPosition, Prefer, fresh_read_responses, stating
from services.gateway.negotiation import XLSX, action, answering, negotiated_router, wanted, xlsx_answer
from services.gateway.params import AsOf, KnownAt
from services.gateway.policy import GRANTS, J, allowed
from services.gateway.upstream import as_query, json_response, relay_response
from shared.answers import Categories, Ranking, Screenings, Unit, Units, Warnings, WhatIf
from shared.documents import lists
from shared.rule_sets import RuleSet

router = negotiated_router()
get_read = functools.partial(router.get, responses=responses(READ_ERRORS))
# A list: also a workbook, by Accept (services/gateway/negotiation.py).
get_list = functools.partial(router.get, responses=answering(responses(READ_ERRORS), XLSX))
# A list that also takes min_position (read your own writes): both its documented answers.
fresh_list_responses = answering(fresh_read_responses(), XLSX)

WHAT_IF_EXAMPLE = {"id": "stricter", "version": 1, "effective_from": "2027-01-01", "window_years": 3,
                   "category_weights": {"honour": 1.5},
                   "screening": {"mass_satisfaction_min": 95, "years_in_post_min": 3,
                                 "execution_negative_categories": ["inaction"], "third_prize_bar_years": 1}}
WHAT_IF_DESCRIPTION = ("A read that needs a body, hence POST: computed from the proposed rule set and the records "
                       "as they stand, it records nothing (beyond the access log's line, as every read), so it takes "
                       "no Idempotency-Key.")

SCREENINGS_DESCRIPTION = (
    "The whole list by default (as before paging came). With `limit`, a page: the next `limit` cadres in cadre-number "
    "order, and `next`, the `cursor` of the following page (null on the last). Every page after the first is answered "
    "as of and as known at the first page's `as_of` and `known_at` (the cursor carries them), so across the pages each "
    "cadre is listed exactly once, with its verdict as known at that moment; `cadres` counts the page's cadres. A "
    "`cursor` without `limit` answers the rest of the list, without `next`. "
    "`Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` answers the whole list from `cursor` "
    "on as one workbook, read page by page (`limit` rows a page, else 5000), one row a cadre in cadre-number order.")
WORKBOOK_PAGE = 5000  # cadres a page when a workbook is read: ~1.2 MiB of JSON held at a time (scoring's largest
# page); smaller pages would cost scoring more: each page finds the unit's cadres again (cadres_under)

RANKINGS_DESCRIPTION = (
    "Give either `class` (a unit class, with `leadership`: the chiefs or the deputies of every unit of the class) or "
    "`team` (a unit: the deputies of its leadership team, `leadership` is then not used), not both and not neither: "
    "otherwise 422 with the rule `class_or_team`. `size` and each `rank` are those of the whole class; `ranking` "
    "lists only the cadres of units within the caller's jurisdiction.")


@get_list("/units", tags=["units"], response_model=Units, summary="The units within the caller's jurisdiction")
async def list_units(caller: Caller, request: Request, gw: GatewayDep) -> Response:
    gw.guard.require_role(caller, "read_unit")
    reach = await gw.guard.reach(caller, request, whole_jurisdiction=True)
    answer = await gw.dossier.call("GET", "/v1/units", principal=caller, request=request)
    if answer.status_code != 200:
        return relay_response(answer, request)
    units = json_response({"units": [u for u in answer.json()["units"] if u["unit_id"] in reach.units]})
    return units if wanted(request, XLSX) != XLSX else await xlsx_answer(lists.UNITS, "units.xlsx", units)


@get_read("/units/{unit_id}", tags=["units"], response_model=Unit, summary="A unit with its team grades")
async def get_unit(unit_id: UnitId, caller: Caller, request: Request, gw: GatewayDep) -> Response:
    gw.guard.require_role(caller, "read_unit")
    reach = await gw.guard.reach(caller, request, unit_ids=[unit_id])
    gw.guard.enforce(caller, "read_unit", reach.unit(unit_id), "unit")
    return await gw.read(f"/v1/units/{unit_id}", caller, request)


@get_read("/categories", tags=["catalogue"], response_model=Categories, summary="The positive/negative-list catalogue")
async def list_categories(caller: Caller, request: Request, gw: GatewayDep) -> Response:
    gw.guard.require_role(caller, "read_catalogue")
    return await gw.read("/v1/categories", caller, request)


@get_list("/screenings", tags=["screening"], response_model=Screenings, description=SCREENINGS_DESCRIPTION,
          summary="Screening of a unit (default: the caller's) and everything under it: who is eligible, and "
                  "why the others are not", responses=fresh_list_responses)
async def screenings(caller: Caller, request: Request, gw: GatewayDep, unit: Annotated[UnitId | None, Query()] = None,
                     as_of: AsOf = None, known_at: KnownAt = None, min_position: MinPosition = None,
                     prefer: Prefer = None,
                     limit: Annotated[int | None, Query(ge=1, le=MAX_PAGE, description="a page of this many "
                                                                                         "cadres, with `next`")] = None,
                     cursor: Cursor = None) -> Response:
    media = wanted(request, XLSX)

    async def work() -> Response:
        await gw.jurisdiction_of(caller, request, "read_jurisdiction", unit)
        fresh = await gw.freshness.await_position(caller, request, min_position, prefer)
        if media != XLSX:
            return await page(cursor, limit, fresh and fresh.stream)
        size = limit or WORKBOOK_PAGE  # the workbook is every page from cursor on: never one whole-city answer
        first = await page(cursor, size, fresh and fresh.stream)
        return await xlsx_answer(lists.SCREENINGS, "screenings.xlsx", first, lambda after: page(after, size, None))

    async def page(after: str | None, size: int | None, stream: str | None) -> Response:
        # The unit was checked to lie in the jurisdiction: every cadre under it may be listed, no row is filtered.
        return await gw.from_scoring("/v1/screenings", caller, request, {
            "unit": unit or caller.unit, "as_of": as_of, "known_at": known_at, "stream": stream,
            "limit": size, "cursor": after})
    return await gw.audited(caller, request, action("screenings", media), None, work)


@get_list("/rankings", tags=["rankings"], response_model=Ranking, description=RANKINGS_DESCRIPTION,
          summary="Ranking within a class (unit class x chief/deputy) or a deputies' team, with the two ends; "
                  "only the caller's jurisdiction is listed, with its ranks in the whole class",
          responses=fresh_list_responses)
async def rankings(caller: Caller, request: Request, gw: GatewayDep,
                   unit_class: Annotated[str | None, Query(alias="class", max_length=100)] = None,
                   leadership: Annotated[str, Query(pattern="^(chief|deputy)$")] = "chief",
                   team: Annotated[UnitId | None, Query()] = None, as_of: AsOf = None,
                   known_at: KnownAt = None, min_position: MinPosition = None, prefer: Prefer = None) -> Response:
    media = wanted(request, XLSX)

    async def work() -> Response:
        reach = await gw.jurisdiction_of(caller, request, "read_jurisdiction", team, whole=True)
        fresh = await gw.freshness.await_position(caller, request, min_position, prefer)
        answer = await gw.scoring.call("GET", "/v1/rankings", principal=caller, request=request, params=as_query(
            {"class": unit_class, "leadership": leadership, "team": team, "as_of": as_of, "known_at": known_at,
             "stream": fresh and fresh.stream}))
        if answer.status_code != 200:
            return relay_response(answer, request)
        body = answer.json()
        body["ranking"] = [r for r in body["ranking"] if r["unit_id"] in reach.units]
        ranked = stating(json_response(body), answer.headers)
        return ranked if media != XLSX else await xlsx_answer(lists.RANKINGS, "rankings.xlsx", ranked)
    return await gw.audited(caller, request, action("rankings", media), None, work)


@get_list("/warnings", tags=["warnings"], response_model=Warnings, responses=fresh_list_responses,
          summary="Warnings (预警), active by default, of the cadres the caller may read",
          description="`Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` answers the whole "
                      "list from `cursor` on (every page, `limit` rows a call) as one workbook.")
async def list_warnings(caller: Caller, request: Request, gw: GatewayDep,
                        cadre_id: Annotated[CadreId | None, Query()] = None,
                        status: Annotated[str, Query(pattern="^(active|cleared|all)$")] = "active",
                        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 200,
                        cursor: Cursor = None,
                        min_position: MinPosition = None, prefer: Prefer = None) -> Response:
    media = wanted(request, XLSX)

    async def work() -> Response:
        if cadre_id is not None:
            await gw.guard.cadre(caller, request, "read_cadre", str(cadre_id))
        else:
            gw.guard.require_role(caller, "read_cadre")
        cadre = str(cadre_id) if cadre_id else None
        fresh = await gw.freshness.await_position(caller, request, min_position, prefer, cadre)
        first = await page(cursor, fresh and fresh.stream)
        if media != XLSX:
            return first
        return await xlsx_answer(lists.WARNINGS, "warnings.xlsx", first, lambda after: page(after, None))

    async def page(cursor: str | None, stream: str | None) -> Response:
        cadre = str(cadre_id) if cadre_id else None
        # A role that reads cadres only within its jurisdiction is asked only its unit's warnings: a unit's clerk
        # would otherwise page through the whole city's to find its own (issue 22). The rows are still
        # filtered below: scoring's view of who serves where may be a moment behind the dossier's.
        unit = caller.unit if cadre is None and GRANTS["read_cadre"].get(caller.role) == (J,) else None
        answer = await gw.scoring.call("GET", "/v1/warnings", principal=caller, request=request, params=as_query(
            {"cadre_id": cadre, "status": status, "limit": limit, "cursor": cursor, "unit": unit,
             "stream": stream}))
        if answer.status_code != 200:
            return relay_response(answer, request)
        body = answer.json()
        rows = body["warnings"]
        reach = await gw.guard.reach(caller, request, {r["cadre_id"] for r in rows})
        # Filtered after paging: a page may hold fewer than ``limit``; ``next`` still goes on from it.
        visible = [r for r in rows if allowed(caller.role, "read_cadre", reach.cadres.get(r["cadre_id"], ()))]
        return stating(json_response({"warnings": visible, "next": body["next"]}), answer.headers)
    return await gw.audited(caller, request, action("warnings", media), str(cadre_id) if cadre_id else None, work)


@router.post("/what-if", tags=["rule sets"], response_model=WhatIf, responses=responses(WRITE_ERRORS, body=True),
             openapi_extra={"requestBody": {"content": {"application/json": {"example": WHAT_IF_EXAMPLE}}}},
             summary="What a proposed rule set would change for a unit (default: the caller's): totals, screening "
                     "verdicts, ranking bands (read-only)", description=WHAT_IF_DESCRIPTION)
async def what_if(proposed: RuleSet, caller: Caller, request: Request, gw: GatewayDep,
                  unit: Annotated[UnitId | None, Query()] = None, as_of: AsOf = None) -> Response:
    async def work() -> Response:
        await gw.jurisdiction_of(caller, request, "what_if", unit)
        answer = await gw.scoring.call("POST", "/v1/what-if", principal=caller, request=request,
                                       params=as_query({"unit": unit or caller.unit, "as_of": as_of}),
                                       json=proposed.model_dump(mode="json"))
        return relay_response(answer, request)
    return await gw.audited(caller, request, "what_if", None, work)
