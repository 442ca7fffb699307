"""The assessment's consequences acted on and the what-if on a scheme (issue 16, steps 5 and 7). Like the
assessment's other reads, the caller sees the subjects of their jurisdiction only
(``services.gateway.assessment_reach``). Filing a rectification report is a write of
``shared.commands.OPERATIONS`` like every other."""

from __future__ import annotations

import copy
import functools
from typing import Annotated, Any, Literal

from fastapi import Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from services.gateway.assessment_reach import visible, within
from services.gateway.deps import Caller, GatewayDep
from services.gateway.docs import READ_ERRORS, WRITE_ERRORS, responses
from services.gateway.negotiation import negotiated_router
from services.gateway.params import AsOf, KnownAt
from services.gateway.upstream import as_query, json_response, relay_response
from shared.answers.assessment_consequences import Consequences, SchemeWhatIf
from shared.answers.assessments import EXAMPLE_SCHEME

router = negotiated_router()
get_read = functools.partial(router.get, responses=responses(READ_ERRORS), tags=["assessments"])
SchemeId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]+$", max_length=100)]
Year = Annotated[int, Query(ge=1949, le=2199, description="the assessment year")]


@get_read("/assessments/{scheme_id}/consequences", response_model=Consequences,
          summary="The consequences the year's decided grades entail, as acted on: talks, warnings, a demotion flag, "
                  "promotion barred, rectification reports owed (status=owed) until filed",
          description="Acted on when a grade is decided (the decided grade, and the composite as of the year's end): "
                      "a later decision withdraws what it no longer entails. Rows of subjects (or bearers) outside "
                      "the caller's jurisdiction are left out.")
async def assessment_consequences(scheme_id: SchemeId, year: Year, caller: Caller, request: Request, gw: GatewayDep,
                                  status: Literal["all", "active", "owed"] = "all") -> Response:
    async def work() -> Response:
        gw.guard.require_role(caller, "read_assessment")
        answer = await gw.scoring.call("GET", f"/v1/assessments/{scheme_id}/consequences", principal=caller,
                                       request=request, params=as_query({"year": year, "status": status}))
        if answer.status_code != 200:
            return relay_response(answer, request)
        return json_response(await within(gw, caller, request, answer, "consequences", ("subject_id", "bearer_id")))
    return await gw.audited(caller, request, "assessment_consequences", None, work)


class SchemeProposal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scheme: dict[str, Any] = Field(description="the proposed version: a whole scheme document (assessment_scheme.v1)")


def _example() -> dict[str, Any]:
    proposed = copy.deepcopy(EXAMPLE_SCHEME)
    proposed.update({"version": 2, "reason": "平时考核权重拟由40%调整为30%（测算）"})
    proposed["components"][0]["weights"] = {"economic_development": "70"}
    proposed["components"][1]["weights"] = {"economic_development": "30"}
    return {"scheme": proposed}


@router.post("/assessments/{scheme_id}/what-if", tags=["assessments"], response_model=SchemeWhatIf,
             responses=responses(WRITE_ERRORS, body=True),
             openapi_extra={"requestBody": {"content": {"application/json": {"example": _example()}}}},
             summary="What a proposed version of a scheme (other weights, functions, thresholds) would change in the "
                     "composites, grades and ranks of the caller's subjects (read-only)",
             description="A read that needs a body, hence POST: the proposal is checked like a published version "
                         "(422 naming field and rule) and computed from the raw inputs as they stand; nothing is "
                         "recorded (beyond the access log's line), so it takes no Idempotency-Key.")
async def assessment_what_if(scheme_id: SchemeId, body: SchemeProposal, year: Year, caller: Caller, request: Request,
                             gw: GatewayDep, as_of: AsOf = None, known_at: KnownAt = None) -> Response:
    async def work() -> Response:
        await gw.jurisdiction_of(caller, request, "assessment_what_if", None)
        answer = await gw.scoring.call("POST", f"/v1/assessments/{scheme_id}/what-if", principal=caller,
                                       request=request, json=body.model_dump(mode="json"),
                                       params=as_query({"year": year, "as_of": as_of, "known_at": known_at}))
        if answer.status_code != 200:
            return relay_response(answer, request)
        found = answer.json()
        seen = await visible(gw, caller, request, found["subjects"])
        found["subjects"] = len(seen)
        found["changes"] = [c for c in found["changes"] if c["subject_id"] in seen]
        return json_response(found)
    return await gw.audited(caller, request, "assessment_what_if", None, work)
