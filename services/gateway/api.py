"""The public API under /api/v1: authenticates, validates, and forwards to dossier and scoring.

The gateway holds no domain state. It authenticates the caller, rate-limits them per subject,
validates every request body against the shared command models (so a bad request never reaches a
service), authorizes the request object by object (policy.py, guard.py), passes the caller's
identity to the services as the actor, writes the access-log entry, and relays the services'
answers and problem+json errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

import aiohttp
import httpx
from fastapi import Depends, FastAPI, Header, Path, Query, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind, Status, StatusCode

from services.gateway.auth import InvalidToken, Principal, TokenVerifier
from services.gateway.body_limit import BodySizeLimit
from services.gateway.docs import (
    CONDITIONAL_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    add_problem_schemas,
    request_example,
    responses,
)
from services.gateway.guard import Guard, Reach
from services.gateway.policy import allowed
from services.gateway.rate_limit import RateLimiter
from services.gateway.settings import GatewaySettings
from shared import tracing
from shared.commands import OPERATIONS, UNIT_ID, Operation
from shared.http import ACTOR_HEADER, REQUEST_ID_HEADER, ROLE_HEADER, add_health_routes
from shared.problems import PROBLEM_JSON, Problem, install_problem_handlers
from shared.routing import typed_endpoint
from shared.rule_sets import RuleSet
from shared.telemetry import install_telemetry, request_id

PREFIX = "/api/v1"
MAX_PAGE = 500  # the largest page a list answers
WHAT_IF_EXAMPLE = {"id": "stricter", "version": 1, "effective_from": "2027-01-01", "window_years": 3,
                   "category_weights": {"honour": 1.5},
                   "screening": {"mass_satisfaction_min": 95, "years_in_post_min": 3,
                                 "execution_negative_categories": ["inaction"], "third_prize_bar_years": 1}}
TAGS = [
    {"name": "units", "description": "City -> county/district -> unit; a clerk's jurisdiction is a unit subtree"},
    {"name": "catalogue", "description": "Categories of the positive/negative lists and their point ranges"},
    {"name": "cadres", "description": "Registration and the dossier (实绩档案), readable as of any past moment"},
    {"name": "posts", "description": "Posts held: who is whose superior"},
    {"name": "basic record", "description": "What the cadre fills in; achievements their superior verifies"},
    {"name": "quarterly reports", "description": "Draft -> submitted -> endorsed (filed) | returned"},
    {"name": "entries", "description": "Positive/negative-list entries with their basis; amendments, appeals"},
    {"name": "assessments", "description": "Annual grades, appraisal levels, democratic evaluation, vetoes"},
    {"name": "declarations", "description": "Sensitive declarations, sealed at rest"},
    {"name": "scores", "description": "Rolling three-year points (近三年动态积分)"},
    {"name": "screening", "description": "Promotion screening with every rule's verdict and evidence"},
    {"name": "rankings", "description": "Rankings within a class, with the two ends (两头)"},
    {"name": "warnings", "description": "Warnings (预警) raised and cleared"},
    {"name": "rule sets", "description": "What a proposed rule set would change"},
    {"name": "operations", "description": "Jobs for the system administrator"},
    {"name": "imports", "description": "Bulk import of a spreadsheet or an old system's records, row by row"},
    {"name": "audit", "description": "The access log, for auditors and the audit administrator"},
]
IMPORT_EXAMPLE = ('{"row_key": "2026-q3-0001", "operation": "record_entry", "params": {"cadre_id": '
                  '"0b7f3c2e-6d1a-4f5e-9c3b-2a8d4e6f1a90"}, "body": {"kind": "positive", "category": "honour", '
                  '"title": "市级表彰", "points": 2, "effective_date": "2026-08-01", '
                  '"basis": {"reason": "市委通报表扬", "document": "组字〔2026〕8号"}}}\n')
IMPORT_TIMEOUT_S = 600.0  # a file of many thousand rows takes longer than one command
FORWARDED_RESPONSE_HEADERS = ("etag", "idempotent-replayed", "retry-after")
EXPOSED_HEADERS = ["ETag", "Idempotent-Replayed", "Retry-After", REQUEST_ID_HEADER]

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
    """One internal service, reached over HTTP (or in-process ASGI in the embedded wiring).

    Over the network the requests go through aiohttp; in process (``transport``, the embedded wiring)
    through httpx's ASGI transport. Either way the caller gets an ``httpx.Response``. Why two clients:
    every public request makes three internal calls, and under concurrency httpx spent 66 % of the
    gateway's CPU (measured with py-spy: its pool rescans every pooled connection per request); aiohttp
    does the same call for an eighth of the CPU (0.45 against 3.7 ms, client and server, measured side
    by side)."""

    def __init__(self, name: str, base_url: str, timeout_s: float, transport: httpx.AsyncBaseTransport | None,
                 tracer: trace.Tracer) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._timeout_s = timeout_s
        self._asgi = httpx.AsyncClient(base_url=base_url, timeout=timeout_s, transport=transport) if transport else None
        self._session: aiohttp.ClientSession | None = None  # made on first use: it belongs to the running loop
        self._tracer = tracer

    async def close(self) -> None:
        if self._asgi is not None:
            await self._asgi.aclose()
        if self._session is not None:
            await self._session.close()

    async def call(self, method: str, path: str, *, principal: Principal | None = None, request: Request | None = None,
                   json: Any = None, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                   content: bytes | None = None, timeout_s: float | None = None) -> httpx.Response:
        sent = dict(headers or {})
        if principal is not None:
            sent[ACTOR_HEADER] = principal.subject
            sent[ROLE_HEADER] = principal.role
        if request is not None and (rid := request_id(request)):
            sent[REQUEST_ID_HEADER] = rid
        if json is not None:
            content = json_body(json)
            sent["Content-Type"] = "application/json"
        # A CLIENT span per call; its context travels as the W3C traceparent header.
        with self._tracer.start_as_current_span(f"{self.name} {method}", kind=SpanKind.CLIENT,
                                                attributes={"http.request.method": method, "url.path": path,
                                                            "server.address": self.name}) as span:
            tracing.inject(sent)
            try:
                answer = await self._send(method, path, query_pairs(params or {}), sent, content,
                                          timeout_s if timeout_s is not None else self._timeout_s)
            except (httpx.HTTPError, aiohttp.ClientError, TimeoutError) as exc:
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                raise Problem(503, "upstream-unavailable", f"The {self.name} service is unavailable",
                              f"{type(exc).__name__} calling {self.name}") from exc
            span.set_attribute("http.response.status_code", answer.status_code)
            return answer

    async def _send(self, method: str, path: str, params: list[tuple[str, str]], headers: dict[str, str],
                    content: bytes | None, timeout_s: float) -> httpx.Response:
        if self._asgi is not None:
            return await self._asgi.request(method, path, params=params, headers=headers, content=content,
                                            timeout=timeout_s)
        if self._session is None:
            # no cookie jar: the session serves every caller, nothing may carry over from one to the next
            self._session = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        url = f"{self.base_url}{path}"
        async with self._session.request(method, url, params=params, headers=headers, data=content,
                                         timeout=aiohttp.ClientTimeout(total=timeout_s)) as r:
            body = await r.read()
            return httpx.Response(r.status, headers=list(r.headers.items()), content=body,
                                  request=httpx.Request(method, url))


def json_body(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def query_pairs(params: dict[str, Any]) -> list[tuple[str, str]]:
    """``params`` as query pairs, the way httpx writes them: a list is the name repeated, booleans are
    ``true``/``false``, None is left out."""
    pairs = []
    for name, value in params.items():
        for one in value if isinstance(value, list | tuple) else [value]:
            if one is not None:
                pairs.append((name, ("true" if one else "false") if isinstance(one, bool) else str(one)))
    return pairs


async def principal_of(request: Request,
                       credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Principal:
    if credentials is None:
        raise Problem(401, "unauthorized", "A bearer token is required", headers=BEARER_CHALLENGE)
    verifier: TokenVerifier = request.app.state.verifier
    try:
        # A JWKS URL may have to be fetched: keep that blocking call off the event loop.
        principal = (await asyncio.to_thread(verifier.verify, credentials.credentials) if verifier.blocking
                     else verifier.verify(credentials.credentials))
    except InvalidToken as exc:
        raise Problem(401, "invalid-token", "The bearer token is not valid", str(exc),
                      headers=BEARER_CHALLENGE) from exc
    limiter: RateLimiter = request.app.state.limiter
    if wait := limiter.take(principal.subject):
        raise Problem(429, "rate-limited", "Too many requests", f"retry after {RateLimiter.retry_after(wait)} s",
                      headers={"Retry-After": RateLimiter.retry_after(wait)})
    return principal


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
            await dossier.close()
            await scoring.close()
            await tracing.shutdown_closer(provider)()

    app = FastAPI(
        title="Shiji (实绩) public API",
        version="1",
        description="Performance dossiers of cadres: record achievements and positive/negative-list entries, "
                    "read the rolling three-year points. Every call needs a bearer token; every POST an "
                    "Idempotency-Key (answers are replayed for 24 hours). Errors are RFC 9457 problem+json. "
                    "What a caller may do depends on their role and jurisdiction; an object outside it "
                    "answers 404.",
        lifespan=lifespan,
    )
    app.state.verifier = verifier
    app.state.limiter = RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes,
                       per_path={f"{PREFIX}/imports": settings.import_max_body_bytes})
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                           allow_methods=["GET", "POST"], expose_headers=EXPOSED_HEADERS,
                           allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-Match",
                                          REQUEST_ID_HEADER])
    install_problem_handlers(app)
    install_telemetry(app, "gateway", tracer)
    guard = Guard(dossier)

    async def upstream_ready(upstream: Upstream) -> bool:
        return (await upstream.call("GET", "/readyz")).status_code == 200

    add_health_routes(app, {"dossier": lambda: upstream_ready(dossier), "scoring": lambda: upstream_ready(scoring)})

    async def audited(caller: Principal, request: Request, what: str, cadre_id: str | None,
                      work: Callable[[], Awaitable[Response]]) -> Response:
        """Run ``work`` and log the access with its outcome, refusals included; nothing is answered unlogged."""
        try:
            response = await work()
        except Problem as refused:
            await guard.log(caller, request, action=what, status=refused.status, cadre_id=cadre_id)
            raise
        await guard.log(caller, request, action=what, status=response.status_code, cadre_id=cadre_id)
        return response

    async def authorize_write(op: Operation, caller: Principal, request: Request, command: Any,
                              params: dict[str, Any]) -> str | None:
        """Object-level check of one write; returns the cadre it writes to, if any."""
        guard.require_role(caller, op.name)
        cadre_id = str(params["cadre_id"]) if "cadre_id" in params else None
        unit_ids = [u for u in (getattr(command, "unit_id", None), getattr(command, "parent_id", None),
                                params.get("unit_id")) if u is not None]
        reach = await guard.reach(caller, request, [cadre_id] if cadre_id else [], [str(u) for u in unit_ids])
        if cadre_id is not None:
            guard.enforce(caller, op.name, reach.cadres.get(cadre_id), "cadre")
            if op.name in ("assign_post", "transfer"):  # and the post's unit must be the clerk's too
                guard.enforce(caller, op.name, reach.unit(command.unit_id), "unit")
        elif op.name == "register_unit":
            guard.enforce(caller, op.name, reach.new_unit(command.unit_id, command.parent_id), "unit")
        elif op.name == "register_cadre":
            guard.enforce(caller, op.name, reach.unit(command.unit_id), "unit")
        elif "unit_id" in params:
            guard.enforce(caller, op.name, reach.unit(str(params["unit_id"])), "unit")
        else:
            guard.enforce(caller, op.name, reach.top_level_relations(), None)
        return cadre_id

    def register_write(op: Operation) -> None:
        async def endpoint(*, command, caller: Caller, request: Request, idempotency_key: IdempotencyKey,
                           if_match: IfMatch = None, **params: Any) -> Response:
            async def work() -> Response:
                await authorize_write(op, caller, request, command, params)
                headers = {"Idempotency-Key": idempotency_key}
                if if_match is not None and op.conditional:
                    headers["If-Match"] = if_match
                path = op.path.format(**{k: str(v.value if hasattr(v, "value") else v) for k, v in params.items()})
                answer = await dossier.call("POST", f"/v1{path}", principal=caller, request=request,
                                            json=command.model_dump(mode="json", exclude_unset=True), headers=headers)
                return relay_response(answer, request)

            cadre_id = str(params["cadre_id"]) if "cadre_id" in params else None
            return await audited(caller, request, op.name, cadre_id, work)

        if not op.conditional:
            # If-Match applies to writes on a cadre's dossier only; keep it out of the others' docs.
            async def unconditional(*, command, caller: Caller, request: Request,
                                    idempotency_key: IdempotencyKey, **params: Any) -> Response:
                return await endpoint(command=command, caller=caller, request=request,
                                      idempotency_key=idempotency_key, **params)
            chosen = unconditional
        else:
            chosen = endpoint
        app.post(f"{PREFIX}{op.path}", status_code=201, tags=[op.tag], summary=op.summary, name=op.name,
                 responses=responses(CONDITIONAL_ERRORS if op.conditional else WRITE_ERRORS),
                 openapi_extra=request_example(op.name))(
            typed_endpoint(chosen, body=op.body, path=op.path))

    for op in OPERATIONS:
        register_write(op)

    async def read(path: str, caller: Principal, request: Request, params: dict[str, Any] | None = None) -> Response:
        query = as_query(params or {})
        return relay_response(await dossier.call("GET", path, principal=caller, request=request, params=query), request)

    async def cadre_read(what: str, cadre_id: uuid.UUID, caller: Principal, request: Request,
                         fetch: Callable[[], Awaitable[Response]]) -> Response:
        """A read of one cadre's records: authorized on the cadre, logged."""
        async def work() -> Response:
            await guard.cadre(caller, request, "read_cadre", str(cadre_id))
            return await fetch()
        return await audited(caller, request, what, str(cadre_id), work)

    get_read = functools.partial(app.get, responses=responses(READ_ERRORS))

    @get_read(f"{PREFIX}/cadres/{{cadre_id}}", tags=["cadres"], summary="A cadre's registration and stream version")
    async def get_cadre(cadre_id: CadreId, caller: Caller, request: Request) -> Response:
        return await cadre_read("get_cadre", cadre_id, caller, request,
                                lambda: read(f"/v1/cadres/{cadre_id}", caller, request))

    @get_read(f"{PREFIX}/cadres/{{cadre_id}}/dossier", tags=["cadres"],
              summary="The whole dossier (实绩档案), optionally as it stood at a past moment")
    async def get_dossier(cadre_id: CadreId, caller: Caller, request: Request, known_at: KnownAt = None) -> Response:
        return await cadre_read("get_dossier", cadre_id, caller, request,
                                lambda: read(f"/v1/cadres/{cadre_id}/dossier", caller, request, {"known_at": known_at}))

    @get_read(f"{PREFIX}/cadres/{{cadre_id}}/appraisal-sheet", tags=["cadres"],
              summary="The annual performance appraisal sheet (工作实绩鉴定表)")
    async def get_appraisal_sheet(cadre_id: CadreId, caller: Caller, request: Request,
                                  year: Annotated[int, Query(ge=1949, le=2199)], known_at: KnownAt = None) -> Response:
        return await cadre_read("get_appraisal_sheet", cadre_id, caller, request,
                                lambda: read(f"/v1/cadres/{cadre_id}/appraisal-sheet", caller, request,
                                             {"year": year, "known_at": known_at}))

    @get_read(f"{PREFIX}/cadres/{{cadre_id}}/events", tags=["cadres"], summary="The cadre's event history, oldest first")
    async def cadre_events(cadre_id: CadreId, caller: Caller, request: Request, known_at: KnownAt = None) -> Response:
        return await cadre_read("cadre_events", cadre_id, caller, request,
                                lambda: read(f"/v1/cadres/{cadre_id}/events", caller, request, {"known_at": known_at}))

    @get_read(f"{PREFIX}/units", tags=["units"], summary="The units within the caller's jurisdiction")
    async def list_units(caller: Caller, request: Request) -> Response:
        guard.require_role(caller, "read_unit")
        reach = await guard.reach(caller, request, whole_jurisdiction=True)
        answer = await dossier.call("GET", "/v1/units", principal=caller, request=request)
        if answer.status_code != 200:
            return relay_response(answer, request)
        units = [u for u in answer.json()["units"] if u["unit_id"] in reach.units]
        return json_response({"units": units})

    @get_read(f"{PREFIX}/units/{{unit_id}}", tags=["units"], summary="A unit with its team grades")
    async def get_unit(unit_id: UnitId, caller: Caller, request: Request) -> Response:
        guard.require_role(caller, "read_unit")
        reach = await guard.reach(caller, request, unit_ids=[unit_id])
        guard.enforce(caller, "read_unit", reach.unit(unit_id), "unit")
        return await read(f"/v1/units/{unit_id}", caller, request)

    @get_read(f"{PREFIX}/categories", tags=["catalogue"], summary="The positive/negative-list catalogue")
    async def list_categories(caller: Caller, request: Request) -> Response:
        guard.require_role(caller, "read_catalogue")
        return await read("/v1/categories", caller, request)

    async def from_scoring(path: str, caller: Principal, request: Request, params: dict[str, Any],
                           method: str = "GET") -> Response:
        query = as_query(params)
        return relay_response(await scoring.call(method, path, principal=caller, request=request, params=query), request)

    @get_read(f"{PREFIX}/cadres/{{cadre_id}}/score", tags=["scores"],
              summary="Rolling three-year points as of a date (近三年动态积分), with yearly and quarterly breakdowns")
    async def cadre_score(cadre_id: CadreId, caller: Caller, request: Request, as_of: AsOf = None,
                          known_at: KnownAt = None) -> Response:
        return await cadre_read("cadre_score", cadre_id, caller, request,
                                lambda: from_scoring(f"/v1/cadres/{cadre_id}/score", caller, request,
                                                     {"as_of": as_of, "known_at": known_at}))

    @get_read(f"{PREFIX}/cadres/{{cadre_id}}/screening", tags=["screening"],
              summary="Promotion screening of one cadre: every rule pass/fail/unknown, with evidence and reasons")
    async def cadre_screening(cadre_id: CadreId, caller: Caller, request: Request, as_of: AsOf = None,
                              known_at: KnownAt = None) -> Response:
        return await cadre_read("cadre_screening", cadre_id, caller, request,
                                lambda: from_scoring(f"/v1/cadres/{cadre_id}/screening", caller, request,
                                                     {"as_of": as_of, "known_at": known_at}))

    async def jurisdiction_of(caller: Principal, request: Request, action: str, unit: str | None,
                              whole: bool = False) -> Reach:
        """The caller's reach (with ``whole``, every unit of their jurisdiction), once ``unit`` (default: the
        caller's own) is checked to lie in it."""
        guard.require_role(caller, action)
        reach = await guard.reach(caller, request, unit_ids=[unit or caller.unit or ""], whole_jurisdiction=whole)
        guard.enforce(caller, action, reach.unit(unit or caller.unit), "unit")
        return reach

    @get_read(f"{PREFIX}/screenings", tags=["screening"],
              summary="Screening of a unit (default: the caller's) and everything under it: who is eligible, and "
                      "why the others are not")
    async def screenings(caller: Caller, request: Request, unit: Annotated[UnitId | None, Query()] = None,
                         as_of: AsOf = None, known_at: KnownAt = None) -> Response:
        async def work() -> Response:
            await jurisdiction_of(caller, request, "read_jurisdiction", unit)
            return await from_scoring("/v1/screenings", caller, request,
                                      {"unit": unit or caller.unit, "as_of": as_of, "known_at": known_at})
        return await audited(caller, request, "screenings", None, work)

    @get_read(f"{PREFIX}/rankings", tags=["rankings"],
              summary="Ranking within a class (unit class x chief/deputy) or a deputies' team, with the two ends; "
                      "only the caller's jurisdiction is listed, with its ranks in the whole class")
    async def rankings(caller: Caller, request: Request,
                       unit_class: Annotated[str | None, Query(alias="class", max_length=100)] = None,
                       leadership: Annotated[str, Query(pattern="^(chief|deputy)$")] = "chief",
                       team: Annotated[UnitId | None, Query()] = None, as_of: AsOf = None,
                       known_at: KnownAt = None) -> Response:
        async def work() -> Response:
            reach = await jurisdiction_of(caller, request, "read_jurisdiction", team, whole=True)
            answer = await scoring.call("GET", "/v1/rankings", principal=caller, request=request, params=as_query(
                {"class": unit_class, "leadership": leadership, "team": team, "as_of": as_of, "known_at": known_at}))
            if answer.status_code != 200:
                return relay_response(answer, request)
            body = answer.json()
            body["ranking"] = [r for r in body["ranking"] if r["unit_id"] in reach.units]
            return json_response(body)
        return await audited(caller, request, "rankings", None, work)

    @get_read(f"{PREFIX}/warnings", tags=["warnings"],
              summary="Warnings (预警), active by default, of the cadres the caller may read")
    async def list_warnings(caller: Caller, request: Request, cadre_id: Annotated[CadreId | None, Query()] = None,
                            status: Annotated[str, Query(pattern="^(active|cleared|all)$")] = "active",
                            limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 200,
                            cursor: Annotated[str | None, Query(max_length=1000, pattern="^[A-Za-z0-9_=-]+$",
                                                                description="`next` of the previous page")] = None,
                            ) -> Response:
        async def work() -> Response:
            if cadre_id is not None:
                await guard.cadre(caller, request, "read_cadre", str(cadre_id))
            else:
                guard.require_role(caller, "read_cadre")
            answer = await scoring.call("GET", "/v1/warnings", principal=caller, request=request, params=as_query(
                {"cadre_id": str(cadre_id) if cadre_id else None, "status": status, "limit": limit, "cursor": cursor}))
            if answer.status_code != 200:
                return relay_response(answer, request)
            page = answer.json()
            rows = page["warnings"]
            reach = await guard.reach(caller, request, {r["cadre_id"] for r in rows})
            # Filtered after paging: a page may hold fewer than ``limit``; ``next`` still goes on from it.
            visible = [r for r in rows if allowed(caller.role, "read_cadre", reach.cadres.get(r["cadre_id"], ()))]
            return json_response({"warnings": visible, "next": page["next"]})
        return await audited(caller, request, "warnings", str(cadre_id) if cadre_id else None, work)

    @app.post(f"{PREFIX}/what-if", tags=["rule sets"], responses=responses(WRITE_ERRORS),
              openapi_extra={"requestBody": {"content": {"application/json": {"example": WHAT_IF_EXAMPLE}}}},
              summary="What a proposed rule set would change for a unit (default: the caller's): totals, screening "
                      "verdicts, ranking bands (read-only)")
    async def what_if(proposed: RuleSet, caller: Caller, request: Request, idempotency_key: IdempotencyKey,
                      unit: Annotated[UnitId | None, Query()] = None, as_of: AsOf = None) -> Response:
        async def work() -> Response:
            await jurisdiction_of(caller, request, "what_if", unit)
            answer = await scoring.call("POST", "/v1/what-if", principal=caller, request=request,
                                        params=as_query({"unit": unit or caller.unit, "as_of": as_of}),
                                        json=proposed.model_dump(mode="json"))
            return relay_response(answer, request)
        return await audited(caller, request, "what_if", None, work)

    @app.post(f"{PREFIX}/jobs/daily-refresh", tags=["operations"], responses=responses(WRITE_ERRORS),
              summary="Run the daily refresh of totals and warnings now (system administrator)")
    async def daily_refresh(caller: Caller, request: Request, idempotency_key: IdempotencyKey,
                            as_of: AsOf = None) -> Response:
        async def work() -> Response:
            guard.require_role(caller, "daily_refresh")
            return await from_scoring("/v1/jobs/daily-refresh", caller, request, {"as_of": as_of}, method="POST")
        return await audited(caller, request, "daily_refresh", None, work)

    @app.post(f"{PREFIX}/imports", tags=["imports"], responses=responses(WRITE_ERRORS),
              summary="Bulk import: an NDJSON or CSV file of commands",
              description="The body is the file (Content-Type application/x-ndjson or text/csv). Each row is "
                          "validated and decided like the single write it names and appended in batches; the "
                          "answer reports every refused row (row, field, rule). Each row's `row_key` (or its "
                          "content) is its idempotency key: sending the file again records nothing new. Clerks of "
                          "a top-level unit only (the rows may name any cadre of the city).",
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/x-ndjson": {"schema": {"type": "string"}, "example": IMPORT_EXAMPLE},
                  "text/csv": {"schema": {"type": "string"}}}}})
    async def bulk_import(caller: Caller, request: Request,
                          operation: Annotated[str | None, Query(pattern=r"^[a-z_]+$", max_length=50,
                                                                 description="for a CSV without an operation column")]
                          = None) -> Response:
        async def work() -> Response:
            guard.require_role(caller, "bulk_import")
            guard.enforce(caller, "bulk_import", (await guard.reach(caller, request)).top_level_relations(), None)
            headers = {"Content-Type": request.headers.get("content-type", "application/x-ndjson")}
            answer = await dossier.call("POST", "/v1/imports", principal=caller, request=request,
                                        params=as_query({"operation": operation}), content=await request.body(),
                                        headers=headers, timeout_s=IMPORT_TIMEOUT_S)
            return relay_response(answer, request)
        return await audited(caller, request, "bulk_import", None, work)

    @get_read(f"{PREFIX}/access-log", tags=["audit"],
              summary="The access log, oldest first: who read or wrote what, when, from where, with what outcome "
                      "(auditors: one cadre of their jurisdiction; the audit administrator: everything)")
    async def access_log(caller: Caller, request: Request,
                         cadre_id: Annotated[CadreId | None, Query()] = None,
                         subject: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
                         since: KnownAt = None, until: KnownAt = None,
                         cursor: Annotated[str | None, Query(pattern="^[0-9]{1,18}$",
                                                             description="`next` of the previous page")] = None,
                         limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100) -> Response:
        async def work() -> Response:
            guard.require_role(caller, "read_access_log")
            if caller.role != "audit_admin":
                if cadre_id is None:
                    raise Problem(422, "validation-error", "The request is not valid", "an auditor reads one cadre's "
                                  "entries: give cadre_id", errors=[{"field": "cadre_id", "rule": "required_for_role",
                                                                     "message": "give cadre_id"}])
                await guard.cadre(caller, request, "read_access_log", str(cadre_id))
            return await read("/v1/access-log", caller, request,
                              {"cadre_id": str(cadre_id) if cadre_id else None, "subject": subject, "since": since,
                               "until": until, "after": cursor, "limit": limit})
        return await audited(caller, request, "access_log", str(cadre_id) if cadre_id else None, work)

    def public_openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            # The public API only: /healthz, /readyz and /metrics are for operators, not front ends.
            public = [r for r in app.routes if getattr(r, "path", "").startswith(PREFIX)]
            spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=public,
                               tags=TAGS)
            app.openapi_schema = add_problem_schemas(spec)
        return app.openapi_schema

    app.openapi = public_openapi  # type: ignore[method-assign]
    return app


def json_response(body: Any) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")
