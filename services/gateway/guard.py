"""The policy (policy.py) applied to a request: the caller's relations, asked of the dossier (and kept
between requests until they may have changed: reach_cache.py), turned into a decision, and a refusal
into problem+json. Also the per-request access-log entry.

A cadre that does not exist and one the caller may not see answer the same 404 ``not-found``
(same type, title and detail), so an id cannot be probed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from fastapi import Request

from services.gateway.auth import Principal
from services.gateway.policy import Decision, Relation, decide, may_ever
from services.gateway.reach_cache import ReachCache
from shared.group_commit import GroupCommit
from shared.problems import Problem
from shared.telemetry import request_id


class Calls(Protocol):
    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response: ...


def not_found() -> Problem:
    return Problem(404, "not-found", "No such resource", "nothing with this id is within your reach",
                   rule="object_visible")


def forbidden(role: str) -> Problem:
    return Problem(403, "forbidden", "Your role may not do this", f"the role {role} may not do this to this object",
                   rule="role_permission")


@dataclass(frozen=True)
class Reach:
    """What the caller reaches: the units of their jurisdiction among those asked about (or all of them),
    whether their unit is top-level, and their relation to the cadres asked about."""

    principal: Principal
    units: frozenset[str] = frozenset()
    top_level: bool = False
    cadres: dict[str, frozenset[Relation]] = field(default_factory=dict)

    def unit(self, unit_id: str | None) -> frozenset[Relation]:
        return frozenset({Relation.IN_JURISDICTION}) if unit_id in self.units else frozenset()

    def new_unit(self, unit_id: str, parent_id: str | None) -> frozenset[Relation]:
        """A unit about to be registered lies in the jurisdiction when its parent does, or when it is
        the caller's own unit (how the organization department of a city registers the city)."""
        return self.unit(parent_id) | (frozenset({Relation.IN_JURISDICTION})
                                       if unit_id == self.principal.unit else frozenset())

    def top_level_relations(self) -> frozenset[Relation]:
        """Top-level: the whole city's catalogue, and bulk imports whose rows may name any of its cadres."""
        return frozenset({Relation.TOP_LEVEL}) if self.top_level else frozenset()


class Guard:
    def __init__(self, dossier: Calls, relations_check_s: float = 0.0) -> None:
        self._dossier = dossier
        # The dossier's answers kept between requests, until they may have changed (reach_cache.py).
        self.kept = ReachCache(self._relations_version, relations_check_s)
        # One call to the dossier's access log per request was a third of the internal calls; the entries
        # of concurrent requests go together instead, each request still answered only once its entry is in.
        self._log = GroupCommit(self._write_log)

    async def reach(self, principal: Principal, request: Request, cadre_ids: Iterable[str] = (),
                    unit_ids: Iterable[str] = (), whole_jurisdiction: bool = False) -> Reach:
        """``unit_ids``: the units whose place in the jurisdiction the decision needs; ``whole_jurisdiction``:
        all of them (a city's are thousands, so only to list or filter by them)."""
        params: dict[str, Any] = {"subject": principal.subject, "cadre_id": sorted(set(cadre_ids)),
                                  "unit_id": sorted(set(unit_ids))}
        if whole_jurisdiction:
            params["whole_jurisdiction"] = "true"
        if principal.unit:
            params["unit"] = principal.unit
        key = (principal.subject, principal.unit, tuple(params["cadre_id"]), tuple(params["unit_id"]),
               whole_jurisdiction)
        body = await self.kept.get(key)
        if body is None:
            generation = self.kept.generation
            answer = await self._dossier.call("GET", "/v1/access/relations", request=request, params=params)
            if answer.status_code != 200:
                raise Problem(503, "upstream-unavailable", "The dossier service is unavailable",
                              f"relations answered {answer.status_code}")
            body = answer.json()
            self.kept.keep(key, body, generation)
        return Reach(principal, frozenset(body["jurisdiction"]), body["top_level"],
                     {c: frozenset(Relation(r) for r in rs) for c, rs in body["cadres"].items()})

    async def _relations_version(self) -> str:
        answer = await self._dossier.call("GET", "/v1/access/version")
        if answer.status_code != 200:
            raise Problem(503, "upstream-unavailable", "The dossier service is unavailable",
                          f"the relations' version answered {answer.status_code}")
        return str(answer.json()["version"])

    @staticmethod
    def require_role(principal: Principal, action: str) -> None:
        """403 at once when the role can never do ``action`` (it reveals nothing about any object)."""
        if not may_ever(principal.role, action):
            raise forbidden(principal.role)

    @staticmethod
    def enforce(principal: Principal, action: str, relations: frozenset[Relation] | None,
                kind: str | None) -> None:
        """``relations`` None: the object does not exist (404 like a hidden one)."""
        decision = decide(principal.role, action, relations or frozenset(), kind)
        if decision is Decision.FORBID:
            raise forbidden(principal.role)
        if decision is Decision.HIDE:
            raise not_found()

    async def cadre(self, principal: Principal, request: Request, action: str, cadre_id: str) -> Reach:
        self.require_role(principal, action)
        reach = await self.reach(principal, request, [cadre_id])
        self.enforce(principal, action, reach.cadres.get(cadre_id), "cadre")
        return reach

    async def log(self, principal: Principal, request: Request, *, action: str, status: int,
                  cadre_id: str | None = None) -> None:
        """One access-log entry; 503 when it cannot be written, so nothing is answered unlogged."""
        data = {"unit": principal.unit, "client": request.client.host if request.client else None,
                "method": request.method, "path": request.url.path, "query": str(request.url.query) or None,
                "action": action, "cadre_id": cadre_id, "status": status,
                "outcome": "allowed" if status < 400 else "refused" if status < 500 else "failed",
                "request_id": request_id(request)}
        await self._log.submit({"subject": principal.subject, "role": principal.role, "data": data})

    async def _write_log(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            answer = await self._dossier.call("POST", "/v1/access-log", json={"entries": entries})
        except Problem as exc:
            raise Problem(503, "access-log-unavailable", "The access log cannot be written; nothing was answered",
                          str(exc)) from exc
        if answer.status_code != 201:
            raise Problem(503, "access-log-unavailable", "The access log cannot be written; nothing was answered",
                          f"the access log answered {answer.status_code}")
        return answer.json()["entries"]
