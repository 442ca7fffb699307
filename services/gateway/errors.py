"""The gateway's own refinements of the shared problem+json handlers.

- A 405 names in ``Allow`` every method its path allows: Starlette answers with the methods of the first
  route whose path matches, so ``PUT /units`` said ``Allow: POST`` though ``GET /units`` exists too.
- A body that is not UTF-8 is a 400 that says so (FastAPI's own says only "There was an error parsing the
  body"), as ``utf8_body`` says it of a bulk import's file.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

from shared.problems import Problem, problem_response

NOT_UTF8 = "The body is not UTF-8 text"


def not_utf8(exc: UnicodeDecodeError) -> Problem:
    return Problem(400, "bad-request", NOT_UTF8, f"{exc.reason} at byte {exc.start}: save the file as UTF-8")


def allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route of ``request``'s path answers, sorted."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def install_gateway_errors(app: FastAPI) -> None:
    """After ``shared.problems.install_problem_handlers``: wraps its handler of HTTP errors."""
    render = app.exception_handlers[HTTPException]

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(allowed_methods(app, request))}
        elif exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
            return problem_response(not_utf8(exc.__cause__), request)
        return await render(request, exc)

    app.add_exception_handler(HTTPException, http_error)
