"""Who may do what to which object: role x action x relation-to-object -> allow, hide (404), forbid (403).

Decision (issue 5): authorization is enforced **in the gateway**, object by object, with this pure
policy. The gateway asks the dossier (which owns units, posts and cadres) for the caller's relation
to the object (``services/dossier/access.py``: self, subordinate, in-jurisdiction, or none) and
decides here before anything is forwarded. The services stay trusting internal components behind
the gateway; one policy in one place is easier to read, test and audit than checks spread over two
services, and the matrix test (tests/e2e/test_authorization_matrix.py) runs it over every route.

Rules (MLPS 2.0 level 3 separation of duties):
- cadre: reads their own dossier, writes their own drafts (basics, self-evaluation, achievements,
  quarterly reports, appeals).
- leader: a cadre too (their own dossier and drafts), plus reads and endorses/returns reports and
  verifies/rejects achievements of their subordinates (from the posts, ``directory.superiors``).
- clerk: reads and writes lists, assessments, posts, declarations, cadres and units inside their
  jurisdiction (their unit's subtree); the catalogue and bulk imports only from a top-level unit.
- auditor: reads inside their jurisdiction, writes nothing; reads the access log.
- system_admin (operations jobs), security_admin (nothing here: keys and tokens live outside the
  API), audit_admin (the access log): none of them reads or changes a dossier.

A refusal is 403 when the caller may know the object exists (they may read it, or their role can
never do the action at all, which reveals nothing about the object), and 404 otherwise, so ids
cannot be probed: an object outside one's reach answers exactly like one that does not exist.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable


class Decision(enum.Enum):
    ALLOW = "allow"
    HIDE = "hide"  # 404: as if the object did not exist
    FORBID = "forbid"  # 403


class Relation(enum.StrEnum):
    """How the caller stands to the object of a request."""

    SELF = "self"  # the caller's own dossier
    SUBORDINATE = "subordinate"  # the caller is the cadre's superior today
    IN_JURISDICTION = "in_jurisdiction"  # the object lies in the caller's unit subtree
    TOP_LEVEL = "top_level"  # the caller's unit is a top-level unit (for the system-wide catalogue)
    ANY = "any"  # objects everyone with the role may see (the catalogue)


ROLES = ("cadre", "leader", "clerk", "auditor", "system_admin", "security_admin", "audit_admin")
DOSSIER_ROLES = ("cadre", "leader", "clerk", "auditor")

S, SUB, J, TOP, ANY = (Relation.SELF, Relation.SUBORDINATE, Relation.IN_JURISDICTION, Relation.TOP_LEVEL,
                       Relation.ANY)

# The cadre's own drafts.
OWN_DRAFTS = ("record_basics", "write_self_evaluation", "claim_achievement", "save_report", "submit_report",
              "file_appeal")
# What a superior does to a subordinate's record.
SUPERIOR_ACTS = ("verify_achievement", "reject_achievement", "endorse_report", "return_report")
# What the organization department writes into a dossier.
CLERK_DOSSIER_WRITES = ("assign_post", "end_post", "transfer", "record_entry", "amend_entry", "revoke_entry",
                        "decide_appeal", "record_annual_grade", "record_appraisal_level",
                        "record_democratic_evaluation", "record_scores", "record_integrity_veto",
                        "record_declaration",
                        # the facts a portrait needs (issue 20)
                        "record_education", "record_expertise", "record_external_result", "revoke_external_result")
CLERK_UNIT_WRITES = ("register_unit", "record_team_grade", "record_target_evaluation", "register_cadre")
ASSESSMENT_INPUT_WRITES = ("record_unit_assessment_reading", "record_unit_evaluation_score",
                           "record_unit_constraint_breach", "revoke_unit_assessment_input",
                           "record_cadre_assessment_reading", "record_cadre_evaluation_score",
                           "revoke_cadre_assessment_input", "decide_unit_assessment_grade",
                           "decide_cadre_assessment_grade", "issue_unit_assessment_notice",
                           "answer_unit_assessment_notice")

# action -> role -> relations that allow it. A role missing from an action's row can never do it.
GRANTS: dict[str, dict[str, tuple[Relation, ...]]] = {
    # reads of one cadre (dossier, events, appraisal sheet, score, screening, warnings)
    "read_cadre": {"cadre": (S,), "leader": (S, SUB), "clerk": (J,), "auditor": (J,)},
    # reads of one unit, and which units a list shows
    "read_unit": {"cadre": (J,), "leader": (J,), "clerk": (J,), "auditor": (J,)},
    "read_catalogue": {"cadre": (ANY,), "leader": (ANY,), "clerk": (ANY,), "auditor": (ANY,)},
    # screenings, rankings, what-if of a unit subtree
    "read_jurisdiction": {"clerk": (J,), "auditor": (J,)},
    # the cadre list of a unit subtree, searched by name, post, leadership (issue 15)
    "search_cadres": {"clerk": (J,), "auditor": (J,)},
    # what waits for the caller: a leader's subordinates' reports and achievements, a clerk's appeals
    "read_tasks": {"leader": (S,), "clerk": (J,)},
    "what_if": {"clerk": (J,)},
    # a cadre's portrait (issue 20): the organization department's most sensitive read of one cadre
    "read_portrait": {"clerk": (J,), "auditor": (J,)},
    "define_category": {"clerk": (TOP,)},
    # A file's rows may name any cadre and unit, and the dossier does not check them one by one against a
    # jurisdiction: so imports are for the organization department at the top (a spreadsheet of the city's,
    # the migration of an old system).
    "bulk_import": {"clerk": (TOP,)},
    "daily_refresh": {"system_admin": (ANY,)},
    "read_access_log": {"auditor": (J,), "audit_admin": (ANY,)},
    **{op: {"cadre": (S,), "leader": (S,)} for op in OWN_DRAFTS},
    **{op: {"leader": (SUB,)} for op in SUPERIOR_ACTS},
    **{op: {"clerk": (J,)} for op in CLERK_DOSSIER_WRITES + CLERK_UNIT_WRITES},
    # The annual comprehensive assessment (issue 16): a scheme is the top-level assessment office's; the
    # inputs of a unit or cadre are written by a clerk whose jurisdiction holds it.
    "publish_assessment_scheme": {"clerk": (TOP,)},
    # a scheme's results, rankings, one subject's explained result and the consequences acted on:
    # a clerk or auditor sees the subjects of their subtree (the county's units and cadres; the city's all of them)
    "read_assessment": {"clerk": (J,), "auditor": (J,)},
    **{op: {"clerk": (J,)} for op in ASSESSMENT_INPUT_WRITES},
    # its consequences (step 5): a unit's rectification report is filed by a clerk whose jurisdiction holds it;
    # the consequences acted on, and a what-if on a scheme (step 7), are read within the caller's jurisdiction
    "file_unit_rectification_report": {"clerk": (J,)},
    "assessment_what_if": {"clerk": (J,)},
}

# Which read decides whether a refused caller may learn that the object exists.
VISIBILITY = {"cadre": "read_cadre", "unit": "read_unit"}


def allowed(role: str, action: str, relations: Iterable[Relation]) -> bool:
    granted = GRANTS[action].get(role, ())
    have = set(relations) | {ANY}
    return any(r in have for r in granted)


def decide(role: str, action: str, relations: Iterable[Relation], kind: str | None = None) -> Decision:
    """``relations``: every relation the caller has to the object (empty: none, or no such object);
    ``kind``: "cadre" or "unit" when the object is one (a refused caller who cannot see it gets 404)."""
    relations = frozenset(relations)
    if allowed(role, action, relations):
        return Decision.ALLOW
    if role not in GRANTS[action] or kind is None:
        return Decision.FORBID
    return Decision.FORBID if allowed(role, VISIBILITY[kind], relations) else Decision.HIDE


def may_ever(role: str, action: str) -> bool:
    return role in GRANTS[action]
