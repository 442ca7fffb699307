"""The printed forms, composed from the dossier's reads: the appraisal sheet's PDF (工作实绩鉴定表), the annual
assessment's registration form (年度考核登记表) as JSON or PDF, and the check of a printed chain hash.

Every part of a form is read as known at the same moment (the sheet's ``known_at``), so a form printed twice for
the same moment is the same document, and its footer's version and hash are the record it was made from."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import anyio
from fastapi import Request, Response

from services.gateway.assessment_reach import require_subject
from services.gateway.auth import Principal
from services.gateway.deps import Gateway
from services.gateway.negotiation import pdf_response
from services.gateway.upstream import as_query, json_response, relay_response
from shared.documents import pdf
from shared.documents.labels import COMPONENT, name_of
from shared.problems import Problem


class Refused(Exception):
    """A service's answer that is not a 200, to be passed on as the gateway's."""

    def __init__(self, response: Response) -> None:
        self.response = response


async def _json(gw: Gateway, path: str, caller: Principal, request: Request, **params: Any) -> Any:
    answer = await gw.dossier.call("GET", path, principal=caller, request=request, params=as_query(params))
    if answer.status_code != 200:
        raise Refused(relay_response(answer, request))
    return answer.json()


async def head(gw: Gateway, cadre_id: str, caller: Principal, request: Request, known_at: str) -> pdf.Head:
    """The cadre's stream version and chain hash as known at ``known_at``."""
    events = (await _json(gw, f"/v1/cadres/{cadre_id}/events", caller, request, known_at=known_at))["events"]
    last = events[-1] if events else {"version": 0, "hash": None}
    return pdf.Head(last["version"], last["hash"], known_at, gw.timezone)


async def unit_name(gw: Gateway, unit_id: str | None, caller: Principal, request: Request) -> str | None:
    if not unit_id:
        return None
    answer = await gw.dossier.call("GET", f"/v1/units/{unit_id}", principal=caller, request=request)
    return answer.json().get("name") if answer.status_code == 200 else None


async def appraisal_sheet_pdf(gw: Gateway, cadre_id: str, caller: Principal, request: Request,
                              sheet: Response) -> Response:
    """The sheet's JSON answer (``sheet``) printed, with the particulars and the record's seal."""
    if sheet.status_code != 200:
        return sheet
    answer = json.loads(sheet.body)
    try:
        dossier = await _json(gw, f"/v1/cadres/{cadre_id}/dossier", caller, request, known_at=answer["known_at"])
        sealed = await head(gw, cadre_id, caller, request, answer["known_at"])
    except Refused as refused:
        return refused.response
    name = await unit_name(gw, dossier["basics"].get("unit_id"), caller, request)
    content = await anyio.to_thread.run_sync(pdf.appraisal_sheet_pdf, answer, dossier, name, sealed)
    return pdf_response(content, f"appraisal-sheet-{cadre_id}-{answer['year']}.pdf")


async def assessment_form(gw: Gateway, cadre_id: str, year: int, known_at: dt.datetime | None, caller: Principal,
                          request: Request, scheme: str | None = None) -> dict[str, Any]:
    """The registration form's data (shared.answers.AssessmentForm); raises ``Refused``."""
    dossier = await _json(gw, f"/v1/cadres/{cadre_id}/dossier", caller, request, known_at=known_at)
    sealed = await head(gw, cadre_id, caller, request, dossier["known_at"])
    reports = [r for r in dossier["quarterly_reports"]
               if r["period"].startswith(f"{year}-") and r["status"] == "filed" and r.get("key_work")]
    summary = "\n".join(filter(None, [dossier.get("self_evaluation"),
                                      *(f"{r['period']}：{r['key_work']}" for r in reports)])) or None
    assessment = next((a for a in dossier["assessments"] if a["year"] == year), None)
    return {"cadre_id": cadre_id, "year": year, "known_at": dossier["known_at"], "version": sealed.version,
            "hash": sealed.hash, "basics": dossier["basics"],
            "unit_name": await unit_name(gw, dossier["basics"].get("unit_id"), caller, request),
            "post": pdf.current_post(dossier["posts"]),
            "summary": summary, "assessment": assessment,
            "composite": await composite(gw, scheme, cadre_id, year, dossier["known_at"], caller, request)}


async def composite(gw: Gateway, scheme: str | None, cadre_id: str, year: int, known_at: str, caller: Principal,
                    request: Request) -> dict[str, Any] | None:
    """The cadre's result under ``scheme`` as known at the form's moment (None without a scheme): an assessment
    read, so only for those who may read the assessment's results; raises ``Refused`` or ``Problem``."""
    if scheme is None:
        return None
    await require_subject(gw, caller, request, cadre_id)
    answer = await gw.scoring.call("GET", f"/v1/assessments/{scheme}/subjects/{cadre_id}", principal=caller,
                                   request=request, params=as_query({"year": year, "known_at": known_at}))
    if answer.status_code != 200:
        raise Refused(relay_response(answer, request))
    result = answer.json()
    return {"scheme_id": result["scheme_id"], "version": result["version"], "status": result["status"],
            "composite": result["composite"], "calculated": result["proposal"]["calculated"],
            "proposed": result["proposal"]["proposed"],
            "components": [{"component_id": c["component_id"], "name": name_of(COMPONENT, c["component_id"]),
                            "weight": c["weight"], "score": c["score"], "contribution": c["contribution"],
                            "status": c["status"]} for c in result["components"]]}


async def assessment_form_answer(gw: Gateway, cadre_id: str, year: int, known_at: dt.datetime | None,
                                 caller: Principal, request: Request, as_pdf: bool, scheme: str | None = None
                                 ) -> Response:
    try:
        form = await assessment_form(gw, cadre_id, year, known_at, caller, request, scheme)
    except Refused as refused:
        return refused.response
    if not as_pdf:
        return json_response(form)
    content = await anyio.to_thread.run_sync(pdf.registration_form_pdf, form, gw.timezone)
    return pdf_response(content, f"assessment-form-{cadre_id}-{year}.pdf")


async def printed_hash(gw: Gateway, cadre_id: str, printed: str, caller: Principal, request: Request) -> Response:
    """Whether ``printed`` (a hash read off a printed page) is one of the cadre's record versions."""
    try:
        events = (await _json(gw, f"/v1/cadres/{cadre_id}/events", caller, request))["events"]
    except Refused as refused:
        return refused.response
    if not events:
        raise Problem(404, "not-found", "No such resource", "nothing with this id is within your reach",
                      rule="object_visible")
    sealed = next((e for e in events if e["hash"] == printed.strip().lower()), None)
    current = events[-1]["version"]
    return json_response({"cadre_id": str(uuid.UUID(cadre_id)), "hash": printed, "matches": sealed is not None,
                          "version": sealed["version"] if sealed else None,
                          "recorded_at": sealed["recorded_at"] if sealed else None, "current_version": current,
                          "current": sealed is not None and sealed["version"] == current})
