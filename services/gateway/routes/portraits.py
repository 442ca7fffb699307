"""Knowing people and teams (知事识人, issue 20): a cadre's portrait, condition search over the caller's
jurisdiction, a leadership team's structure against its class's ideal model, and moves tried on paper.

Each composes the dossier's facts (``/v1/portrait-facts``) with scoring's answers for the same day and moment
(``/v1/standing``, and for a portrait the score, screening and warnings) through the pure logic of
``services.portraits``. A search costs what its page costs, not what its matches do: the dossier answers the
matching ids with names and ages (``/v1/search-matches``, in SQL where it can), scoring is asked about all of them
only when a condition or the sort needs its standing (``POST /v1/standing``), and the facts are read and the
rows built for the page's cadres alone (a workbook's: every match).

They are the most sensitive reads of the system: the organization department's (a clerk or an auditor of the
jurisdiction; a what-if, a clerk), each authorized and in the access log before it is answered; no sealed
declaration is read.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import json
from typing import Annotated, Any

import httpx
from fastapi import Query, Request, Response

from services.gateway.auth import Principal
from services.gateway.deps import MAX_PAGE, CadreId, Caller, GatewayDep, UnitId
from services.gateway.docs import READ_ERRORS, WRITE_ERRORS, responses
from services.gateway.negotiation import XLSX, action, answering, negotiated_router, wanted, xlsx_answer
from services.gateway.params import AsOf, KnownAt
from services.gateway.upstream import as_query, json_response, relay_response
from services.portraits import dimensions, search, team, what_if
from shared.answers.portraits import CadreSearch, Portrait, TeamMoves, TeamReport, TeamWhatIf
from shared.documents.portrait_lists import CADRE_SEARCH
from shared.problems import Problem
from shared.settings import today

router = negotiated_router()
MOVES_EXAMPLE = {"as_of": "2025-12-31", "moves": [
    {"kind": "swap", "cadre_id": "c74c06f3-7bbc-442b-9971-498e6ab6d484", "unit_id": "qhd-haigang-fgw",
     "other_cadre_id": "5b0c1f7e-2f0a-4c55-9c55-0c3f2b1f6a10", "other_unit_id": "qhd-haigang-mzj"}]}
MAX_IDS = 1000  # cadre ids in one internal query (the services' limit); more: scoring answers the whole unit
get_read = functools.partial(router.get, responses=responses(READ_ERRORS))


class Upstream422(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _body(answer: httpx.Response, request: Request) -> dict[str, Any]:
    if answer.status_code != 200:
        raise Upstream422(relay_response(answer, request))
    return answer.json()


async def _facts(gw: Any, caller: Principal, request: Request, **params: Any) -> dict[str, Any]:
    return _body(await gw.dossier.call("GET", "/v1/portrait-facts", principal=caller, request=request,
                                       params=as_query(params)), request)


async def _standing(gw: Any, caller: Principal, request: Request, **params: Any) -> dict[str, dict[str, Any]]:
    body = _body(await gw.scoring.call("GET", "/v1/standing", principal=caller, request=request,
                                       params=as_query(params)), request)
    return {c["cadre_id"]: c for c in body["cadres"]}


async def _standing_of(gw: Any, caller: Principal, request: Request, ids: list[str], moment: dict[str, Any],
                       screening: bool) -> dict[str, dict[str, Any]]:
    """Scoring's standing of ``ids`` (any number: the ids go in the body); ``screening`` False: without verdicts."""
    if not ids:
        return {}
    body = _body(await gw.scoring.call("POST", "/v1/standing", principal=caller, request=request,
                                       json={"cadre_ids": ids, "screening": screening, **as_query(moment)}), request)
    return {c["cadre_id"]: c for c in body["cadres"]}


async def _facts_of(gw: Any, caller: Principal, request: Request, ids: list[str],
                    moment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The facts of ``ids``, ``MAX_IDS`` to a call (a page is one call; a workbook of every match, several)."""
    asked = [_facts(gw, caller, request, cadre_id=ids[i:i + MAX_IDS], records=False, entries=False, **moment)
             for i in range(0, len(ids), MAX_IDS)]
    return {f["cadre_id"]: f for answer in await asyncio.gather(*asked) for f in answer["cadres"]}


def _day(as_of: dt.date | None) -> dt.date:
    return as_of or today()


async def _answer(work: Any) -> Response:
    try:
        return await work()
    except Upstream422 as upstream:
        return upstream.response


@get_read("/cadres/{cadre_id}/portrait", tags=["portraits"], response_model=Portrait,
          summary="A cadre's portrait (干部画像): eight dimensions, each with its figures and the records behind them",
          description="As of `as_of` (default today) and as known at `known_at` (default now). Which eight dimensions "
                      "and what each holds: `services/portraits/config/portrait.v1.json` (versioned, reasons given).")
async def get_portrait(cadre_id: CadreId, caller: Caller, request: Request, gw: GatewayDep, as_of: AsOf = None,
                       known_at: KnownAt = None) -> Response:
    day, cid = _day(as_of), str(cadre_id)

    async def fetch() -> Response:
        # Two calls at once: the dossier's facts, and scoring's score, screening, warnings and bands in one answer
        # (services/scoring/portrait_standing.py; it was four calls, bench/RESULTS.md issue 20, third round).
        moment = as_query({"as_of": day, "known_at": known_at})
        found, standing = await asyncio.gather(
            _facts(gw, caller, request, cadre_id=cid, **moment),
            gw.scoring.call("GET", f"/v1/cadres/{cid}/portrait-standing", principal=caller, request=request,
                            params=moment))
        if not found["cadres"]:
            raise Problem(404, "not-found", "No such resource", "nothing with this id is within your reach",
                          rule="object_visible")
        scored = _body(standing, request)
        answer = dimensions.portrait(found["cadres"][0], {
            "score": scored["score"], "screening": scored["screening"], "warnings": scored["warnings"],
            "ranked": dimensions.ranked(scored["bands"])})
        return json_response({**answer, "known_at": found["known_at"]})

    async def work() -> Response:
        await gw.guard.cadre(caller, request, "read_portrait", cid)
        return await _answer(fetch)
    return await gw.audited(caller, request, "get_portrait", cid, work)


Bound = Annotated[int | None, Query(ge=0, le=150)]
Code = Annotated[str | None, Query(min_length=1, max_length=60, pattern=r"^[a-z0-9_]+$")]
Text = Annotated[str | None, Query(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")]
Points = Annotated[float | None, Query(ge=-100_000, le=100_000)]
SEARCH_DESCRIPTION = ("Every condition is optional; those given must all hold (their meaning: "
                      "`services/portraits/search.py`). Sorted by `sort` (`-` first for descending), a page of `limit` "
                      "from `offset`; `Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` "
                      "answers every match as one workbook.")


@router.get("/cadre-search", tags=["portraits"], response_model=CadreSearch, description=SEARCH_DESCRIPTION,
            responses=answering(responses(READ_ERRORS), XLSX),
            summary="Condition search (智能搜索) over a unit subtree of the caller's jurisdiction")
async def cadre_search(
        caller: Caller, request: Request, gw: GatewayDep, unit: Annotated[UnitId | None, Query()] = None,
        as_of: AsOf = None, known_at: KnownAt = None, age_min: Bound = None, age_max: Bound = None,
        rank: Text = None, years_at_rank_min: Bound = None,
        education_min: Annotated[str | None, Query(pattern="^(doctorate|master|bachelor|associate|secondary|other)$")]
        = None,
        major: Text = None, discipline: Code = None, professional_field: Code = None, familiar_field: Code = None,
        unit_class: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
        grade_at_least: Annotated[str | None, Query(pattern="^(excellent|competent|basically_competent|incompetent)$")]
        = None,
        grade_years: Annotated[int, Query(ge=1, le=10)] = 3, points_min: Points = None, points_max: Points = None,
        screening: Annotated[str | None, Query(pattern="^(eligible|ineligible|undetermined)$")] = None,
        active_warning: bool | None = None,
        tag: Annotated[str | None, Query(pattern="^(top|bottom|positive_mark|negative_mark)$")] = None,
        sort: Annotated[str, Query(pattern="^-?(name|age|total|years_at_rank)$")] = "name",
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100, offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    media, day, where = wanted(request, XLSX), _day(as_of), unit or caller.unit or ""
    conditions = search.Conditions(age_min, age_max, rank, years_at_rank_min, education_min, major, discipline,
                                   professional_field, familiar_field, unit_class, grade_at_least, grade_years,
                                   points_min, points_max, screening, active_warning, tag)

    async def fetch() -> Response:
        moment = {"as_of": day, "known_at": known_at}
        # The dossier answers the cadres its facts match (in SQL where it can), with what ordering needs; scoring
        # is asked about all of them only when a condition or the sort needs its standing; the rows, with the
        # facts they show, are built for the page alone (bench/RESULTS.md, issue 20, fourth round).
        found = _body(await gw.dossier.call("GET", "/v1/search-matches", principal=caller, request=request,
                                            params=as_query({"unit": where, "sort": sort, **moment, "where": json.dumps(
                                                dataclasses.asdict(conditions))})), request)
        every, screened = search.needs_standing(conditions, sort), conditions.screening is not None
        # Screening every match is asked only when a condition is on it; the page's rows show it anyway.
        standing = await _standing_of(gw, caller, request, [m["cadre_id"] for m in found["cadres"]], moment,
                                      screened) if every else {}
        briefs = [b for m in found["cadres"] if search.meets_standing(b := search.brief(m, standing.get(m["cadre_id"])),
                                                                       conditions)]
        ordered = search.ordered(briefs, sort)
        chosen = ordered if media == XLSX else ordered[offset:offset + limit]
        ids = [b["cadre_id"] for b in chosen]
        standing, facts = await asyncio.gather(  # the page's: with its verdicts, if not asked already
            asyncio.sleep(0, standing) if every and screened else _standing_of(gw, caller, request, ids, moment, True),
            _facts_of(gw, caller, request, ids, moment))
        page = [search.row(facts[c], standing.get(c)) for c in ids if c in facts]
        following = offset + limit if media != XLSX and offset + limit < len(ordered) else None
        body = {"unit": where, "as_of": day.isoformat(), "known_at": found["known_at"],
                "conditions": conditions.given(), "sort": sort, "matched": len(ordered),
                "next_offset": following, "cadres": page}
        return json_response(body) if media != XLSX else await xlsx_answer(CADRE_SEARCH, "cadre-search.xlsx",
                                                                           json_response(body))

    async def work() -> Response:
        await gw.jurisdiction_of(caller, request, "search_cadres", unit)
        return await _answer(fetch)
    return await gw.audited(caller, request, action("cadre_search", media), None, work)


async def _team(gw: Any, caller: Principal, request: Request, unit_id: str, day: dt.date,
                known_at: dt.datetime | None, extra: list[str] = ()) -> tuple[dict[str, Any], list[dict[str, Any]],
                                                                            dict[str, dict[str, Any]]]:
    """The unit, its team's rows, and the rows of the cadres ``extra`` (candidates for a what-if)."""
    moment = {"as_of": day, "known_at": known_at}
    unit_answer, members, others = await asyncio.gather(
        gw.dossier.call("GET", f"/v1/units/{unit_id}", principal=caller, request=request),
        _facts(gw, caller, request, unit=unit_id, team=True, **moment),
        _facts(gw, caller, request, cadre_id=list(extra), records=False, **moment) if extra
        else asyncio.sleep(0, {"cadres": []}))
    unit = _body(unit_answer, request)
    every = members["cadres"] + others["cadres"]
    standing = await _standing(gw, caller, request, cadre_id=[f["cadre_id"] for f in every], **moment) if every else {}
    rows = [search.row(f, standing.get(f["cadre_id"])) for f in members["cadres"]]
    for r, f in zip(rows, members["cadres"], strict=True):  # the leadership held in this unit
        r["leadership"] = next((p["leadership"] for p in f["career"]["posts"] if p["unit_id"] == unit_id
                                and p["leadership"] in ("chief", "deputy") and (p["end_date"] is None
                                                                               or p["end_date"] >= f["as_of"])),
                               r["leadership"])
    return unit, rows, {f["cadre_id"]: search.row(f, standing.get(f["cadre_id"])) for f in others["cadres"]}


@get_read("/units/{unit_id}/team", tags=["portraits"], response_model=TeamReport,
          summary="A leadership team's structure (班子结构) against the ideal model of its unit class, with every gap",
          description="The chiefs and deputies of the unit on `as_of`, as known at `known_at`. The six dimensions and "
                      "the ideal models: `services/portraits/team.py`, `services/portraits/config/team_models.v1.json`.")
async def team_report(unit_id: UnitId, caller: Caller, request: Request, gw: GatewayDep, as_of: AsOf = None,
                      known_at: KnownAt = None) -> Response:
    day = _day(as_of)

    async def fetch() -> Response:
        unit, rows, _ = await _team(gw, caller, request, unit_id, day, known_at)
        return json_response({**team.report(unit, rows, day), "known_at": known_at.isoformat() if known_at else None})

    async def work() -> Response:
        await gw.jurisdiction_of(caller, request, "read_jurisdiction", unit_id)
        return await _answer(fetch)
    return await gw.audited(caller, request, "team_report", None, work)


@router.post("/teams/what-if", tags=["portraits"], response_model=TeamWhatIf, responses=responses(WRITE_ERRORS, body=True),
             openapi_extra={"requestBody": {"content": {"application/json": {"example": MOVES_EXAMPLE}}}},
             summary="Moves tried on paper (班子模拟配备): each team's structure and gaps after, and the candidates' "
                     "screening (read-only)",
             description="A read that needs a body, hence POST: nothing is recorded (beyond the access log's line), so "
                         "it takes no Idempotency-Key. Every unit and every cadre a move names must be within the "
                         "caller's jurisdiction.")
async def team_what_if(proposal: TeamMoves, caller: Caller, request: Request, gw: GatewayDep) -> Response:
    day = _day(proposal.as_of)
    moves = [what_if.Move(m.kind, m.cadre_id, m.unit_id, m.leadership, m.other_cadre_id, m.other_unit_id)
             for m in proposal.moves]
    units = list(dict.fromkeys([u for m in moves for u in (m.unit_id, m.other_unit_id) if u]))
    incoming = list(dict.fromkeys(m.cadre_id for m in moves if m.kind == "in"))

    async def fetch() -> Response:
        teams = await asyncio.gather(*(_team(gw, caller, request, u, day, None, incoming) for u in units))
        before = {u: rows for u, (_, rows, _) in zip(units, teams, strict=True)}
        info = {u: unit for u, (unit, _, _) in zip(units, teams, strict=True)}
        candidates = teams[0][2] if teams else {}
        try:
            after = what_if.apply(before, {u: info[u].get("unit_class") for u in units}, candidates, moves)
        except what_if.MoveRefused as refused:
            raise Problem(422, "move-refused", str(refused), str(refused), rule=refused.rule,
                          errors=[{"field": refused.field, "rule": refused.rule, "message": str(refused)}]) from None
        return json_response({
            "as_of": day.isoformat(), "moves": [m.model_dump(exclude_none=True) for m in proposal.moves],
            "teams": [{"unit_id": u, "before": team.report(info[u], before[u], day),
                       "after": team.report(info[u], after[u], day)} for u in units],
            "candidates": [{k: c[k] for k in ("cadre_id", "name", "unit_id", "screening", "excluded_by")}
                           for c in candidates.values()]})

    async def work() -> Response:
        gw.guard.require_role(caller, "what_if")
        reach = await gw.guard.reach(caller, request, incoming, units)
        for u in units:
            gw.guard.enforce(caller, "what_if", reach.unit(u), "unit")
        for c in incoming:
            gw.guard.enforce(caller, "what_if", reach.cadres.get(c), "cadre")
        return await _answer(fetch)
    return await gw.audited(caller, request, "team_what_if", None, work)
