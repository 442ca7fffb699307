"""The public API under /api/v1: authenticates, validates, and forwards to dossier and scoring.

The gateway holds no domain state. It validates every request body against the shared command
models before forwarding (so a bad request never reaches a service), passes the caller's
identity to the services as the actor, and relays their answers and problem+json errors.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Header, Path, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind, Status, StatusCode

from services.gateway.auth import InvalidToken, Principal, TokenVerifier
from services.gateway.body_limit import BodySizeLimit
from services.gateway.settings import GatewaySettings
from shared import tracing
from shared.commands import OPERATIONS, UNIT_ID, Operation
from shared.http import ACTOR_HEADER, REQUEST_ID_HEADER, ROLE_HEADER, add_health_routes
from shared.problems import PROBLEM_JSON, Problem, install_problem_handlers
from shared.routing import typed_endpoint
from shared.rule_sets import RuleSet
from shared.telemetry import install_telemetry, request_id

PREFIX = "/api/v1"
IMPORT_ROLES = frozenset({"clerk"})  # 组织人事部门: who keeps the lists keeps their imports
IMPORT_TIMEOUT_S = 600.0  # a file of many thousand rows takes longer than one command
FORWARDED_RESPONSE_HEADERS = ("etag", "idempotent-replayed", "retry-after")

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="shiji"'}
bearer = HTTPBearer(auto_error=False, description="a JWT from the identity provider (embedded: `shiji token`)")

IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=200,
                                       description="a fresh key per intended write; a retry with the same key "
                                                   "returns the first answer and records nothing new")]
IfMatch = Annotated[str | None, Header(alias="If-Match", description="the ETag you read: write only if unchanged")]
CadreId = uuid.UUID
UnitId = Annotated[str, Path(pattern=UNIT_ID, max_length=100)]
AsOf = Annotated[dt.date | None, Query(description="effective date (YYYY-MM-DD); default today")]
KnownAt = Annotated[dt.datetime | None, Query(description="a recorded time with its UTC offset: the record as it stood then")]


class Upstream:
    """One internal service, reached over HTTP (or in-process ASGI in the embedded wiring)."""

    def __init__(self, name: str, base_url: str, timeout_s: float, transport: httpx.AsyncBaseTransport | None,
                 tracer: trace.Tracer) -> None:
        self.name = name
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout_s, transport=transport)
        self._tracer = tracer

    async def call(self, method: str, path: str, *, principal: Principal | None = None, request: Request | None = None,
                   json: Any = None, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                   content: bytes | None = None, timeout_s: float | None = None) -> httpx.Response:
        sent = dict(headers or {})
        if principal is not None:
            sent[ACTOR_HEADER] = principal.subject
            sent[ROLE_HEADER] = principal.role
        if request is not None and (rid := request_id(request)):
            sent[REQUEST_ID_HEADER] = rid
        # A CLIENT span per call; its context travels as the W3C traceparent header.
        with self._tracer.start_as_current_span(f"{self.name} {method}", kind=SpanKind.CLIENT,
                                                attributes={"http.request.method": method, "url.path": path,
                                                            "server.address": self.name}) as span:
            tracing.inject(sent)
            try:
                answer = await self.client.request(method, path, json=json, params=params, headers=sent, content=content,
                                                   timeout=timeout_s if timeout_s is not None else httpx.USE_CLIENT_DEFAULT)
            except httpx.HTTPError as exc:
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                raise Problem(503, "upstream-unavailable", f"The {self.name} service is unavailable",
                              f"{type(exc).__name__} calling {self.name}") from exc
            span.set_attribute("http.response.status_code", answer.status_code)
            return answer


async def principal_of(request: Request,
                       credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Principal:
    if credentials is None:
        raise Problem(401, "unauthorized", "A bearer token is required", headers=BEARER_CHALLENGE)
    verifier: TokenVerifier = request.app.state.verifier
    try:
        return verifier.verify(credentials.credentials)
    except InvalidToken as exc:
        raise Problem(401, "invalid-token", "The bearer token is not valid", str(exc),
                      headers=BEARER_CHALLENGE) from exc


Caller = Annotated[Principal, Depends(principal_of)]


def as_query(params: dict[str, Any]) -> dict[str, Any]:
    """Query parameters for a service: dates and times in ISO 8601, absent ones left out."""
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in params.items() if v is not None}


def relay_response(upstream: httpx.Response, request: Request) -> Response:
    """The service's answer as the gateway's: same status, body and the headers clients rely on.
    A problem's ``instance`` names the public path the client called, not the internal one."""
    headers = {h: upstream.headers[h] for h in FORWARDED_RESPONSE_HEADERS if h in upstream.headers}
    if upstream.headers.get("content-type", "").startswith(PROBLEM_JSON):
        problem = {**upstream.json(), "instance": request.url.path}
        return Response(json.dumps(problem, ensure_ascii=False), status_code=upstream.status_code, headers=headers,
                        media_type=PROBLEM_JSON)
    return Response(upstream.content, status_code=upstream.status_code, headers=headers, media_type="application/json")


def create_app(settings: GatewaySettings, *, verifier: TokenVerifier,
               dossier_transport: httpx.AsyncBaseTransport | None = None,
               scoring_transport: httpx.AsyncBaseTransport | None = None,
               tracer_provider: TracerProvider | None = None) -> FastAPI:
    provider = tracer_provider or tracing.tracer_provider_from_env("gateway")
    tracer = tracing.tracer_of(provider)
    dossier = Upstream("dossier", settings.dossier_url, settings.upstream_timeout_s, dossier_transport, tracer)
    scoring = Upstream("scoring", settings.scoring_url, settings.upstream_timeout_s, scoring_transport, tracer)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await dossier.client.aclose()
            await scoring.client.aclose()
            await tracing.shutdown_closer(provider)()

    app = FastAPI(
        title="Shiji (实绩) public API",
        version="1",
        description="Performance dossiers of cadres: record achievements and positive/negative-list entries, "
                    "read the rolling three-year points. Every call needs a bearer token; every POST an "
                    "Idempotency-Key. Errors are RFC 9457 problem+json.",
        lifespan=lifespan,
    )
    app.state.verifier = verifier
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    install_problem_handlers(app)
    install_telemetry(app, "gateway", tracer)

    async def upstream_ready(upstream: Upstream) -> bool:
        return (await upstream.call("GET", "/readyz")).status_code == 200

    add_health_routes(app, {"dossier": lambda: upstream_ready(dossier), "scoring": lambda: upstream_ready(scoring)})

    def register_write(op: Operation) -> None:
        async def endpoint(*, command, caller: Caller, request: Request, idempotency_key: IdempotencyKey,
                           if_match: IfMatch = None, **params: Any) -> Response:
            headers = {"Idempotency-Key": idempotency_key}
            if if_match is not None and op.conditional:
                headers["If-Match"] = if_match
            path = op.path.format(**{k: str(v.value if hasattr(v, "value") else v) for k, v in params.items()})
            answer = await dossier.call("POST", f"/v1{path}", principal=caller, request=request,
                                        json=command.model_dump(mode="json", exclude_unset=True), headers=headers)
            return relay_response(answer, request)

        if not op.conditional:
            # If-Match applies to writes on a cadre's dossier only; keep it out of the others' docs.
            async def unconditional(*, command, caller: Caller, request: Request,
                                    idempotency_key: IdempotencyKey, **params: Any) -> Response:
                return await endpoint(command=command, caller=caller, request=request,
                                      idempotency_key=idempotency_key, **params)
            chosen = unconditional
        else:
            chosen = endpoint
        app.post(f"{PREFIX}{op.path}", status_code=201, tags=[op.tag], summary=op.summary, name=op.name)(
            typed_endpoint(chosen, body=op.body, path=op.path))

    for op in OPERATIONS:
        register_write(op)

    async def read(path: str, caller: Principal, request: Request, params: dict[str, Any] | None = None) -> Response:
        query = as_query(params or {})
        return relay_response(await dossier.call("GET", path, principal=caller, request=request, params=query), request)

    @app.get(f"{PREFIX}/cadres/{{cadre_id}}", tags=["cadres"], summary="A cadre's registration and stream version")
    async def get_cadre(cadre_id: CadreId, caller: Caller, request: Request) -> Response:
        return await read(f"/v1/cadres/{cadre_id}", caller, request)

    @app.get(f"{PREFIX}/cadres/{{cadre_id}}/dossier", tags=["cadres"],
             summary="The whole dossier (实绩档案), optionally as it stood at a past moment")
    async def get_dossier(cadre_id: CadreId, caller: Caller, request: Request, known_at: KnownAt = None) -> Response:
        return await read(f"/v1/cadres/{cadre_id}/dossier", caller, request, {"known_at": known_at})

    @app.get(f"{PREFIX}/cadres/{{cadre_id}}/appraisal-sheet", tags=["cadres"],
             summary="The annual performance appraisal sheet (工作实绩鉴定表)")
    async def get_appraisal_sheet(cadre_id: CadreId, caller: Caller, request: Request,
                                  year: Annotated[int, Query(ge=1949, le=2199)], known_at: KnownAt = None) -> Response:
        return await read(f"/v1/cadres/{cadre_id}/appraisal-sheet", caller, request, {"year": year, "known_at": known_at})

    @app.get(f"{PREFIX}/units", tags=["units"], summary="Every registered unit")
    async def list_units(caller: Caller, request: Request) -> Response:
        return await read("/v1/units", caller, request)

    @app.get(f"{PREFIX}/units/{{unit_id}}", tags=["units"], summary="A unit with its team grades")
    async def get_unit(unit_id: UnitId, caller: Caller, request: Request) -> Response:
        return await read(f"/v1/units/{unit_id}", caller, request)

    @app.get(f"{PREFIX}/categories", tags=["catalogue"], summary="The positive/negative-list catalogue")
    async def list_categories(caller: Caller, request: Request) -> Response:
        return await read("/v1/categories", caller, request)

    @app.get(f"{PREFIX}/cadres/{{cadre_id}}/events", tags=["cadres"], summary="The cadre's event history, oldest first")
    async def cadre_events(cadre_id: CadreId, caller: Caller, request: Request, known_at: KnownAt = None) -> Response:
        return await read(f"/v1/cadres/{cadre_id}/events", caller, request, {"known_at": known_at})

    async def from_scoring(path: str, caller: Principal, request: Request, params: dict[str, Any],
                           method: str = "GET") -> Response:
        query = as_query(params)
        return relay_response(await scoring.call(method, path, principal=caller, request=request, params=query), request)

    async def about_cadre(cadre_id: uuid.UUID, what: str, caller: Principal, request: Request,
                          params: dict[str, Any]) -> Response:
        """Scoring's answer about a cadre the dossier knows (scoring alone cannot tell unknown from not yet seen)."""
        exists = await dossier.call("GET", f"/v1/cadres/{cadre_id}", principal=caller, request=request)
        if exists.status_code != 200:
            return relay_response(exists, request)
        return await from_scoring(f"/v1/cadres/{cadre_id}/{what}", caller, request, params)

    @app.get(f"{PREFIX}/cadres/{{cadre_id}}/score", tags=["scores"],
             summary="Rolling three-year points as of a date (近三年动态积分), with yearly and quarterly breakdowns")
    async def cadre_score(cadre_id: CadreId, caller: Caller, request: Request, as_of: AsOf = None,
                          known_at: KnownAt = None) -> Response:
        return await about_cadre(cadre_id, "score", caller, request, {"as_of": as_of, "known_at": known_at})

    @app.get(f"{PREFIX}/cadres/{{cadre_id}}/screening", tags=["screening"],
             summary="Promotion screening of one cadre: every rule pass/fail/unknown, with evidence and reasons")
    async def cadre_screening(cadre_id: CadreId, caller: Caller, request: Request, as_of: AsOf = None,
                              known_at: KnownAt = None) -> Response:
        return await about_cadre(cadre_id, "screening", caller, request, {"as_of": as_of, "known_at": known_at})

    @app.get(f"{PREFIX}/screenings", tags=["screening"],
             summary="Screening of a unit and everything under it: who is eligible, and why the others are not")
    async def screenings(caller: Caller, request: Request, unit: Annotated[UnitId | None, Query()] = None,
                         as_of: AsOf = None, known_at: KnownAt = None) -> Response:
        return await from_scoring("/v1/screenings", caller, request, {"unit": unit, "as_of": as_of, "known_at": known_at})

    @app.get(f"{PREFIX}/rankings", tags=["rankings"],
             summary="Ranking within a class (unit class x chief/deputy) or a deputies' team, with the two ends")
    async def rankings(caller: Caller, request: Request,
                       unit_class: Annotated[str | None, Query(alias="class", max_length=100)] = None,
                       leadership: Annotated[str, Query(pattern="^(chief|deputy)$")] = "chief",
                       team: Annotated[UnitId | None, Query()] = None, as_of: AsOf = None,
                       known_at: KnownAt = None) -> Response:
        return await from_scoring("/v1/rankings", caller, request, {"class": unit_class, "leadership": leadership,
                                                                    "team": team, "as_of": as_of, "known_at": known_at})

    @app.get(f"{PREFIX}/warnings", tags=["warnings"], summary="Warnings (预警), active by default")
    async def list_warnings(caller: Caller, request: Request, cadre_id: Annotated[CadreId | None, Query()] = None,
                            status: Annotated[str, Query(pattern="^(active|cleared|all)$")] = "active",
                            limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> Response:
        return await from_scoring("/v1/warnings", caller, request,
                                  {"cadre_id": str(cadre_id) if cadre_id else None, "status": status, "limit": limit})

    @app.post(f"{PREFIX}/what-if", tags=["rule sets"],
              summary="What a proposed rule set would change: totals, screening verdicts, ranking bands (read-only)")
    async def what_if(proposed: RuleSet, caller: Caller, request: Request, idempotency_key: IdempotencyKey,
                      unit: Annotated[UnitId | None, Query()] = None, as_of: AsOf = None) -> Response:
        query = as_query({"unit": unit, "as_of": as_of})
        answer = await scoring.call("POST", "/v1/what-if", principal=caller, request=request, params=query,
                                    json=proposed.model_dump(mode="json"))
        return relay_response(answer, request)

    @app.post(f"{PREFIX}/jobs/daily-refresh", tags=["operations"],
              summary="Run the daily refresh of totals and warnings now")
    async def daily_refresh(caller: Caller, request: Request, idempotency_key: IdempotencyKey,
                            as_of: AsOf = None) -> Response:
        return await from_scoring("/v1/jobs/daily-refresh", caller, request, {"as_of": as_of}, method="POST")

    @app.post(f"{PREFIX}/imports", tags=["imports"], summary="Bulk import: an NDJSON or CSV file of commands",
              description="The body is the file (Content-Type application/x-ndjson or text/csv). Each row is "
                          "validated and decided like the single write it names and appended in batches; the "
                          "answer reports every refused row (row, field, rule). Each row's `row_key` (or its "
                          "content) is its idempotency key: sending the file again records nothing new. Clerks only.",
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/x-ndjson": {"schema": {"type": "string"}},
                  "text/csv": {"schema": {"type": "string"}}}}})
    async def bulk_import(caller: Caller, request: Request,
                          operation: Annotated[str | None, Query(pattern=r"^[a-z_]+$", max_length=50,
                                                                 description="for a CSV without an operation column")]
                          = None) -> Response:
        if caller.role not in IMPORT_ROLES:
            raise Problem(403, "role-not-allowed", "Only a clerk may import files",
                          f"role {caller.role} may not import", rule="import_by_clerk")
        headers = {"Content-Type": request.headers.get("content-type", "application/x-ndjson")}
        answer = await dossier.call("POST", "/v1/imports", principal=caller, request=request, params=as_query(
            {"operation": operation}), content=await request.body(), headers=headers, timeout_s=IMPORT_TIMEOUT_S)
        return relay_response(answer, request)

    return app
