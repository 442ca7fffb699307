"""Printed forms and templates: the annual assessment's registration form (年度考核登记表), the check of a hash
read off a printed page, and the bulk import's workbook template per operation."""

from __future__ import annotations

import functools
from typing import Annotated

import anyio
from fastapi import Query, Request, Response

from services.gateway import printing
from services.gateway.deps import CadreId, Caller, GatewayDep
from services.gateway.docs import READ_ERRORS, REQUEST_EXAMPLES, responses
from services.gateway.negotiation import PDF, XLSX, action, answering, negotiated_router, wanted
from services.gateway.params import KnownAt
from services.gateway.upstream import json_response
from shared.answers import AssessmentForm, ImportTemplate, PrintedHash
from shared.commands import OPERATIONS
from shared.documents import imports
from shared.imports import importable
from shared.problems import Problem

router = negotiated_router()
IMPORTABLE = {op.name: op for op in OPERATIONS if importable(op.name)}
HASH_PATTERN = r"^[a-z0-9]{1,20}:[0-9a-fA-F]{16,128}$"


@router.get("/cadres/{cadre_id}/assessment-form", tags=["assessments"], response_model=AssessmentForm,
            responses=answering(responses(READ_ERRORS), PDF),
            summary="The annual assessment's registration form (年度考核登记表); `Accept: application/pdf` prints it")
async def assessment_form(cadre_id: CadreId, caller: Caller, request: Request, gw: GatewayDep,
                          year: Annotated[int, Query(ge=1949, le=2199)], known_at: KnownAt = None,
                          scheme: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.-]+$", max_length=100, description=(
                              "a cadre assessment scheme (综合考评方案): the form adds the cadre's composite under it "
                              "with its components (民主测评, 平时考核 …); for those who read the assessment's "
                              "results"))] = None) -> Response:
    media = wanted(request, PDF)
    return await gw.cadre_read(action("assessment_form", media), cadre_id, caller, request, functools.partial(
        printing.assessment_form_answer, gw, str(cadre_id), year, known_at, caller, request, media == PDF, scheme))


@router.get("/cadres/{cadre_id}/printed-hash", tags=["cadres"], response_model=PrintedHash,
            responses=responses(READ_ERRORS),
            summary="Whether a chain hash printed in a form's footer is one of this cadre's record versions")
async def printed_hash(cadre_id: CadreId, caller: Caller, request: Request, gw: GatewayDep,
                       hash: Annotated[str, Query(pattern=HASH_PATTERN, max_length=150,
                                                  description="as printed, e.g. sm3:a3b1…")]) -> Response:
    return await gw.cadre_read("printed_hash", cadre_id, caller, request, functools.partial(
        printing.printed_hash, gw, str(cadre_id), hash, caller, request))


@router.get("/imports/template", tags=["imports"], response_model=ImportTemplate,
            responses=answering(responses(READ_ERRORS), XLSX, description=(
                "The columns; as a workbook (by Accept): the header row, an example row, a drop-down list on each "
                "column with a closed set of values")),
            summary="The bulk import's template for one operation: its columns, or an empty workbook to fill in")
async def import_template(caller: Caller, request: Request, gw: GatewayDep,
                          operation: Annotated[str, Query(pattern=r"^[a-z_]+$", max_length=50,
                                                          examples=["record_entry"])]) -> Response:
    media = wanted(request, XLSX)

    async def work() -> Response:
        gw.guard.require_role(caller, "bulk_import")
        if (op := IMPORTABLE.get(operation)) is None:
            raise Problem(422, "validation-error", "The request is not valid", f"{operation} cannot be imported",
                          errors=[{"field": "operation", "rule": "importable_operation",
                                   "message": "one of " + ", ".join(sorted(IMPORTABLE))}])
        columns = imports.template_columns(op, REQUEST_EXAMPLES.get(op.name, {}))
        if media != XLSX:
            return json_response({"operation": op.name, "columns": [c.as_dict() for c in columns]})
        content = await anyio.to_thread.run_sync(imports.template_workbook, columns)
        return Response(content, media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="import-{op.name}.xlsx"'})
    return await gw.audited(caller, request, action("import_template", media), None, work)
