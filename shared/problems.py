"""RFC 9457 problem+json for every service: one shape for every error, with a stable ``type``.

Validation errors list each failing field with the rule it broke, e.g.
``{"field": "points", "rule": "greater_than", "message": "..."}``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:shiji:problem:"


class Problem(Exception):
    """An error the client can act on; raised anywhere in an entrypoint, rendered as problem+json."""

    def __init__(self, status: int, slug: str, title: str, detail: str | None = None, *,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail or title)
        self.headers = headers
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.extra = extra

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": TYPE_PREFIX + self.slug, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


def problem_response(problem: Problem, request: Request | None = None) -> JSONResponse:
    instance = request.url.path if request is not None else None
    return JSONResponse(problem.body(instance), status_code=problem.status, media_type=PROBLEM_JSON,
                        headers=problem.headers)


def field_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """pydantic errors -> [{field, rule, message}], the field as a dotted path without 'body'."""
    out = []
    for err in errors:
        if err.get("type") == "json_invalid":  # FastAPI's loc is ("body", <character offset>): the field is the body
            offset = err.get("loc", ())[1:2]
            reason = (err.get("ctx") or {}).get("error", "not JSON")
            at = f" at character {offset[0]}" if offset else ""
            out.append({"field": "body", "rule": "json_invalid", "message": f"the body is not JSON: {reason}{at}"})
            continue
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        field = ".".join(loc) or ("body" if err.get("loc", ("body",))[0] == "body" else "request")
        out.append({"field": field, "rule": err.get("type", "invalid"), "message": err.get("msg", "invalid")})
    return out


def validation_problem(errors: list[dict[str, Any]]) -> Problem:
    fields = field_errors(errors)
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in fields)
    return Problem(422, "validation-error", "The request is not valid", detail, errors=fields)


STATUS_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    428: "precondition-required",
    503: "unavailable",
}


# Which exceptions mean "a dependency is down, retry shortly" rather than "a bug": the exception
# types to look at, and the test that decides.
Unavailability = tuple[tuple[type[BaseException], ...], Callable[[BaseException], bool]]

UNAVAILABLE = Problem(503, "unavailable", "A server this request needs is unavailable; retry shortly",
                      headers={"Retry-After": "1"})


def install_problem_handlers(app: FastAPI, *, unavailable: Unavailability | None = None) -> None:
    """Render every error as problem+json: ours, FastAPI's validation errors, Starlette's HTTP errors;
    with ``unavailable``, a dependency that is down as 503 with Retry-After instead of a 500."""

    if unavailable is not None:
        types, is_unavailable = unavailable

        async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
            if not is_unavailable(exc):
                raise exc  # a real error: on to the 500 handler below
            log.warning("%s %s: 503, a dependency is unavailable: %s: %s", request.method, request.url.path,
                        type(exc).__name__, exc)
            return problem_response(UNAVAILABLE, request)

        for exc_type in types:
            app.add_exception_handler(exc_type, _unavailable)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(validation_problem(list(exc.errors())), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = STATUS_SLUGS.get(exc.status_code, "http-error")
        title = exc.detail if isinstance(exc.detail, str) else slug.replace("-", " ")
        return problem_response(Problem(exc.status_code, slug, title, headers=getattr(exc, "headers", None)), request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(Problem(500, "internal-error", "Internal error"), request)
