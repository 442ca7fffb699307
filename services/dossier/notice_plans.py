"""How the notices' operations (issue 16 step 6) run on the dossier: plans on the unit's stream, folded as every
plan of that stream folds it (``units.fold``, which carries the notices' state)."""

from __future__ import annotations

from typing import Any

from services.dossier import units
from services.dossier.domain import assessment_notices as notices
from services.dossier.plans import Plan

OPERATIONS = frozenset({"issue_unit_assessment_notice", "answer_unit_assessment_notice"})


def plan(operation: str, cmd: Any, params: dict[str, str], new_id: str) -> Plan:
    unit_id, year = params["unit_id"], int(params.get("year", 0) or 0)
    fold = lambda sid, ev: units.fold(unit_id, ev)  # noqa: E731
    if operation == "issue_unit_assessment_notice":
        return Plan(units.stream_id(unit_id),
                    lambda s, ctx: notices.issue(s.notices, unit_id, s.exists, year, cmd, new_id, ctx.today),
                    {"notice_id": new_id, "year": year}, fold=fold)
    notice_id = params["notice_id"]
    return Plan(units.stream_id(unit_id), lambda s, ctx: notices.answer(s.notices, year, notice_id, cmd, ctx.today),
                {"notice_id": notice_id, "year": year, "answered": True}, fold=fold)
