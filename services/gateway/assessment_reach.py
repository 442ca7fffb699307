"""Who sees which subjects of the annual assessment (issue 16): a clerk or auditor of a county reads the
county's units (and teams) and cadres; one of the city reads all of them. Ranks and the two ends stay those of
the whole class (a county's unit ranks among the city's class), but the rows of subjects outside the
jurisdiction are left out; one subject outside it answers 404, as a hidden cadre does. Used by every
assessment read: results, a subject, consequences, tracking, the registration form's composite."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from fastapi import Request

from services.gateway.auth import Principal
from services.gateway.policy import allowed

CADRE_IDS_PER_CALL = 1000  # what the dossier's relations take at once


def _cadre_like(subject_id: str) -> bool:
    try:
        uuid.UUID(subject_id)
    except ValueError:
        return False
    return True


async def visible(gw: Any, caller: Principal, request: Request, subject_ids: Iterable[str]) -> set[str]:
    """Which of ``subject_ids`` (units and cadres) the caller's jurisdiction holds."""
    ids = set(subject_ids)
    reach = await gw.guard.reach(caller, request, whole_jurisdiction=True)
    seen = ids & reach.units
    cadres = sorted(i for i in ids - seen if _cadre_like(i))
    for start in range(0, len(cadres), CADRE_IDS_PER_CALL):
        found = await gw.guard.reach(caller, request, cadres[start:start + CADRE_IDS_PER_CALL])
        seen |= {c for c in cadres[start:start + CADRE_IDS_PER_CALL]
                 if allowed(caller.role, "read_assessment", found.cadres.get(c, ()))}
    return seen


async def require_subject(gw: Any, caller: Principal, request: Request, subject_id: str) -> None:
    """One subject's read: 404 (as for a hidden cadre) when it lies outside the caller's jurisdiction."""
    gw.guard.require_role(caller, "read_assessment")
    cadres = [subject_id] if _cadre_like(subject_id) else []
    reach = await gw.guard.reach(caller, request, cadres, [subject_id])
    gw.guard.enforce(caller, "read_assessment", reach.unit(subject_id) | reach.cadres.get(subject_id, frozenset()),
                     "cadre" if cadres else "unit")


async def within(gw: Any, caller: Principal, request: Request, answer: Any, rows: str,
                 fields: tuple[str, ...] = ("subject_id",)) -> dict[str, Any]:
    """The scoring ``answer``'s body with only the ``rows`` whose subject (or bearer) the caller sees."""
    body = answer.json()
    ids = {r[f] for r in body[rows] for f in fields}
    seen = await visible(gw, caller, request, ids)
    body[rows] = [r for r in body[rows] if any(r[f] in seen for f in fields)]
    return body
