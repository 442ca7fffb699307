"""The public API under /api/v1: authenticates, validates, and forwards to dossier and scoring.

The gateway holds no domain state. It validates every request body against the shared command
models before forwarding (so a bad request never reaches a service), passes the caller's
identity to the services as the actor, and relays their answers and problem+json errors.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Header, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.gateway.auth import InvalidToken, Principal, TokenVerifier
from services.gateway.body_limit import BodySizeLimit
from services.gateway.settings import GatewaySettings
from shared.commands import Command, RecordEntry, RegisterCadre, RevokeEntry
from shared.http import ACTOR_HEADER, REQUEST_ID_HEADER, ROLE_HEADER, add_health_routes
from shared.problems import PROBLEM_JSON, Problem, install_problem_handlers

PREFIX = "/api/v1"
FORWARDED_RESPONSE_HEADERS = ("etag", "idempotent-replayed", "retry-after")

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="shiji"'}
bearer = HTTPBearer(auto_error=False, description="a JWT from the identity provider (embedded: `shiji token`)")

IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=200,
                                       description="a fresh key per intended write; a retry with the same key "
                                                   "returns the first answer and records nothing new")]
IfMatch = Annotated[str | None, Header(alias="If-Match", description="the ETag you read: write only if unchanged")]
CadreId = uuid.UUID


class Upstream:
    """One internal service, reached over HTTP (or in-process ASGI in the embedded wiring)."""

    def __init__(self, name: str, base_url: str, timeout_s: float, transport: httpx.AsyncBaseTransport | None) -> None:
        self.name = name
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout_s, transport=transport)

    async def call(self, method: str, path: str, *, principal: Principal | None = None, request: Request | None = None,
                   json: Any = None, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                   ) -> httpx.Response:
        sent = dict(headers or {})
        if principal is not None:
            sent[ACTOR_HEADER] = principal.subject
            sent[ROLE_HEADER] = principal.role
        if request is not None and (rid := request.headers.get(REQUEST_ID_HEADER)):
            sent[REQUEST_ID_HEADER] = rid
        try:
            return await self.client.request(method, path, json=json, params=params, headers=sent)
        except httpx.HTTPError as exc:
            raise Problem(503, "upstream-unavailable", f"The {self.name} service is unavailable",
                          f"{type(exc).__name__} calling {self.name}") from exc


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


def relay_response(upstream: httpx.Response, *, rewrite_location: bool = False) -> Response:
    """The service's answer as the gateway's: same status, body and the headers clients rely on."""
    headers = {h: upstream.headers[h] for h in FORWARDED_RESPONSE_HEADERS if h in upstream.headers}
    if rewrite_location and "location" in upstream.headers:
        headers["Location"] = PREFIX + upstream.headers["location"].removeprefix("/v1")
    media_type = PROBLEM_JSON if upstream.headers.get("content-type", "").startswith(PROBLEM_JSON) else "application/json"
    return Response(upstream.content, status_code=upstream.status_code, headers=headers, media_type=media_type)


def create_app(settings: GatewaySettings, *, verifier: TokenVerifier,
               dossier_transport: httpx.AsyncBaseTransport | None = None,
               scoring_transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    dossier = Upstream("dossier", settings.dossier_url, settings.upstream_timeout_s, dossier_transport)
    scoring = Upstream("scoring", settings.scoring_url, settings.upstream_timeout_s, scoring_transport)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await dossier.client.aclose()
            await scoring.client.aclose()

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

    async def upstream_ready(upstream: Upstream) -> bool:
        return (await upstream.call("GET", "/readyz")).status_code == 200

    add_health_routes(app, {"dossier": lambda: upstream_ready(dossier), "scoring": lambda: upstream_ready(scoring)})


    async def write(path: str, command: Command, caller: Principal, request: Request, key: str,
                    if_match: str | None = None, location: bool = False) -> Response:
        headers = {"Idempotency-Key": key}
        if if_match is not None:
            headers["If-Match"] = if_match
        answer = await dossier.call("POST", path, principal=caller, request=request,
                                    json=command.model_dump(mode="json"), headers=headers)
        return relay_response(answer, rewrite_location=location)

    @app.post(f"{PREFIX}/cadres", status_code=201, tags=["cadres"], summary="Register a cadre")
    async def register_cadre(command: RegisterCadre, caller: Caller, request: Request,
                             idempotency_key: IdempotencyKey) -> Response:
        return await write("/v1/cadres", command, caller, request, idempotency_key, location=True)

    @app.get(f"{PREFIX}/cadres/{{cadre_id}}", tags=["cadres"], summary="A cadre's registration and stream version")
    async def get_cadre(cadre_id: CadreId, caller: Caller, request: Request) -> Response:
        return relay_response(await dossier.call("GET", f"/v1/cadres/{cadre_id}", principal=caller, request=request))

    @app.post(f"{PREFIX}/cadres/{{cadre_id}}/entries", status_code=201, tags=["entries"],
              summary="Record an achievement, positive-list or negative-list entry")
    async def record_entry(cadre_id: CadreId, command: RecordEntry, caller: Caller, request: Request,
                           idempotency_key: IdempotencyKey, if_match: IfMatch = None) -> Response:
        return await write(f"/v1/cadres/{cadre_id}/entries", command, caller, request, idempotency_key, if_match)

    @app.post(f"{PREFIX}/cadres/{{cadre_id}}/entries/{{entry_id}}/revocation", status_code=201, tags=["entries"],
              summary="Revoke an entry (a new event; the original stays in the record)")
    async def revoke_entry(cadre_id: CadreId, entry_id: uuid.UUID, command: RevokeEntry, caller: Caller,
                           request: Request, idempotency_key: IdempotencyKey, if_match: IfMatch = None) -> Response:
        return await write(f"/v1/cadres/{cadre_id}/entries/{entry_id}/revocation", command, caller, request,
                           idempotency_key, if_match)

    @app.get(f"{PREFIX}/cadres/{{cadre_id}}/events", tags=["cadres"], summary="The cadre's event history, oldest first")
    async def cadre_events(cadre_id: CadreId, caller: Caller, request: Request) -> Response:
        return relay_response(await dossier.call("GET", f"/v1/cadres/{cadre_id}/events", principal=caller,
                                                 request=request))

    @app.get(f"{PREFIX}/cadres/{{cadre_id}}/score", tags=["scores"],
             summary="Rolling three-year points as of a date (近三年动态积分)")
    async def cadre_score(
        cadre_id: CadreId, caller: Caller, request: Request,
        as_of: Annotated[dt.date | None, Query(description="effective date (YYYY-MM-DD); default today")] = None,
        known_at: Annotated[dt.datetime | None, Query(description="what the record said at this recorded time; "
                                                                  "default now")] = None,
    ) -> Response:
        exists = await dossier.call("GET", f"/v1/cadres/{cadre_id}", principal=caller, request=request)
        if exists.status_code != 200:
            return relay_response(exists)
        params = {k: v.isoformat() for k, v in (("as_of", as_of), ("known_at", known_at)) if v is not None}
        answer = await scoring.call("GET", f"/v1/cadres/{cadre_id}/score", principal=caller, request=request,
                                    params=params)
        return relay_response(answer)

    return app

