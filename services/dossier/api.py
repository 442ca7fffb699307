"""The dossier service's internal HTTP API (behind the gateway) and its wiring, ``create_app``."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Response

from services.dossier import domain, store
from services.dossier.relay import Relay
from services.dossier.service import DossierService, IdempotencyKeyReused, Outcome
from services.dossier.settings import DossierSettings
from services.dossier.store import Actor, ConcurrencyError, StoredEvent
from shared.bus import Publisher
from shared.commands import RecordEntry, RegisterCadre, RevokeEntry
from shared.db import DATABASE_UNAVAILABLE, database_ready, database_unavailable, make_engine
from shared.events import from_data
from shared.http import ACTOR_HEADER, ROLE_HEADER, add_health_routes, etag, parse_if_match
from shared.lifespan import service_lifespan
from shared.problems import Problem, install_problem_handlers
from shared.settings import today

log = logging.getLogger(__name__)


def actor_of(
    actor: Annotated[str, Header(alias=ACTOR_HEADER, min_length=1, max_length=100)],
    role: Annotated[str, Header(alias=ROLE_HEADER, min_length=1, max_length=50)],
) -> Actor:
    return Actor(actor, role)


ActorDep = Annotated[Actor, Depends(actor_of)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]
IfMatch = Annotated[str | None, Header(alias="If-Match")]


def problem_of(exc: Exception, conditional: bool) -> Problem:
    match exc:
        case domain.DomainError():
            errors = [{"field": exc.field, "rule": exc.rule, "message": str(exc)}] if exc.field else []
            extra: dict[str, Any] = {"errors": errors} if errors else {}
            return Problem(exc.status, exc.rule.replace("_", "-"), str(exc), str(exc), **extra)
        case ConcurrencyError():
            if conditional:
                return Problem(412, "version-mismatch", "The dossier changed since you read it", str(exc),
                               current_version=exc.actual)
            return Problem(409, "concurrent-write", "Another write to this dossier got in first; retry", str(exc))
        case IdempotencyKeyReused():
            return Problem(422, "idempotency-key-reused", "This Idempotency-Key was used for a different request",
                           errors=[{"field": "Idempotency-Key", "rule": "same_request_same_key",
                                    "message": "send a new key for a new request"}])
    raise exc


async def _run(write, conditional: bool) -> Outcome:
    try:
        return await write
    except (domain.DomainError, ConcurrencyError, IdempotencyKeyReused) as exc:
        raise problem_of(exc, conditional) from exc


def _created(response: Response, outcome: Outcome, location: str | None = None) -> dict[str, Any]:
    response.status_code = outcome.status
    response.headers["ETag"] = etag(outcome.body["version"])
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    if location:
        response.headers["Location"] = location
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
    }


def create_app(settings: DossierSettings, *, publisher: Publisher | None = None, migrate: bool = False) -> FastAPI:
    """The dossier service. With a ``publisher`` it runs the relay in the background."""
    engine = make_engine(settings.database_url, pool_size=settings.pool_size)
    relay = Relay(engine, publisher, settings.kafka.topic, batch_size=settings.relay_batch_size) if publisher else None
    service = DossierService(engine, today=lambda: today(settings.timezone),
                             on_append=relay.wake if relay else (lambda: None))

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

    lifespan = service_lifespan("dossier", engine, migrate=migrate, worker=relay.run if relay else None,
                                closers=[publisher.close] if publisher else [],
                                preflight=[refuse_a_cluster_behind_the_store])
    app = FastAPI(title="Shiji dossier service (internal)", version="1", lifespan=lifespan)
    app.state.service = service
    app.state.relay = relay
    app.state.engine = engine
    install_problem_handlers(app, unavailable=DATABASE_UNAVAILABLE)

    add_health_routes(app, {"database": lambda: database_ready(engine, "dossier"), "event_store": event_store_fits_cluster})

    @app.post("/v1/cadres", status_code=201, tags=["cadres"])
    async def register_cadre(command: RegisterCadre, actor: ActorDep, response: Response,
                             idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
        outcome = await _run(service.register_cadre(command, actor, idempotency_key), conditional=False)
        return _created(response, outcome, f"/v1/cadres/{outcome.body['id']}")

    @app.get("/v1/cadres/{cadre_id}", tags=["cadres"])
    async def get_cadre(cadre_id: str, response: Response) -> dict[str, Any]:
        try:
            state = await service.dossier(cadre_id)
        except domain.DomainError as exc:
            raise problem_of(exc, False) from exc
        response.headers["ETag"] = etag(state.version)
        return {"id": state.cadre_id, "name": state.name, "unit_id": state.unit_id, "version": state.version}

    @app.post("/v1/cadres/{cadre_id}/entries", status_code=201, tags=["entries"])
    async def record_entry(cadre_id: str, command: RecordEntry, actor: ActorDep, response: Response,
                           idempotency_key: IdempotencyKey = None, if_match: IfMatch = None) -> dict[str, Any]:
        expected = parse_if_match(if_match)
        outcome = await _run(service.record_entry(cadre_id, command, actor, idempotency_key, expected),
                             conditional=expected is not None)
        return _created(response, outcome)

    @app.post("/v1/cadres/{cadre_id}/entries/{entry_id}/revocation", status_code=201, tags=["entries"])
    async def revoke_entry(cadre_id: str, entry_id: str, command: RevokeEntry, actor: ActorDep, response: Response,
                           idempotency_key: IdempotencyKey = None, if_match: IfMatch = None) -> dict[str, Any]:
        expected = parse_if_match(if_match)
        outcome = await _run(service.revoke_entry(cadre_id, entry_id, command, actor, idempotency_key, expected),
                             conditional=expected is not None)
        return _created(response, outcome)

    @app.get("/v1/cadres/{cadre_id}/events", tags=["cadres"])
    async def cadre_events(cadre_id: str, response: Response) -> dict[str, Any]:
        try:
            history = await service.history(cadre_id)
        except domain.DomainError as exc:
            raise problem_of(exc, False) from exc
        response.headers["ETag"] = etag(history[-1].stream_version)
        return {"cadre_id": cadre_id, "version": history[-1].stream_version, "events": [event_view(e) for e in history]}

    return app
