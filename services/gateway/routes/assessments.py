"""Reads of the annual comprehensive assessment (issue 16), computed by scoring on read: a scheme's results
for a year, ranked within each class with the two ends, and one subject's explained result with its grade
proposal, the grade decided and what it entails. The assessment office reads them (a clerk or an auditor of
a top-level unit, all the subjects; of a county, the county's: ``assessment_consequences``); the writes are in
``shared.commands.OPERATIONS`` like every other."""

from __future__ import annotations

import functools
from typing import Annotated

from fastapi import Path, Query, Request, Response

from services.gateway.assessment_reach import require_subject, within
from services.gateway.deps import Caller, GatewayDep
from services.gateway.docs import READ_ERRORS, responses
from services.gateway.negotiation import XLSX, action, answering, negotiated_router, wanted, xlsx_answer
from services.gateway.params import AsOf, KnownAt
from services.gateway.upstream import as_query, json_response, relay_response
from shared.answers.assessments import AssessmentResults, SubjectResult
from shared.documents import lists

router = negotiated_router()
get_read = functools.partial(router.get, responses=responses(READ_ERRORS), tags=["assessments"])
SchemeId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]+$", max_length=100)]
SubjectId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]+$", max_length=100)]
Year = Annotated[int, Query(ge=1949, le=2199, description="the assessment year")]
AS_OF = ("`as_of`: the effective date (default the year's last day, or today while the year runs): the scheme "
         "version in force that day computes, with the inputs effective by then; `known_at`: as recorded by then.")


@router.get("/assessments/{scheme_id}/results", response_model=AssessmentResults, tags=["assessments"],
            responses=answering(responses(READ_ERRORS), XLSX), description=AS_OF + (
                " `Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` answers the results "
                "as a workbook, one row a subject."),
            summary="A scheme's results for a year: composites, proposed and decided grades, ranks within each class "
                    "and the two ends")
async def assessment_results(scheme_id: SchemeId, year: Year, caller: Caller, request: Request, gw: GatewayDep,
                             unit_class: Annotated[str | None, Query(alias="class", max_length=100)] = None,
                             as_of: AsOf = None, known_at: KnownAt = None) -> Response:
    media = wanted(request, XLSX)

    async def work() -> Response:
        gw.guard.require_role(caller, "read_assessment")
        answer = await gw.scoring.call("GET", f"/v1/assessments/{scheme_id}/results", principal=caller, request=request,
                                       params=as_query({"year": year, "class": unit_class, "as_of": as_of,
                                                        "known_at": known_at}))
        if answer.status_code != 200:
            return relay_response(answer, request)
        found = await within(gw, caller, request, answer, "results")
        shown = {r["subject_id"] for r in found["results"]}
        found["two_ends"] = [{**e, "top": [s for s in e["top"] if s in shown],
                              "bottom": [s for s in e["bottom"] if s in shown]} for e in found["two_ends"]]
        cut = json_response(found)
        return cut if media != XLSX else await xlsx_answer(lists.ASSESSMENT_RESULTS,
                                                           f"assessment-{scheme_id}-{year}.xlsx", cut)
    return await gw.audited(caller, request, action("assessment_results", media), None, work)


@get_read("/assessments/{scheme_id}/subjects/{subject_id}", response_model=SubjectResult, description=AS_OF,
          summary="One subject's explained result: components, indicators with their events, what was missing, "
                  "the rules that fired, the grade proposal and the grade decided")
async def assessment_subject(scheme_id: SchemeId, subject_id: SubjectId, year: Year, caller: Caller,
                             request: Request, gw: GatewayDep, as_of: AsOf = None, known_at: KnownAt = None
                             ) -> Response:
    async def work() -> Response:
        await require_subject(gw, caller, request, subject_id)
        return await gw.from_scoring(f"/v1/assessments/{scheme_id}/subjects/{subject_id}", caller, request,
                                     {"year": year, "as_of": as_of, "known_at": known_at})
    return await gw.audited(caller, request, "assessment_subject", None, work)
