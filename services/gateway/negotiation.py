"""Content negotiation: a read answers JSON unless ``Accept`` prefers PDF or XLSX, which it then renders from the
same JSON answer (same filtering, same jurisdiction). The JSON path is untouched; rendering runs in a worker
thread so the event loop keeps serving.

Each read answers the media types its OpenAPI states for its 200 (JSON, and what ``answering`` adds); an
``Accept`` that allows none of them is refused with 406 problem+json before anything is read (``acceptable``, a
dependency of every operation). No ``Accept``, ``*/*`` and ties answer JSON. Errors are problem+json whatever
``Accept`` says (RFC 9110 lets an error ignore it). The header is read by python-mimeparse (q-values, wildcards,
the most specific range).

A list's workbook holds the whole list: a paged list is followed page by page, each page's rows written to disk
as it arrives (constant memory) and the file streamed out. The access log names a download by its action with
the format appended (``warnings.xlsx``, ``get_appraisal_sheet.pdf``)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import anyio
import mimeparse
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from services.gateway.auth import Principal
from services.gateway.deps import PREFIX, principal_of
from shared.documents.xlsx import XLSX, SheetWriter, Table
from shared.problems import Problem

JSON = "application/json"
PDF = "application/pdf"
SUFFIX = {JSON: "", PDF: ".pdf", XLSX: ".xlsx"}
BINARY = {"schema": {"type": "string", "format": "binary"}}


def choose(accept: str | None, offered: list[str]) -> str | None:
    """The media type of ``offered`` (JSON first) that ``accept`` prefers; None when it allows none of them.
    Ranges that cannot be read are left out; a header of nothing readable allows nothing."""
    if accept is None or not accept.strip():
        return JSON if JSON in offered else offered[0]
    ranges = []
    for part in accept.split(","):
        try:
            mimeparse.parse_media_range(part)
        except ValueError:
            continue
        ranges.append(part)
    # best_match gives a tie to the last it is offered: JSON, the default, goes last.
    ordered = [m for m in reversed(offered) if m != JSON] + ([JSON] if JSON in offered else [])
    return (mimeparse.best_match(ordered, ",".join(ranges)) or None) if ranges else None


def offered_by(request: Request) -> list[str]:
    """What the matched operation answers with a 200: JSON and the media types its OpenAPI adds."""
    route = request.scope.get("route")
    extra = (getattr(route, "responses", None) or {}).get(200, {}).get("content", {})
    return [JSON, *(m for m in extra if m != JSON)]


async def acceptable(request: Request, caller: Annotated[Principal, Depends(principal_of)]) -> None:
    """A dependency of every operation: a read whose ``Accept`` allows none of its media types is refused (406),
    once the caller is known (an unauthenticated call learns nothing of the operation: 401 first).
    ``async`` though it awaits nothing: FastAPI runs a plain function in a worker thread, and that hop
    was a tenth of the gateway's CPU per request (bench/RESULTS.md, issue 22)."""
    if request.method != "GET":
        return
    offered = offered_by(request)
    if choose(request.headers.get("accept"), offered) is None:
        raise Problem(406, "not-acceptable", "Not Acceptable",
                      f"this read answers {', '.join(offered)}; Accept allows none of them",
                      rule="acceptable_media_type", offered=offered)


def negotiated_router() -> APIRouter:
    """The router of a group of operations under /api/v1, each of them checking ``Accept`` (``acceptable``)."""
    return APIRouter(prefix=PREFIX, dependencies=[Depends(acceptable)])


def wanted(request: Request, *offered: str) -> str:
    """The media type to answer: of JSON and ``offered``, the one the Accept header prefers."""
    return choose(request.headers.get("accept"), [JSON, *offered]) or JSON


def action(what: str, media: str) -> str:
    return what + SUFFIX[media]


def answering(documented: dict[int | str, dict[str, Any]], *media: str,
              description: str | None = None) -> dict[int | str, dict[str, Any]]:
    """``documented`` (an operation's responses) with its 200 also answering ``media`` (besides the JSON of the
    response model); what the 200 already says (headers) is kept."""
    ok = dict(documented.get(200, {}))
    ok["content"] = {**ok.get("content", {}), **{m: BINARY for m in media}}
    if description:
        ok["description"] = description
    return {**documented, 200: ok}


async def xlsx_answer(table: Table, filename: str, first: Response,
                      next_page: Callable[[str], Awaitable[Response]] | None = None) -> Response:
    """The workbook of ``first`` (a JSON answer) and, with ``next_page``, of every page after it; an answer that
    is not a 200 is passed on as it is."""
    if first.status_code != 200:
        return first
    writer = await anyio.to_thread.run_sync(SheetWriter, table)
    try:
        answer = json.loads(first.body)
        while True:
            await anyio.to_thread.run_sync(writer.write, table.rows(answer))  # rows made as written
            if next_page is None or not answer.get("next"):
                break
            page = await next_page(answer["next"])
            if page.status_code != 200:
                await anyio.to_thread.run_sync(writer.discard)
                return page
            answer = json.loads(page.body)
        path = await anyio.to_thread.run_sync(writer.close)
    except BaseException:
        await anyio.to_thread.run_sync(writer.discard)
        raise
    return FileResponse(path, media_type=XLSX, filename=filename, background=BackgroundTask(_remove, path))


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def pdf_response(content: bytes, filename: str) -> Response:
    return Response(content, media_type=PDF, headers={"Content-Disposition": f'inline; filename="{filename}"'})
