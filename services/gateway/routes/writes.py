"""Every write of ``shared.commands.OPERATIONS``: validated against its command model, authorized object by
object, forwarded to the dossier with the caller's Idempotency-Key (and If-Match), logged."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from services.gateway.auth import Principal
from services.gateway.deps import Caller, GatewayDep, IdempotencyKey, IfMatch
from services.gateway.docs import CONDITIONAL_ERRORS, WRITE_ERRORS, request_example, responses
from services.gateway.freshness import POSITION_HEADER_DOC
from services.gateway.guard import Guard
from services.gateway.negotiation import negotiated_router
from services.gateway.reach_cache import DIRECTORY_WRITES
from services.gateway.upstream import relay_response
from shared.answers import WRITE_ANSWERS
from shared.commands import OPERATIONS, Operation
from shared.routing import typed_endpoint

router = negotiated_router()


async def authorize_write(guard: Guard, op: Operation, caller: Principal, request: Request, command: Any,
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
    async def endpoint(*, command, caller: Caller, request: Request, gw: GatewayDep, idempotency_key: IdempotencyKey,
                       if_match: IfMatch = None, **params: Any) -> Response:
        async def work() -> Response:
            await authorize_write(gw.guard, op, caller, request, command, params)
            headers = {"Idempotency-Key": idempotency_key}
            if if_match is not None and op.conditional:
                headers["If-Match"] = if_match
            path = op.path.format(**{k: str(v.value if hasattr(v, "value") else v) for k, v in params.items()})
            try:
                answer = await gw.dossier.call("POST", f"/v1{path}", principal=caller, request=request,
                                               json=command.model_dump(mode="json", exclude_unset=True),
                                               headers=headers)
            finally:  # whatever the outcome (a timeout may have written): the next request asks the dossier again
                if op.name in DIRECTORY_WRITES:
                    gw.guard.kept.forget()
            return relay_response(answer, request)

        cadre_id = str(params["cadre_id"]) if "cadre_id" in params else None
        return await gw.audited(caller, request, op.name, cadre_id, work)

    router.post(op.path, status_code=201, tags=[op.tag], summary=op.summary, name=op.name,
                response_model=WRITE_ANSWERS[op.name],
                responses={201: {"headers": POSITION_HEADER_DOC},
                           **responses(CONDITIONAL_ERRORS if op.conditional else WRITE_ERRORS, body=True)},
                openapi_extra=request_example(op.name))(
        # If-Match applies to writes on a cadre's dossier only; keep it out of the others' docs.
        typed_endpoint(endpoint, body=op.body, path=op.path, omit=() if op.conditional else ("if_match",)))


for op in OPERATIONS:
    register_write(op)
