"""What the gateway's routes ask for, as ``Annotated`` aliases: the authenticated caller (``Caller``), the
gateway's services and guard (``GatewayDep``), and the public parameters every area shares.

``Gateway`` also holds the steps the routes have in common: log every access with its outcome
(``audited``), relay a read of the dossier or of scoring, check a cadre or a unit against the caller's
reach first."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.gateway.auth import InvalidToken, Principal, TokenVerifier
from services.gateway.freshness import Freshness
from services.gateway.guard import Guard, Reach
from services.gateway.rate_limit import RateLimiter
from services.gateway.upstream import Upstream, as_query, relay_response
from shared.commands import UNIT_ID
from shared.problems import Problem

PREFIX = "/api/v1"
MAX_PAGE = 500  # the largest page a list answers
# The cursor of a scoring list (warnings, screenings), passed on as given.
Cursor = Annotated[str | None, Query(max_length=1000, pattern="^[A-Za-z0-9_=-]+$",
                                     description="`next` of the previous page, as given: opaque (URL-safe base64); "
                                                 "one this list did not give out is refused with 422 `cursor_format`")]

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="shiji"'}
bearer = HTTPBearer(auto_error=False, description="a JWT from the identity provider (embedded: `shiji token`)")

IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=200,
                                       description="a fresh key per intended write; a retry with the same key "
                                                   "returns the first answer and records nothing new")]
IfMatch = Annotated[str | None, Header(alias="If-Match", description="the ETag you read: write only if unchanged")]
CadreId = uuid.UUID
UnitId = Annotated[str, Path(pattern=UNIT_ID, max_length=100)]


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


@dataclass(frozen=True)
class Gateway:
    """The two services behind the gateway and the guard that asks the dossier who may do what."""

    dossier: Upstream
    scoring: Upstream
    guard: Guard
    freshness: Freshness  # the wait of a read that asks for ``min_position``
    timezone: str = "Asia/Shanghai"  # where a printed form's moment is stated (its 截至 line)

    async def audited(self, caller: Principal, request: Request, what: str, cadre_id: str | None,
                      work: Callable[[], Awaitable[Response]]) -> Response:
        """Run ``work`` and log the access with its outcome, refusals included; nothing is answered unlogged."""
        try:
            response = await work()
        except Problem as refused:
            await self.guard.log(caller, request, action=what, status=refused.status, cadre_id=cadre_id)
            raise
        await self.guard.log(caller, request, action=what, status=response.status_code, cadre_id=cadre_id)
        return response

    async def relay(self, upstream: Upstream, method: str, path: str, caller: Principal, request: Request,
                    params: dict[str, Any] | None = None) -> Response:
        """``upstream``'s answer to the request, its query parameters given in ISO 8601, absent ones left out."""
        answer = await upstream.call(method, path, principal=caller, request=request, params=as_query(params or {}))
        return relay_response(answer, request)

    async def read(self, path: str, caller: Principal, request: Request,
                   params: dict[str, Any] | None = None) -> Response:
        return await self.relay(self.dossier, "GET", path, caller, request, params)

    async def from_scoring(self, path: str, caller: Principal, request: Request, params: dict[str, Any],
                           method: str = "GET") -> Response:
        return await self.relay(self.scoring, method, path, caller, request, params)

    async def cadre_read(self, what: str, cadre_id: uuid.UUID, caller: Principal, request: Request,
                         fetch: Callable[[], Awaitable[Response]]) -> Response:
        """A read of one cadre's records: authorized on the cadre, logged."""
        async def work() -> Response:
            await self.guard.cadre(caller, request, "read_cadre", str(cadre_id))
            return await fetch()
        return await self.audited(caller, request, what, str(cadre_id), work)

    async def jurisdiction_of(self, caller: Principal, request: Request, action: str, unit: str | None,
                              whole: bool = False) -> Reach:
        """The caller's reach (with ``whole``, every unit of their jurisdiction), once ``unit`` (default: the
        caller's own) is checked to lie in it."""
        self.guard.require_role(caller, action)
        reach = await self.guard.reach(caller, request, unit_ids=[unit or caller.unit or ""], whole_jurisdiction=whole)
        self.guard.enforce(caller, action, reach.unit(unit or caller.unit), "unit")
        return reach


async def gateway_of(request: Request) -> Gateway:
    return request.app.state.gateway


GatewayDep = Annotated[Gateway, Depends(gateway_of)]
