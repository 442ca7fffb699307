"""The dossier service's internal HTTP API (behind the gateway) and its wiring, ``create_app``."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request, Response
from opentelemetry.sdk.trace import TracerProvider
from pydantic import BaseModel, ConfigDict, Field

from services.dossier import directory, domain, finder, importer, metrics, portrait_facts, search_matches, store, views
from services.dossier.idempotency import IdempotencyKeyReused, Outcome
from services.dossier.relay import Relay
from services.dossier.sealing import Sealer, SealingUnavailable
from services.dossier.service import DossierService, dossier_engine
from services.dossier.settings import DossierSettings
from services.dossier.store import Actor, ConcurrencyError, StoredEvent
from shared import tracing
from shared.bus import BusAdmin, Publisher
from shared.commands import OPERATIONS, Operation
from shared.db import DATABASE_UNAVAILABLE, database_ready, database_unavailable
from shared.event_registry import from_data
from shared.events import DeclarationKind
from shared.http import add_health_routes, etag, known_at_utc, parse_if_match
from shared.lifespan import service_lifespan
from shared.positions import POSITION_HEADER
from shared.problems import Problem, install_problem_handlers
from shared.routing import typed_endpoint
from shared.service_identity import Caller, CallVerifier, RequireGatewayProof
from shared.settings import today
from shared.telemetry import install_telemetry, request_id

log = logging.getLogger(__name__)
HTTP_IMPORT_BATCH_ROWS = 500


async def actor_of(request: Request) -> Actor:
    """The end user the gateway's proof names (shared/service_identity.py): no header says who acts.
    ``async``: FastAPI would run a plain function in a worker thread (a thread hop per write)."""
    caller: Caller = request.state.caller
    if not caller.subject or not caller.role:
        raise Problem(401, "gateway-proof-required", "This call records who made it: the gateway's proof names "
                      "no user", headers={"WWW-Authenticate": 'Bearer realm="shiji-internal"'})
    return Actor(caller.subject, caller.role)


async def event_context(request: Request) -> dict[str, str]:
    """The request's trace context and request id, stored with the events it appends."""
    return tracing.request_context(request_id(request))


ActorDep = Annotated[Actor, Depends(actor_of)]
EventContext = Annotated[dict[str, str], Depends(event_context)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]
IfMatch = Annotated[str | None, Header(alias="If-Match")]
KnownAt = Annotated[dt.datetime | None, Query(description="recorded time: the dossier as it stood then")]


class AccessLogEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=50)
    data: dict[str, Any]


class AccessLogBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entries: list[AccessLogEntry] = Field(min_length=1, max_length=1000)


def problem_of(exc: Exception, conditional: bool = False) -> Problem:
    match exc:
        case domain.DomainError():
            errors = [{"field": exc.field, "rule": exc.rule, "message": str(exc)}] if exc.field else []
            errors = list(getattr(exc, "errors", None) or errors)  # a scheme refused names every problem
            extra: dict[str, Any] = {"errors": errors} if errors else {}
            return Problem(exc.status, exc.rule.replace("_", "-"), str(exc), str(exc), rule=exc.rule, **extra)
        case ConcurrencyError():
            if conditional:
                return Problem(412, "version-mismatch", "The dossier changed since you read it", str(exc),
                               current_version=exc.actual)
            return Problem(409, "concurrent-write", "Another write to this dossier got in first; retry", str(exc))
        case IdempotencyKeyReused():
            return Problem(422, "idempotency-key-reused", "This Idempotency-Key was used for a different request",
                           errors=[{"field": "Idempotency-Key", "rule": "same_request_same_key",
                                    "message": "send a new key for a new request"}])
        case SealingUnavailable():
            return Problem(503, "sealing-unavailable", "Sensitive declarations are not configured", str(exc))
    raise exc


async def _run(call, conditional: bool = False):
    try:
        return await call
    except (domain.DomainError, ConcurrencyError, IdempotencyKeyReused, SealingUnavailable) as exc:
        raise problem_of(exc, conditional) from exc


def _created(response: Response, outcome: Outcome) -> dict[str, Any]:
    response.status_code = outcome.status
    response.headers["ETag"] = etag(outcome.body["version"])
    if "position" in outcome.body:  # (an answer kept before positions were given has none)
        response.headers[POSITION_HEADER] = outcome.body["position"]
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return outcome.body


def event_view(event: StoredEvent) -> dict[str, Any]:
    # Upcast on read: clients always see the current schema of each event type.
    current = from_data(event.event_type, event.schema_version, event.data)
    return {
        "event_id": event.event_id,
        "position": event.position,
        "version": event.stream_version,
        "type": event.event_type,
        "schema_version": current.schema_version,
        "data": current.model_dump(mode="json"),
        "effective_date": event.effective_date.isoformat() if event.effective_date else None,
        "recorded_at": event.recorded_at.isoformat(),
        "actor": event.actor,
        "actor_role": event.actor_role,
        "hash": event.hash,
    }


def create_app(settings: DossierSettings, *, callers: CallVerifier, publisher: Publisher | None = None,
               bus: BusAdmin | None = None, tracer_provider: TracerProvider | None = None,
               migrate: bool = False) -> FastAPI:
    """The dossier service. It answers only calls ``callers`` finds proven by the gateway. With a ``publisher``
    it runs the relay in the background; ``bus`` answers for the bus in /readyz and /metrics. The app owns
    what it is given: it closes both when it stops."""
    engine = dossier_engine(settings.database_url, settings.pool_size)
    provider = tracer_provider or tracing.tracer_provider_from_env("dossier")
    tracer = tracing.tracer_of(provider)
    relay = (Relay(engine, publisher, settings.kafka.topic, batch_size=settings.relay_batch_size, tracer=tracer)
             if publisher else None)
    sealer = (Sealer.from_base64(settings.declaration_key.get_secret_value(), settings.declaration_key_id)
              if settings.declaration_key else None)
    service = DossierService(engine, today=lambda: today(settings.timezone),
                             on_append=relay.wake if relay else (lambda: None), sealer=sealer,
                             hash_algorithm=settings.hash_algorithm,
                             head_cache_size=settings.head_cache_size)
    async def event_store_fits_cluster() -> bool:
        async with engine.connect() as conn:
            behind = await store.transaction_ids_behind(conn)
        if behind:
            log.error("the event store holds transaction id %d, this PostgreSQL cluster is only at %d: restored "
                      "from a dump into another cluster? Advance its transaction ids past the store's before "
                      "serving (RELIABILITY.md, 'Restore'), or new events would never be published", *behind)
        return behind is None

    async def refuse_a_cluster_behind_the_store() -> None:
        try:
            fits = await event_store_fits_cluster()
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            log.warning("database unavailable at start; /readyz checks the event store once it answers")
            return
        if not fits:
            raise RuntimeError("the event store is ahead of this PostgreSQL cluster's transaction ids (see the log)")

    async def seed_catalogue_if_reachable() -> None:
        try:
            await service.seed_catalogue()
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            log.warning("database unavailable at start; the catalogue is seeded at the next start")

    closers = [owned.close for owned in (publisher, bus) if owned is not None]
    lifespan = service_lifespan("dossier", engine, migrate=migrate, workers=[relay] if relay else [],
                                startup=[refuse_a_cluster_behind_the_store, seed_catalogue_if_reachable],
                                closers=[*closers, tracing.shutdown_closer(provider)])
    app = FastAPI(title="Shiji dossier service (internal)", version="1", lifespan=lifespan)
    app.state.service = service
    app.state.relay = relay
    app.state.bus = bus
    app.state.engine = engine
    install_problem_handlers(app, unavailable=DATABASE_UNAVAILABLE)
    app.add_middleware(RequireGatewayProof, verifier=callers)  # inside the telemetry: refusals are counted too
    metrics.register(install_telemetry(app, "dossier", tracer, engine), engine, service, relay, bus)
    checks = {"database": lambda: database_ready(engine, "dossier"), "event_store": event_store_fits_cluster}
    if relay is not None and bus is not None:
        checks["bus"] = lambda: bus.ready(settings.kafka.topic)
    add_health_routes(app, checks)

    def register_write(op: Operation) -> None:
        async def endpoint(*, command, actor: ActorDep, context: EventContext, response: Response,
                           idempotency_key: IdempotencyKey = None, if_match: IfMatch = None,
                           **params: Any) -> dict[str, Any]:
            expected = parse_if_match(if_match) if op.conditional else None
            outcome = await _run(service.execute(op.name, command, {k: str(v) for k, v in params.items()}, actor,
                                                 idempotency_key, expected, context), conditional=expected is not None)
            return _created(response, outcome)

        app.post(f"/v1{op.path}", status_code=201, tags=[op.tag], summary=op.summary, name=op.name)(
            typed_endpoint(endpoint, body=op.body, path=op.path))

    for op in OPERATIONS:
        register_write(op)

    @app.get("/v1/cadres/{cadre_id}", tags=["cadres"])
    async def get_cadre(cadre_id: str, response: Response) -> dict[str, Any]:
        name, unit_id, version = await _run(service.cadre_card(cadre_id))
        response.headers["ETag"] = etag(version)
        return {"id": cadre_id, "name": name, "unit_id": unit_id, "version": version}

    @app.get("/v1/cadres/{cadre_id}/events", tags=["cadres"])
    async def cadre_events(cadre_id: str, response: Response, known_at: KnownAt = None) -> dict[str, Any]:
        history = await _run(service.cadre_history(cadre_id, known_at_utc(known_at)))
        response.headers["ETag"] = etag(history[-1].stream_version)
        return {"cadre_id": cadre_id, "version": history[-1].stream_version, "events": [event_view(e) for e in history]}

    @app.get("/v1/cadres/{cadre_id}/dossier", tags=["cadres"])
    async def cadre_dossier(cadre_id: str, actor: ActorDep, response: Response,
                            known_at: KnownAt = None) -> dict[str, Any]:
        moment = known_at_utc(known_at)
        history = await _run(service.cadre_history(cadre_id, moment))

        def open_sealed(kind: DeclarationKind, sealed: str) -> str:
            try:
                return service.open_declaration(cadre_id, kind, sealed)
            except SealingUnavailable as exc:
                raise problem_of(exc) from exc

        response.headers["ETag"] = etag(history[-1].stream_version)
        return views.dossier_view(history, known_at=moment, today=today(settings.timezone), reader_role=actor.role,
                                  reader=actor.subject, open_sealed=open_sealed)

    @app.get("/v1/cadres/{cadre_id}/appraisal-sheet", tags=["cadres"])
    async def appraisal_sheet(cadre_id: str, year: Annotated[int, Query(ge=1949, le=2199)],
                              known_at: KnownAt = None) -> dict[str, Any]:
        moment = known_at_utc(known_at)
        history = await _run(service.cadre_history(cadre_id, moment))
        return views.appraisal_sheet(history, year, known_at=moment)

    @app.get("/v1/units", tags=["units"])
    async def list_units() -> dict[str, Any]:
        return {"units": await service.units()}

    @app.get("/v1/units/{unit_id}", tags=["units"])
    async def get_unit(unit_id: str) -> dict[str, Any]:
        unit = await _run(service.unit(unit_id))
        return {"unit_id": unit.unit_id, "name": unit.name, "parent_id": unit.parent_id,
                "jurisdiction": directory.subtree(await service.units(), unit_id),
                "level": unit.level.value if unit.level else None, "unit_class": unit.unit_class,
                "team_grades": {str(y): g.value for y, g in sorted(unit.team_grades.items())},
                "target_evaluations": {str(y): p.value for y, p in sorted(unit.target_prizes.items())},
                "version": unit.version}

    @app.get("/v1/access/relations", tags=["access"])
    async def relations(subject: Annotated[str, Query(max_length=200)],
                        unit: Annotated[str | None, Query(max_length=100)] = None,
                        cadre_id: Annotated[list[str] | None, Query(max_length=1000)] = None,
                        unit_id: Annotated[list[str] | None, Query(max_length=1000)] = None,
                        whole_jurisdiction: bool = False) -> dict[str, Any]:
        """The caller's relation to each cadre and which of the units asked about lie in their
        jurisdiction (all its units with ``whole_jurisdiction``), for the gateway's authorization."""
        return await service.relations(subject, unit, cadre_id or [], unit_id or [], whole_jurisdiction)

    @app.get("/v1/access/version", tags=["access"])
    async def relations_version() -> dict[str, str]:
        """Changes whenever an answer of ``/v1/access/relations`` may: the gateway keeps those answers until it
        does (services/gateway/reach_cache.py)."""
        return {"version": await service.relations_version()}

    @app.post("/v1/access-log", tags=["access"], status_code=201)
    async def log_access(batch: AccessLogBatch) -> dict[str, Any]:
        """Entries in order, all or none (the gateway sends what its concurrent requests logged meanwhile)."""
        written = await service.log_access([(e.subject, e.role, e.data) for e in batch.entries])
        return {"entries": [e.view() for e in written]}

    @app.get("/v1/access-log", tags=["access"])
    async def read_access_log(after: Annotated[int, Query(ge=0)] = 0, limit: Annotated[int, Query(ge=1, le=500)] = 100,
                              cadre_id: Annotated[str | None, Query(max_length=64)] = None,
                              subject: Annotated[str | None, Query(max_length=200)] = None,
                              since: Annotated[dt.datetime | None, Query()] = None,
                              until: Annotated[dt.datetime | None, Query()] = None) -> dict[str, Any]:
        entries = await service.access_log(after=after, limit=limit, cadre_id=cadre_id, subject=subject,
                                           since=since and known_at_utc(since), until=until and known_at_utc(until))
        return {"entries": [e.view() for e in entries],
                "next": str(entries[-1].seq) if len(entries) == limit else None}

    @app.get("/v1/categories", tags=["catalogue"])
    async def list_categories() -> dict[str, Any]:
        catalogue = await service.catalogue()
        return {"version": catalogue.version,
                "categories": [d.model_dump(mode="json") for d in catalogue.categories.values()]}

    @app.post("/v1/imports", tags=["imports"])
    async def bulk_import(request: Request, actor: ActorDep, context: EventContext,
                          operation: Annotated[str | None, Query(max_length=50)] = None) -> dict[str, Any]:
        """Rows of commands (NDJSON or CSV by Content-Type), appended in batches; the report of every row."""
        fmt = importer.format_of(None, request.headers.get("content-type"))
        rows = importer.rows_of(importer.text_lines(await request.body()), fmt, operation)
        # Smaller batches than the CLI's: validating a batch holds the event loop (~0.2 s per 500 rows
        # here), and this process serves other requests meanwhile. A city's migration uses `shiji import`.
        return (await importer.Importer(service, actor, batch_rows=HTTP_IMPORT_BATCH_ROWS).run(rows)).as_dict()

    finder.add_routes(app, finder.Finder(engine, lambda: today(settings.timezone)))
    facts = portrait_facts.PortraitFacts(engine, lambda: today(settings.timezone))
    portrait_facts.add_routes(app, facts)
    search_matches.add_routes(app, facts)  # a search's matches, in SQL where it can (issue 20, fourth round)
    return app
