"""Tracking the annual comprehensive assessment through the year (issue 16 step 6; 004, 000), computed by
scoring on read: a period's bulletin per class, the year's warning notices (预警通知单) and its notices (通知单,
written through the dossier like the other inputs: ``shared.assessment_notice_commands``). Read like the
results: a clerk or an auditor sees the subjects of their jurisdiction. A bulletin's class figures (peers'
average, ranks) stay those of the whole class; its rows of subjects outside the jurisdiction are left out."""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

from fastapi import Path, Query, Request, Response

from services.gateway.assessment_reach import visible
from services.gateway.auth import Principal
from services.gateway.deps import Caller, Gateway, GatewayDep
from services.gateway.docs import READ_ERRORS, responses
from services.gateway.negotiation import negotiated_router
from services.gateway.params import AsOf, KnownAt
from services.gateway.routes.assessments import SchemeId, Year
from services.gateway.upstream import as_query, json_response, relay_response
from shared.answers.assessment_notices import Notices
from shared.answers.assessment_tracking import Bulletins, WarningNotices
from shared.assessment_events import ASSESSMENT_PERIOD

router = negotiated_router()
get_read = functools.partial(router.get, responses=responses(READ_ERRORS), tags=["assessments"])
ClassId = Annotated[str | None, Query(alias="class", max_length=100, pattern=r"^[A-Za-z0-9_.-]+$",
                                      description="one class; default every class of the scheme")]


async def _office_read(gw: Gateway, caller: Principal, request: Request, name: str, path: str,
                       params: dict[str, Any]) -> Response:
    """A read authorized as the results are, logged, answered by scoring, cut to the caller's subjects."""
    async def work() -> Response:
        gw.guard.require_role(caller, "read_assessment")
        answer = await gw.scoring.call("GET", f"/v1/assessments/{path}", principal=caller, request=request,
                                       params=as_query(params))
        if answer.status_code != 200:
            return relay_response(answer, request)
        body = answer.json()
        rows = [*body.get("notices", ()), *(r for b in body.get("bulletins", ()) for r in _bulletin_rows(b))]
        seen = await visible(gw, caller, request, {r["subject_id"] for r in rows} | _bulletin_subjects(body))
        return json_response(_cut(body, seen))
    return await gw.audited(caller, request, name, None, work)


def _bulletin_rows(bulletin: dict[str, Any]) -> list[dict[str, Any]]:
    return [*(e for line in bulletin["data"] for e in line["entries"]), *bulletin["projects"],
            *bulletin["breaches"], *bulletin["warning_notices"]]


def _bulletin_subjects(body: dict[str, Any]) -> set[str]:
    return {s for b in body.get("bulletins", ()) for s in b["subjects"]}


def _cut(body: dict[str, Any], seen: set[str]) -> dict[str, Any]:
    """``body`` with only the rows of subjects in ``seen`` (the class's own figures are left as they are)."""
    def mine(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in rows if r["subject_id"] in seen]
    if "notices" in body:
        body["notices"] = mine(body["notices"])
    for b in body.get("bulletins", ()):
        b["subjects"] = [s for s in b["subjects"] if s in seen]
        for line in b["data"]:
            line["entries"] = mine(line["entries"])
            line["missing"] = [s for s in line["missing"] if s in seen]
        for key in ("projects", "breaches", "warning_notices"):
            b[key] = mine(b[key])
    return body


@get_read("/assessments/{scheme_id}/bulletins/{period}", response_model=Bulletins,
          summary="A period's bulletin per class: each data indicator against its target's schedule, the same "
                  "period last year and the class's peers; project checks; breaches; warning notices open",
          description="`period`: 2025, 2025-Q3 or 2025-07; a reading is the year to date, and a quarter's bulletin "
                      "reads its last month. `as_of` defaults to the period's end (or today); `known_at`: as "
                      "recorded by then.")
async def assessment_bulletins(scheme_id: SchemeId, period: Annotated[str, Path(pattern=ASSESSMENT_PERIOD)],
                               caller: Caller, request: Request, gw: GatewayDep, unit_class: ClassId = None,
                               as_of: AsOf = None, known_at: KnownAt = None) -> Response:
    return await _office_read(gw, caller, request, "assessment_bulletins", f"{scheme_id}/bulletins/{period}",
                              {"class": unit_class, "as_of": as_of, "known_at": known_at})


@get_read("/assessments/{scheme_id}/warning-notices", response_model=WarningNotices,
          summary="The year's warning notices (预警通知单): raised when a reading falls behind its target's "
                  "schedule by more than the scheme's margin, closed when it recovers",
          description="Derived from the readings that stand: the same readings give the same notices with the same "
                      "ids. `as_of`: readings effective by then; `known_at`: as recorded by then.")
async def assessment_warning_notices(scheme_id: SchemeId, year: Year, caller: Caller, request: Request,
                                     gw: GatewayDep, status: Literal["open", "closed", "all"] = "all",
                                     unit_class: ClassId = None, as_of: AsOf = None, known_at: KnownAt = None
                                     ) -> Response:
    return await _office_read(gw, caller, request, "assessment_warning_notices", f"{scheme_id}/warning-notices",
                              {"year": year, "status": status, "class": unit_class, "as_of": as_of,
                               "known_at": known_at})


@get_read("/assessments/{scheme_id}/notices", response_model=Notices,
          summary="The year's notices (通知单) issued to units, open or answered (closed with the unit's answer)",
          description="`as_of`: issued and answered by then; `known_at`: as recorded by then.")
async def assessment_notices(scheme_id: SchemeId, year: Year, caller: Caller, request: Request, gw: GatewayDep,
                             status: Literal["open", "answered", "all"] = "all", unit_class: ClassId = None,
                             as_of: AsOf = None, known_at: KnownAt = None) -> Response:
    return await _office_read(gw, caller, request, "assessment_notices", f"{scheme_id}/notices",
                              {"year": year, "status": status, "class": unit_class, "as_of": as_of,
                               "known_at": known_at})
