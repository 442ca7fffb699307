"""How each operation of ``shared.commands.OPERATIONS`` runs on the dossier (a ``Plan``): which stream it
writes, how that stream folds, what the decision must know of the world, and which decision of the
domain it takes. ``DossierService`` runs every plan through one pipeline."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.dossier import catalogue as cat
from services.dossier import domain, units
from services.dossier.domain import profile
from shared.events import CategoryDefined, DeclarationKind, DomainEvent

# Seals a declaration's details: (cadre id, kind, details) -> (sealed details, key id).
Seal = Callable[[str, DeclarationKind, str], tuple[str, str]]


@dataclass
class Plan:
    """How one operation runs: which stream, how to fold it, what to look up, what to decide."""

    stream_id: str
    decide: Callable[[Any, domain.Context], list[DomainEvent]]
    ids: dict[str, Any]  # what the answer names besides the version
    fold: Callable[[str, Sequence[DomainEvent]], Any] = domain.fold
    catalogue: bool = False
    superiors: bool = False
    unit_ids: list[str] = field(default_factory=list)
    schemes: list[str] = field(default_factory=list)  # assessment schemes the decision reads (issue 16)


# The catalogue's stream, read as a plan of its own wherever a decision needs the categories.
CATALOGUE = Plan(cat.STREAM_ID, lambda state, ctx: [], {}, fold=lambda stream_id, events: cat.fold(events))


def plan(operation: str, cmd: Any, params: dict[str, str], seal: Seal, new_id: str | None = None) -> Plan:
    """The plan of ``operation`` with its command and path ``params``. ``new_id``: the id of what the command
    creates (cadre, post, entry...), when the caller chose it (an import carries the ids of the system it
    comes from); a fresh UUID otherwise. ``seal``: how a declaration's details are sealed."""
    cadre = params.get("cadre_id", "")
    year = int(params.get("year", 0) or 0)
    period = params.get("period", "")
    new_id = new_id or str(uuid.uuid4())
    match operation:
        case "register_unit":
            return Plan(units.stream_id(cmd.unit_id),
                        lambda s, ctx: units.register_unit(s, cmd, ctx.unit_levels.get(cmd.parent_id or "")),
                        {"unit_id": cmd.unit_id}, fold=lambda sid, ev: units.fold(cmd.unit_id, ev),
                        unit_ids=[cmd.parent_id] if cmd.parent_id else [])
        case "record_team_grade" | "record_target_evaluation":
            unit_id, decide = params["unit_id"], getattr(units, operation)
            return Plan(units.stream_id(unit_id), lambda s, ctx: decide(s, year, cmd, ctx.today.year),
                        {"unit_id": unit_id, "year": year}, fold=lambda sid, ev: units.fold(unit_id, ev))
        case "define_category":
            definition = CategoryDefined(**cmd.model_dump())
            return Plan(cat.STREAM_ID, lambda s, ctx: cat.define_category(s, definition), {"code": cmd.code},
                        fold=CATALOGUE.fold)
        case "register_cadre":
            return Plan(new_id, lambda s, ctx: domain.register_cadre(s, cmd, ctx), {"id": new_id},
                        unit_ids=[cmd.unit_id])
        case "record_basics":
            return Plan(cadre, lambda s, ctx: domain.record_basics(s, cmd, ctx), {})
        case "write_self_evaluation":
            return Plan(cadre, lambda s, ctx: domain.write_self_evaluation(s, cmd, ctx), {})
        case "assign_post":
            return Plan(cadre, lambda s, ctx: domain.assign_post(s, cmd, new_id, ctx), {"post_id": new_id},
                        unit_ids=[cmd.unit_id])
        case "end_post":
            return Plan(cadre, lambda s, ctx: domain.end_post(s, params["post_id"], cmd, ctx),
                        {"post_id": params["post_id"]})
        case "transfer":
            return Plan(cadre, lambda s, ctx: domain.transfer(s, cmd, new_id, ctx), {"post_id": new_id},
                        unit_ids=[cmd.unit_id])
        case "claim_achievement":
            return Plan(cadre, lambda s, ctx: domain.claim_achievement(s, cmd, new_id, ctx),
                        {"achievement_id": new_id})
        case "verify_achievement" | "reject_achievement":
            decide = domain.verify_achievement if operation == "verify_achievement" else domain.reject_achievement
            aid = params["achievement_id"]
            return Plan(cadre, lambda s, ctx: decide(s, aid, cmd, ctx), {"achievement_id": aid},
                        catalogue=True, superiors=True)
        case "save_report":
            return Plan(cadre, lambda s, ctx: domain.save_report(s, period, cmd, ctx),
                        {"period": period, "status": "draft"})
        case "submit_report":
            return Plan(cadre, lambda s, ctx: domain.submit_report(s, period, ctx),
                        {"period": period, "status": "submitted"})
        case "endorse_report":
            return Plan(cadre, lambda s, ctx: domain.endorse_report(s, period, cmd, ctx),
                        {"period": period, "status": "endorsed"}, superiors=True)
        case "return_report":
            return Plan(cadre, lambda s, ctx: domain.return_report(s, period, cmd, ctx),
                        {"period": period, "status": "returned"}, superiors=True)
        case "record_entry":
            return Plan(cadre, lambda s, ctx: domain.record_entry(s, cmd, new_id, ctx), {"entry_id": new_id},
                        catalogue=True)
        case "amend_entry":
            eid = params["entry_id"]
            return Plan(cadre, lambda s, ctx: domain.amend_entry(s, eid, cmd, ctx), {"entry_id": eid}, catalogue=True)
        case "revoke_entry":
            eid = params["entry_id"]
            return Plan(cadre, lambda s, ctx: domain.revoke_entry(s, eid, cmd), {"entry_id": eid, "revoked": True})
        case "file_appeal":
            eid = params["entry_id"]
            return Plan(cadre, lambda s, ctx: domain.file_appeal(s, eid, cmd, new_id, ctx),
                        {"appeal_id": new_id, "entry_id": eid})
        case "decide_appeal":
            aid = params["appeal_id"]
            return Plan(cadre, lambda s, ctx: domain.decide_appeal(s, aid, cmd, ctx),
                        {"appeal_id": aid, "outcome": cmd.outcome.value})
        case "record_annual_grade" | "record_appraisal_level" | "record_democratic_evaluation" \
                | "record_scores" | "record_integrity_veto":
            decide = getattr(domain, operation)
            return Plan(cadre, lambda s, ctx: decide(s, year, cmd, ctx), {"year": year})
        case "record_declaration":
            kind = DeclarationKind(params["declaration"])

            def declare(s: domain.Dossier, ctx: domain.Context) -> list[DomainEvent]:
                domain.require_cadre(s)
                sealed, key_id = seal(cadre, kind, cmd.details)
                return domain.record_declaration(s, kind, cmd.flagged, sealed, key_id)

            return Plan(cadre, declare, {"declaration": kind.value})
    from services.dossier import assessment_plans  # the assessment's plans (issue 16), which import Plan

    if operation in assessment_plans.OPERATIONS:
        return assessment_plans.plan(operation, cmd, params, new_id)
    # the facts a portrait needs (issue 20)
    if operation == "record_external_result":
        return Plan(cadre, lambda s, ctx: profile.record_external_result(s, cmd, new_id, ctx), {"result_id": new_id})
    if operation == "revoke_external_result":
        rid = params["result_id"]
        return Plan(cadre, lambda s, ctx: profile.revoke_external_result(s, rid, cmd, ctx), {"result_id": rid})
    if operation in ("record_education", "record_expertise"):
        decide_fact = getattr(profile, operation)
        return Plan(cadre, lambda s, ctx: decide_fact(s, cmd, ctx), {})

    from services.dossier import notice_plans  # its notices (step 6)

    if operation in notice_plans.OPERATIONS:
        return notice_plans.plan(operation, cmd, params, new_id)
    raise KeyError(operation)
