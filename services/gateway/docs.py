"""The public OpenAPI's error responses: every operation documents each problem it can answer, with
its schema and an example, so front-end teams can code against them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.problems import PROBLEM_JSON, TYPE_PREFIX


class FieldError(BaseModel):
    field: str = Field(examples=["points"])
    rule: str = Field(examples=["greater_than"])
    message: str


class ProblemDetails(BaseModel):
    """RFC 9457 problem details; ``type`` is stable, ``rule`` names the rule that refused the request."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=[TYPE_PREFIX + "validation-error"])
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    rule: str | None = None
    errors: list[FieldError] | None = None


def _example(status: int, slug: str, title: str, **extra: Any) -> dict[str, Any]:
    return {"type": TYPE_PREFIX + slug, "title": title, "status": status, "instance": "/api/v1/…", **extra}


ERRORS: dict[int, tuple[str, dict[str, Any]]] = {
    401: ("No valid bearer token", _example(401, "invalid-token", "The bearer token is not valid",
                                            detail="Signature has expired")),
    403: ("The caller's role may not do this", _example(403, "forbidden", "Your role may not do this",
                                                       rule="role_permission")),
    404: ("No such object, or not within the caller's reach", _example(404, "not-found", "No such resource",
                                                                       rule="object_visible")),
    409: ("The record's state does not allow it", _example(409, "report-submitted", "the report is not submitted",
                                                          rule="report_submitted")),
    412: ("If-Match names a stale version", _example(412, "version-mismatch", "The dossier changed since you read it",
                                                    current_version=7)),
    413: ("The body is too large", _example(413, "payload-too-large", "The request body is larger than 65536 bytes")),
    422: ("The request is not valid", _example(422, "validation-error", "The request is not valid",
                                              errors=[{"field": "points", "rule": "greater_than",
                                                       "message": "Input should be greater than 0"}])),
    429: ("Too many requests from this subject; see Retry-After",
          _example(429, "rate-limited", "Too many requests", detail="retry after 1 s")),
    503: ("A service behind the gateway is unavailable", _example(503, "upstream-unavailable",
                                                                  "The dossier service is unavailable")),
}

READ_ERRORS = (401, 403, 404, 422, 429, 503)
WRITE_ERRORS = (401, 403, 404, 409, 413, 422, 429, 503)
CONDITIONAL_ERRORS = (*WRITE_ERRORS, 412)


def responses(statuses: tuple[int, ...]) -> dict[int | str, dict[str, Any]]:
    return {status: {"description": ERRORS[status][0],
                     "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"},
                                                "example": ERRORS[status][1]}}}
            for status in statuses}


def add_problem_schemas(spec: dict[str, Any]) -> dict[str, Any]:
    """Put ProblemDetails (and FieldError) into the spec's components, where ``responses`` point."""
    schema = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(schema.pop("$defs", {}))
    schemas["ProblemDetails"] = schema
    return spec
