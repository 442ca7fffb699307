"""Finding cadres and what waits (issue 15): the cadre list of the caller's jurisdiction, searched by unit
subtree, name, post title and leadership; and the caller's tasks (a leader's subordinates' reports awaiting
endorsement and achievements awaiting verification, a clerk's appeals awaiting a decision). Both are pages
with the list cursor's rules (``shared.cursor``), authorized by the policy and logged like every read."""

from __future__ import annotations

import functools
from typing import Annotated

from fastapi import Query, Request, Response

from services.gateway.deps import MAX_PAGE, Caller, GatewayDep, UnitId
from services.gateway.docs import NO_CONTROL_CHARACTERS, READ_ERRORS, responses
from services.gateway.negotiation import XLSX, action, answering, negotiated_router, wanted, xlsx_answer
from services.gateway.policy import Relation, allowed
from shared.answers import CadreList, Tasks
from shared.documents import lists

router = negotiated_router()
# A list: also a workbook of every page from ``cursor`` on, by Accept (services/gateway/negotiation.py).
get_list = functools.partial(router.get, responses=answering(responses(READ_ERRORS), XLSX))
WHOLE_LIST = (" `Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` answers the whole list "
              "from `cursor` on (every page, `limit` rows a call) as one workbook.")

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
PageCursor = Annotated[str | None, Query(max_length=1000, pattern="^[A-Za-z0-9_=-]+$",
                                         description="`next` of the previous page, as given: opaque (URL-safe "
                                                     "base64); one this list did not give out is refused with 422 "
                                                     "`cursor_format`")]
Part = Annotated[str | None, Query(min_length=1, max_length=100, pattern=NO_CONTROL_CHARACTERS)]

CADRES_DESCRIPTION = (
    "The cadres serving today in `unit`'s subtree (default: the caller's unit): those holding a post there, "
    "and those registered there who hold none. `name` and `post` match any part of the name or of an open "
    "post's title, case-insensitively; `leadership` keeps those holding an open post of that kind (with `post`, "
    "the same post). Ordered by name, then id; a unit outside the caller's jurisdiction answers 404.")
TASKS_DESCRIPTION = (
    "A leader: their subordinates' quarterly reports awaiting endorsement and achievements awaiting "
    "verification (subordinates as the posts have them today). A clerk: the appeals awaiting a decision of the "
    "cadres serving in their jurisdiction. Oldest first; each task names the write that settles it.")


@get_list("/cadres", tags=["cadres"], response_model=CadreList, description=CADRES_DESCRIPTION + WHOLE_LIST,
          summary="The cadres of a unit subtree of the caller's jurisdiction, searched by name, post and leadership")
async def list_cadres(caller: Caller, request: Request, gw: GatewayDep, unit: Annotated[UnitId | None, Query()] = None,
                      name: Part = None, post: Part = None,
                      leadership: Annotated[str | None, Query(pattern="^(chief|deputy|member)$")] = None,
                      limit: Limit = 100, cursor: PageCursor = None) -> Response:
    media = wanted(request, XLSX)

    async def work() -> Response:
        await gw.jurisdiction_of(caller, request, "search_cadres", unit)
        first = await page(cursor)
        return first if media != XLSX else await xlsx_answer(lists.CADRES, "cadres.xlsx", first, page)

    async def page(after: str | None) -> Response:
        return await gw.read("/v1/cadres", caller, request, {"unit": unit or caller.unit, "name": name, "post": post,
                                                              "leadership": leadership, "limit": limit, "cursor": after})
    return await gw.audited(caller, request, action("list_cadres", media), None, work)


@get_list("/tasks", tags=["tasks"], response_model=Tasks, description=TASKS_DESCRIPTION + WHOLE_LIST,
          summary="What waits for the caller: reports to endorse, achievements to verify, appeals to decide")
async def list_tasks(caller: Caller, request: Request, gw: GatewayDep, limit: Limit = 100,
                     cursor: PageCursor = None) -> Response:
    media = wanted(request, XLSX)

    async def work() -> Response:
        gw.guard.require_role(caller, "read_tasks")
        if allowed(caller.role, "read_tasks", {Relation.SELF}):  # a superior's own tasks
            whose = {"leader": caller.subject}
        else:  # the organization department's, in its jurisdiction
            await gw.jurisdiction_of(caller, request, "read_tasks", None)
            whose = {"unit": caller.unit}

        async def page(after: str | None) -> Response:
            return await gw.read("/v1/tasks", caller, request, {**whose, "limit": limit, "cursor": after})
        first = await page(cursor)
        return first if media != XLSX else await xlsx_answer(lists.TASKS, "tasks.xlsx", first, page)
    return await gw.audited(caller, request, action("list_tasks", media), None, work)
