"""Operations: the daily refresh on demand (system administrator), bulk imports (clerks of a top-level unit),
the access log (auditors, the audit administrator)."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import Query, Request, Response

from services.gateway.deps import MAX_PAGE, CadreId, Caller, GatewayDep
from services.gateway.docs import READ_ERRORS, WRITE_ERRORS, responses
from services.gateway.errors import not_utf8
from services.gateway.negotiation import XLSX, action, answering, negotiated_router, wanted, xlsx_answer
from services.gateway.params import AsOf, KnownAt
from services.gateway.upstream import as_query, json_response, relay_response
from shared.answers import AccessLog, DailyRefresh, ImportReport
from shared.documents import imports, lists
from shared.http import invalid
from shared.problems import Problem

router = negotiated_router()

IMPORT_EXAMPLE = ('{"row_key": "2026-q3-0001", "operation": "record_entry", "params": {"cadre_id": '
                  '"0b7f3c2e-6d1a-4f5e-9c3b-2a8d4e6f1a90"}, "body": {"kind": "positive", "category": "honour", '
                  '"title": "市级表彰", "points": 2, "effective_date": "2026-08-01", '
                  '"basis": {"reason": "市委通报表扬", "document": "组字〔2026〕8号"}}}\n')
IMPORT_TIMEOUT_S = 600.0  # a file of many thousand rows takes longer than one command
DAILY_REFRESH_DESCRIPTION = (
    "Re-evaluates every cadre's totals and warnings (rankings included) as of `as_of` (default today), as the "
    "scheduled job does each night. It takes no Idempotency-Key: for one date it is idempotent by its nature, so "
    "running it again with no new records in between raises, clears and publishes nothing new (its counts are "
    "then 0). 409 while another scoring instance runs it.")


def utf8_body(body: bytes) -> bytes:
    """``body``, once it is known to be text at all (an empty body is refused with 422: the operation's body is
    required) and UTF-8 text: a file in another encoding (GBK, say) is refused whole with
    400 rather than read with replacement characters into records kept forever."""
    if not body:
        raise invalid("body", "required", "send the file (NDJSON or CSV) as the body: this one is empty")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise not_utf8(exc) from exc
    return body


@router.post("/jobs/daily-refresh", tags=["operations"], response_model=DailyRefresh,
             responses=responses(WRITE_ERRORS),
             summary="Run the daily refresh of totals and warnings now (system administrator)",
             description=DAILY_REFRESH_DESCRIPTION)
async def daily_refresh(caller: Caller, request: Request, gw: GatewayDep, as_of: AsOf = None) -> Response:
    async def work() -> Response:
        gw.guard.require_role(caller, "daily_refresh")
        return await gw.from_scoring("/v1/jobs/daily-refresh", caller, request, {"as_of": as_of}, method="POST")
    return await gw.audited(caller, request, "daily_refresh", None, work)


@router.post("/imports", tags=["imports"], response_model=ImportReport,
             responses=answering(responses(WRITE_ERRORS, body=True), XLSX, description=(
                 "The report; for a workbook sent with `Accept` the workbook's media type, the workbook as sent with "
                 "its error column (错误) filled in for each refused row")),
             summary="Bulk import: an NDJSON, CSV or XLSX file of commands",
             description="The body is the file (Content-Type application/x-ndjson, text/csv, or the XLSX media type: "
                         "a workbook with the CSV's columns, as GET /imports/template gives it; a report's rows are "
                         "then the workbook's data rows). Each row is "
                         "validated and decided like the single write it names and appended in batches; the "
                         "answer reports every refused row (row, field, rule). Each row's `row_key` (or its "
                         "content) is its idempotency key: sending the file again records nothing new. Clerks of "
                         "a top-level unit only (the rows may name any cadre of the city).",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/x-ndjson": {"schema": {"type": "string", "minLength": 1}, "example": IMPORT_EXAMPLE},
                 "text/csv": {"schema": {"type": "string", "minLength": 1}},
                 XLSX: {"schema": {"type": "string", "format": "binary", "minLength": 1}}}}})
async def bulk_import(caller: Caller, request: Request, gw: GatewayDep,
                      operation: Annotated[str | None, Query(pattern=r"^[a-z_]+$", max_length=50,
                                                             description="for a CSV without an operation column")]
                      = None) -> Response:
    async def work() -> Response:
        gw.guard.require_role(caller, "bulk_import")
        gw.guard.enforce(caller, "bulk_import", (await gw.guard.reach(caller, request)).top_level_relations(), None)
        try:
            if request.headers.get("content-type", "").split(";")[0].strip().lower() == XLSX:
                return await workbook_import(caller, request, gw, operation)
            headers = {"Content-Type": request.headers.get("content-type", "application/x-ndjson")}
            answer = await gw.dossier.call("POST", "/v1/imports", principal=caller, request=request,
                                           params=as_query({"operation": operation}),
                                           content=utf8_body(await request.body()), headers=headers,
                                           timeout_s=IMPORT_TIMEOUT_S)
            return relay_response(answer, request)
        finally:  # its rows may register units and cadres and assign posts: the kept relations may be stale
            gw.guard.kept.forget()
    return await gw.audited(caller, request, "bulk_import", None, work)


async def workbook_import(caller: Caller, request: Request, gw: GatewayDep, operation: str | None) -> Response:
    """A workbook, imported as the CSV of its rows; the report (or, by Accept, the error workbook) by its rows."""
    try:
        upload = await anyio.to_thread.run_sync(imports.read_upload, await request.body())
    except Exception as exc:  # python-calamine's errors: not a workbook, or a damaged one
        raise Problem(422, "validation-error", "The request is not valid", f"not an XLSX workbook: {exc}",
                      errors=[{"field": "body", "rule": "xlsx_workbook", "message": str(exc)[:500]}]) from exc
    answer = await gw.dossier.call("POST", "/v1/imports", principal=caller, request=request,
                                   params=as_query({"operation": operation}), content=upload.csv,
                                   headers={"Content-Type": "text/csv"}, timeout_s=IMPORT_TIMEOUT_S)
    if answer.status_code != 200:
        return relay_response(answer, request)
    report = upload.sheet_errors(answer.json())
    if wanted(request, XLSX) != XLSX:
        return json_response(report)
    content = await anyio.to_thread.run_sync(imports.error_workbook, upload, report)
    counts = {f"Import-{k.capitalize()}": str(report[k]) for k in ("rows", "recorded", "replayed", "refused")}
    return Response(content, media_type=XLSX, headers={
        **counts, "Content-Disposition": 'attachment; filename="import-errors.xlsx"'})


@router.get("/access-log", tags=["audit"], response_model=AccessLog,
            responses=answering(responses(READ_ERRORS), XLSX, description=(
                "The entries; as a workbook (by Accept), every entry from `cursor` on, all pages")),
            summary="The access log, oldest first: who read or wrote what, when, from where, with what outcome "
                    "(auditors: one cadre of their jurisdiction; the audit administrator: everything)")
async def access_log(caller: Caller, request: Request, gw: GatewayDep,
                     cadre_id: Annotated[CadreId | None, Query()] = None,
                     subject: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
                     since: KnownAt = None, until: KnownAt = None,
                     cursor: Annotated[str | None, Query(pattern="^[0-9]{1,18}$",
                                                         description="`next` of the previous page: the `seq` of its "
                                                                     "last entry")] = None,
                     limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100) -> Response:
    media = wanted(request, XLSX)

    async def work() -> Response:
        gw.guard.require_role(caller, "read_access_log")
        if caller.role != "audit_admin":
            if cadre_id is None:
                raise Problem(422, "validation-error", "The request is not valid", "an auditor reads one cadre's "
                              "entries: give cadre_id", errors=[{"field": "cadre_id", "rule": "required_for_role",
                                                                 "message": "give cadre_id"}])
            await gw.guard.cadre(caller, request, "read_access_log", str(cadre_id))
        first = await page(cursor)
        return first if media != XLSX else await xlsx_answer(lists.ACCESS_LOG, "access-log.xlsx", first, page)

    async def page(after: str | None) -> Response:
        return await gw.read("/v1/access-log", caller, request,
                             {"cadre_id": str(cadre_id) if cadre_id else None, "subject": subject, "since": since,
                              "until": until, "after": after, "limit": limit})
    return await gw.audited(caller, request, action("access_log", media), str(cadre_id) if cadre_id else None, work)
