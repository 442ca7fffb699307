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
from services.gateway.negotiation import negotiated_router
from services.gateway.policy import Relation, allowed
from shared.answers import CadreList, Tasks

router = negotiated_router()
get_read = functools.partial(router.get, responses=responses(READ_ERRORS))

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


@get_read("/cadres", tags=["cadres"], response_model=CadreList, description=CADRES_DESCRIPTION,
          summary="The cadres of a unit subtree of the caller's jurisdiction, searched by name, post and leadership")
async def list_cadres(caller: Caller, request: Request, gw: GatewayDep, unit: Annotated[UnitId | None, Query()] = None,
                      name: Part = None, post: Part = None,
                      leadership: Annotated[str | None, Query(pattern="^(chief|deputy|member)$")] = None,
                      limit: Limit = 100, cursor: PageCursor = None) -> Response:
    async def work() -> Response:
        await gw.jurisdiction_of(caller, request, "search_cadres", unit)
        return await gw.read("/v1/cadres", caller, request, {"unit": unit or caller.unit, "name": name, "post": post,
                                                              "leadership": leadership, "limit": limit,
                                                              "cursor": cursor})
    return await gw.audited(caller, request, "list_cadres", None, work)


@get_read("/tasks", tags=["tasks"], response_model=Tasks, description=TASKS_DESCRIPTION,
          summary="What waits for the caller: reports to endorse, achievements to verify, appeals to decide")
async def list_tasks(caller: Caller, request: Request, gw: GatewayDep, limit: Limit = 100,
                     cursor: PageCursor = None) -> Response:
    async def work() -> Response:
        gw.guard.require_role(caller, "read_tasks")
        if allowed(caller.role, "read_tasks", {Relation.SELF}):  # a superior's own tasks
            whose = {"leader": caller.subject}
        else:  # the organization department's, in its jurisdiction
            await gw.jurisdiction_of(caller, request, "read_tasks", None)
            whose = {"unit": caller.unit}
        return await gw.read("/v1/tasks", caller, request, {**whose, "limit": limit, "cursor": cursor})
    return await gw.audited(caller, request, "list_tasks", None, work)
