"""Content negotiation: a read answers JSON unless ``Accept`` names PDF or XLSX, which it then renders from the
same JSON answer (same filtering, same jurisdiction). The JSON path is untouched; rendering runs in a worker
thread so the event loop keeps serving.

A list's workbook holds the whole list: a paged list is followed page by page, each page's rows written to disk
as it arrives (constant memory) and the file streamed out. The access log names a download by its action with
the format appended (``warnings.xlsx``, ``get_appraisal_sheet.pdf``)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
from fastapi import Request, Response
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from shared.documents.xlsx import XLSX, SheetWriter, Table

JSON = "application/json"
PDF = "application/pdf"
SUFFIX = {JSON: "", PDF: ".pdf", XLSX: ".xlsx"}
BINARY = {"schema": {"type": "string", "format": "binary"}}


def wanted(request: Request, *offered: str) -> str:
    """The media type to answer: one of ``offered`` the Accept header names (q above 0), else JSON."""
    named = set()
    for part in request.headers.get("accept", "").split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if not any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params):
            named.add(media.lower())
    return next((m for m in offered if m in named), JSON)


def action(what: str, media: str) -> str:
    return what + SUFFIX[media]


def also(*media: str, description: str | None = None) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI of a 200 that can also be ``media`` (besides the JSON of the response model)."""
    extra: dict[str, Any] = {"content": {m: BINARY for m in media}}
    if description:
        extra["description"] = description
    return {200: extra}


NEGOTIATED = ("Send `Accept: {media}` for {what}; the default and `*/*` answer JSON.")


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
            await anyio.to_thread.run_sync(writer.write, list(table.rows(answer)))
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
