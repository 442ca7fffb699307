"""Tracking the annual comprehensive assessment through the year (issue 16 step 6; 004, 000), computed by
scoring on read: a period's bulletin per class, the year's warning notices (预警通知单) and its notices (通知单,
written through the dossier like the other inputs: ``shared.assessment_notice_commands``). Read by the
assessment office like the results (a clerk or an auditor of a top-level unit)."""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from services.gateway.auth import Principal
from services.gateway.deps import PREFIX, Caller, Gateway, GatewayDep
from services.gateway.docs import READ_ERRORS, responses
from services.gateway.params import AsOf, KnownAt
from services.gateway.routes.assessments import SchemeId, Year, _authorized
from shared.answers.assessment_notices import Notices
from shared.answers.assessment_tracking import Bulletins, WarningNotices
from shared.assessment_events import ASSESSMENT_PERIOD

router = APIRouter(prefix=PREFIX)
get_read = functools.partial(router.get, responses=responses(READ_ERRORS), tags=["assessments"])
ClassId = Annotated[str | None, Query(alias="class", max_length=100, pattern=r"^[A-Za-z0-9_.-]+$",
                                      description="one class; default every class of the scheme")]


async def _office_read(gw: Gateway, caller: Principal, request: Request, name: str, path: str,
                       params: dict[str, Any]) -> Response:
    """A read of the assessment office's, authorized as the results are, logged, answered by scoring."""
    async def work() -> Response:
        await _authorized(gw, caller, request)
        return await gw.from_scoring(f"/v1/assessments/{path}", caller, request, params)
    return await gw.audited(caller, request, name, None, work)


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
