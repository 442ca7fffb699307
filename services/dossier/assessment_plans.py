"""How the assessment's operations (issue 16) run on the dossier: the plans of ``plans.plan`` for schemes
(``scheme-<id>``) and for a subject's inputs, in the unit's stream (``unit-<id>``, a unit or its team) or
the cadre's. Every plan of a stream folds it the same way (the unit's ``units.fold``, the cadre's
``domain.fold``): the inputs ride along in both states."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.dossier import domain, units
from services.dossier.domain import assessment_decisions as decisions
from services.dossier.domain import assessment_inputs as inputs
from services.dossier.domain import assessment_rectification as rectification
from services.dossier.domain import assessment_references as refs
from services.dossier.domain import assessment_schemes as schemes
from services.dossier.plans import Plan

OPERATIONS = frozenset({
    "publish_assessment_scheme", "record_unit_assessment_reading", "record_unit_evaluation_score",
    "record_unit_constraint_breach", "revoke_unit_assessment_input", "record_cadre_assessment_reading",
    "record_cadre_evaluation_score", "revoke_cadre_assessment_input", "decide_unit_assessment_grade",
    "decide_cadre_assessment_grade", "file_unit_rectification_report",
})
_RECORD = {"assessment_reading": inputs.record_reading, "evaluation_score": inputs.record_score,
           "constraint_breach": inputs.record_breach}


def scheme_plan(scheme_id: str) -> Plan:
    """A scheme's stream as the decisions read it (its versions), folded as its own plans fold it."""
    return Plan(schemes.stream_id(scheme_id), lambda s, ctx: [], {}, fold=lambda sid, ev: schemes.fold(ev))


def _referring(plan: Plan, scheme_id: str, check: Callable[[tuple], None]) -> Plan:
    """``plan``, reading the scheme it refers to and checking it (``assessment_references``) after its own
    decision: the subject's refusals (no such unit, a year not begun) come first, and nothing is written
    unless both pass."""
    decide = plan.decide

    def run(state: Any, ctx: Any) -> list:
        events = decide(state, ctx)
        check(ctx.schemes.get(scheme_id, ()))
        return events
    plan.decide, plan.schemes = run, [scheme_id]
    return plan


def _check_of(operation: str, cmd: Any, year: int) -> Callable[[tuple], None]:
    if operation.endswith("_evaluation_score"):
        return lambda v: refs.require_scored_component(v, cmd.scheme_id, cmd.component_id, year)
    if operation.endswith(("_assessment_reading", "_constraint_breach")):
        return lambda v: refs.require_indicator(v, cmd.scheme_id, cmd.indicator_id, year)
    kind = getattr(cmd, "subject_kind", "cadre")  # a decision
    return lambda v: refs.require_kind(v, cmd.scheme_id, kind)


def plan(operation: str, cmd: Any, params: dict[str, str], new_id: str) -> Plan:
    year = int(params.get("year", 0) or 0)
    if operation == "publish_assessment_scheme":
        scheme_id = schemes.scheme_id_of(cmd)
        return Plan(schemes.stream_id(scheme_id), lambda s, ctx: schemes.publish(s, cmd),
                    {"scheme_id": scheme_id}, fold=lambda sid, ev: schemes.fold(ev))
    if operation == "decide_unit_assessment_grade":
        unit_id = params["unit_id"]
        return _referring(Plan(units.stream_id(unit_id),
                               lambda s, ctx: decisions.decide_unit(s, year, cmd, ctx.today.year),
                               {"year": year, "grade": cmd.grade}, fold=lambda sid, ev: units.fold(unit_id, ev)),
                          cmd.scheme_id, _check_of(operation, cmd, year))
    if operation == "file_unit_rectification_report":
        unit_id = params["unit_id"]
        return Plan(units.stream_id(unit_id),
                    lambda s, ctx: rectification.file_report(s.rectifications, s.exists, unit_id, year, cmd),
                    {"unit_id": unit_id, "year": year, "scheme_id": cmd.scheme_id},
                    fold=lambda sid, ev: units.fold(unit_id, ev))
    if operation == "decide_cadre_assessment_grade":
        return _referring(Plan(params["cadre_id"], lambda s, ctx: decisions.decide_cadre(s, year, cmd, ctx),
                               {"year": year, "grade": cmd.grade.value}),
                          cmd.scheme_id, _check_of(operation, cmd, year))
    _, _, what = operation.removeprefix("record_").removeprefix("revoke_").partition("_")
    if "unit_id" in params:
        unit_id = params["unit_id"]

        def unit_state(state: units.Unit) -> tuple[inputs.AssessmentInputs, inputs.Subject]:
            return state.assessment, inputs.Subject("unit", unit_id, state.exists)

        stream, fold, of = units.stream_id(unit_id), (lambda sid, ev: units.fold(unit_id, ev)), unit_state
    else:
        cadre_id = params["cadre_id"]

        def cadre_state(state: domain.Dossier) -> tuple[inputs.AssessmentInputs, inputs.Subject]:
            return state.assessment_inputs, inputs.Subject("cadre", cadre_id, state.exists)

        stream, fold, of = cadre_id, domain.fold, cadre_state
    if operation.startswith("revoke_"):
        input_id = params["input_id"]
        return Plan(stream, lambda s, ctx: inputs.revoke_input(of(s)[0], year, input_id, cmd),
                    {"input_id": input_id, "year": year, "revoked": True}, fold=fold)
    record = _RECORD[what]
    return _referring(Plan(stream, lambda s, ctx: record(*of(s), year, cmd, new_id, ctx.today),
                           {"input_id": new_id, "year": year}, fold=fold),
                      cmd.scheme_id, _check_of(operation, cmd, year))
