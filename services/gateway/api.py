"""The public API under /api/v1: authenticates, validates, and forwards to dossier and scoring.

The gateway holds no domain state. It authenticates the caller, rate-limits them per subject,
validates every request body against the shared command models (so a bad request never reaches a
service), authorizes the request object by object (policy.py, guard.py), passes the caller's
identity to the services as the end user of its signed proof (shared/service_identity.py), writes
the access-log entry, and relays the services' answers and problem+json errors.

``create_app`` wires it: the routes by area (``routes/``), the upstream clients (``upstream.py``), the
middleware and the public OpenAPI. ``bootstrap.build_app`` picks its adapters from the settings.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from opentelemetry.sdk.trace import TracerProvider

from services.gateway.auth import TokenVerifier
from services.gateway.body_limit import BodySizeLimit
from services.gateway.console import install_console
from services.gateway.deps import PREFIX, Gateway
from services.gateway.docs import add_problem_schemas, state_text_rule
from services.gateway.errors import install_gateway_errors
from services.gateway.freshness import Freshness
from services.gateway.guard import Guard
from services.gateway.rate_limit import RateLimiter
from services.gateway.routes import (
    assessment_consequences,
    assessment_tracking,
    assessments,
    cadre_reads,
    documents,
    finding,
    jurisdiction,
    operations,
    portraits,
    writes,
)
from services.gateway.settings import GatewaySettings, upstream_tls
from services.gateway.upstream import Upstream
from shared import tracing
from shared.commands import OPERATIONS
from shared.http import REQUEST_ID_HEADER, add_health_routes
from shared.positions import POSITION_HEADER
from shared.problems import install_problem_handlers
from shared.service_identity import CallSigner
from shared.telemetry import install_telemetry

ROUTERS = (writes.router, cadre_reads.router, finding.router, jurisdiction.router, operations.router,
           assessments.router, assessment_consequences.router, assessment_tracking.router, documents.router,
           portraits.router)
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
    {"name": "tasks", "description": "What waits for the caller (待办): reports, achievements, appeals"},
    {"name": "rule sets", "description": "What a proposed rule set would change"},
    {"name": "operations", "description": "Jobs for the system administrator"},
    {"name": "imports", "description": "Bulk import of a spreadsheet or an old system's records, row by row"},
    {"name": "audit", "description": "The access log, for auditors and the audit administrator"},
    {"name": "portraits", "description": "Knowing people and teams (知事识人): education, fields and other sources' "
                                         "results; portraits, condition search, team structure, moves on paper"},
]
EXPOSED_HEADERS = ["ETag", "Idempotent-Replayed", "Retry-After", POSITION_HEADER, REQUEST_ID_HEADER]


def create_app(settings: GatewaySettings, *, verifier: TokenVerifier, signer: CallSigner,
               dossier_transport: httpx.AsyncBaseTransport | None = None,
               scoring_transport: httpx.AsyncBaseTransport | None = None,
               tracer_provider: TracerProvider | None = None) -> FastAPI:
    provider = tracer_provider or tracing.tracer_provider_from_env("gateway")
    tracer = tracing.tracer_of(provider)
    tls = upstream_tls(settings)
    dossier = Upstream("dossier", settings.dossier_url, settings.upstream_timeout_s, dossier_transport, tracer, signer,
                       tls)
    scoring = Upstream("scoring", settings.scoring_url, settings.upstream_timeout_s, scoring_transport, tracer, signer,
                       tls)

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
                    "Idempotency-Key (answers are replayed for 24 hours), except what-if and the daily refresh, "
                    "which record nothing new, and the bulk import, whose rows carry their own (`row_key`). "
                    "Errors are RFC 9457 problem+json. "
                    "What a caller may do depends on their role and jurisdiction; an object outside it "
                    "answers 404.",
        lifespan=lifespan,
    )
    app.state.verifier = verifier
    app.state.limiter = RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst)
    guard = Guard(dossier, settings.relations_check_s)
    app.state.gateway = Gateway(dossier, scoring, guard, Freshness(scoring, guard, settings.min_position_wait_s),
                                timezone=settings.timezone)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes,
                       per_path={f"{PREFIX}/imports": settings.import_max_body_bytes})
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                           allow_methods=["GET", "POST"], expose_headers=EXPOSED_HEADERS,
                           allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-Match",
                                          REQUEST_ID_HEADER])
    install_problem_handlers(app)
    install_gateway_errors(app)
    install_telemetry(app, "gateway", tracer)

    async def upstream_ready(upstream: Upstream) -> bool:
        return (await upstream.call("GET", "/readyz")).status_code == 200

    add_health_routes(app, {"dossier": lambda: upstream_ready(dossier), "scoring": lambda: upstream_ready(scoring)})
    for router in ROUTERS:
        # Their routes themselves, not the routers: app.routes stays the flat list of every operation.
        app.router.routes.extend(router.routes)
    install_console(app)  # the web console's built files at /console (console.py)

    def public_openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            # The public API only: /healthz, /readyz and /metrics are for operators, not front ends.
            public = [r for r in app.routes if getattr(r, "path", "").startswith(PREFIX)]
            spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=public,
                               tags=TAGS)
            app.openapi_schema = state_text_rule(add_problem_schemas(spec), {op.body.__name__ for op in OPERATIONS})
        return app.openapi_schema

    app.openapi = public_openapi  # type: ignore[method-assign]
    return app
