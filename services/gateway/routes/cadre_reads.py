"""A cadre's reads, registered from one table: each is authorized on the cadre, logged under its name,
and relayed from the service that answers it with the query parameters it offers."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Query, Request, Response

from services.gateway import printing
from services.gateway.deps import CadreId, Caller, GatewayDep
from services.gateway.docs import READ_ERRORS, responses
from services.gateway.freshness import MinPosition, Prefer, fresh_read_responses
from services.gateway.negotiation import PDF, action, answering, negotiated_router, wanted
from services.gateway.params import AsOf, KnownAt
from shared.answers import AppraisalSheet, Cadre, CadreEvents, Dossier, Score, Screening

router = negotiated_router()

# The query parameters a cadre's read may offer: (annotation, default).
QUERY: dict[str, tuple[Any, Any]] = {
    "year": (Annotated[int, Query(ge=1949, le=2199)], inspect.Parameter.empty),
    "as_of": (AsOf, None),
    "known_at": (KnownAt, None),
    "min_position": (MinPosition, None),  # scoring's answers: read your own writes (freshness.py)
    "prefer": (Prefer, None),
}


@dataclass(frozen=True)
class CadreRead:
    name: str  # the operation's name, and the action in the access log
    suffix: str  # the path after /cadres/{cadre_id}, the same in the gateway and in the service
    service: Literal["dossier", "scoring"]
    tag: str
    summary: str
    answer: type  # the model of its 200 answer (shared.answers)
    query: tuple[str, ...] = ()
    printed: bool = False  # Accept: application/pdf answers the printed form (services/gateway/printing.py)


CADRE_READS = (
    CadreRead("get_cadre", "", "dossier", "cadres", "A cadre's registration and stream version", Cadre),
    CadreRead("get_dossier", "/dossier", "dossier", "cadres",
              "The whole dossier (实绩档案), optionally as it stood at a past moment", Dossier, ("known_at",)),
    CadreRead("get_appraisal_sheet", "/appraisal-sheet", "dossier", "cadres",
              "The annual performance appraisal sheet (工作实绩鉴定表); `Accept: application/pdf` prints it (A4, "
              "signature lines, the record's version and chain hash in the footer)", AppraisalSheet, ("year", "known_at"),
              printed=True),
    CadreRead("cadre_events", "/events", "dossier", "cadres", "The cadre's event history, oldest first", CadreEvents,
              ("known_at",)),
    CadreRead("cadre_score", "/score", "scoring", "scores",
              "Rolling three-year points as of a date (近三年动态积分), with yearly and quarterly breakdowns",
              Score, ("as_of", "known_at", "min_position", "prefer")),
    CadreRead("cadre_screening", "/screening", "scoring", "screening",
              "Promotion screening of one cadre: every rule pass/fail/unknown, with evidence and reasons",
              Screening, ("as_of", "known_at", "min_position", "prefer")),
)


def register_read(spec: CadreRead) -> None:
    async def endpoint(*, cadre_id: CadreId, caller: Caller, request: Request, gw: GatewayDep,
                       **query: Any) -> Response:
        upstream = gw.dossier if spec.service == "dossier" else gw.scoring
        path = f"/v1/cadres/{cadre_id}{spec.suffix}"
        min_position, prefer = query.pop("min_position", None), query.pop("prefer", None)
        media = wanted(request, PDF) if spec.printed else "application/json"

        async def fetch() -> Response:
            await gw.freshness.await_position(caller, request, min_position, prefer, str(cadre_id))
            answer = await gw.relay(upstream, "GET", path, caller, request, query)
            return answer if media != PDF else await printing.appraisal_sheet_pdf(gw, str(cadre_id), caller, request,
                                                                                 answer)
        return await gw.cadre_read(action(spec.name, media), cadre_id, caller, request, fetch)

    sig = inspect.signature(endpoint)
    offered = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=QUERY[name][0],
                                 default=QUERY[name][1]) for name in spec.query]
    endpoint.__signature__ = sig.replace(  # type: ignore[attr-defined]
        parameters=[p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD] + offered)
    router.get(f"/cadres/{{cadre_id}}{spec.suffix}", tags=[spec.tag], summary=spec.summary, name=spec.name,
               response_model=spec.answer,
               responses=answering(fresh_read_responses() if "min_position" in spec.query else responses(READ_ERRORS),
                                   *([PDF] if spec.printed else [])))(endpoint)


for spec in CADRE_READS:
    register_read(spec)
