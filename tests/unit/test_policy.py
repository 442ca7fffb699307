"""The authorization policy, pure: role x action x relation -> allow, hide (404), forbid (403)."""

from __future__ import annotations

import pytest

from services.gateway.policy import (
    CLERK_DOSSIER_WRITES,
    GRANTS,
    OWN_DRAFTS,
    ROLES,
    SUPERIOR_ACTS,
    Decision,
    Relation,
    decide,
)
from shared.commands import OPERATIONS

SELF, SUB, J = {Relation.SELF}, {Relation.SUBORDINATE}, {Relation.IN_JURISDICTION}
ADMINS = ("system_admin", "security_admin", "audit_admin")


def test_every_write_has_grants_and_every_grant_a_known_role() -> None:
    assert {op.name for op in OPERATIONS} <= GRANTS.keys()
    assert all(set(grants) <= set(ROLES) for grants in GRANTS.values())


@pytest.mark.parametrize("action", [op.name for op in OPERATIONS] + ["read_cadre"])
@pytest.mark.parametrize("role", ADMINS)
def test_no_administrator_reads_or_changes_a_dossier(role: str, action: str) -> None:
    for relations in (set(), SELF, SUB, J, SELF | SUB | J):
        assert decide(role, action, relations, "cadre") is Decision.FORBID


def test_a_cadre_reads_and_drafts_only_their_own() -> None:
    assert decide("cadre", "read_cadre", SELF, "cadre") is Decision.ALLOW
    assert decide("cadre", "read_cadre", J, "cadre") is Decision.HIDE  # a colleague: as if absent
    for action in OWN_DRAFTS:
        assert decide("cadre", action, SELF, "cadre") is Decision.ALLOW
        assert decide("cadre", action, set(), "cadre") is Decision.HIDE
    assert decide("cadre", "record_entry", SELF, "cadre") is Decision.FORBID  # never theirs to do


def test_a_leader_reads_and_endorses_only_subordinates() -> None:
    assert decide("leader", "read_cadre", SUB, "cadre") is Decision.ALLOW
    assert decide("leader", "read_cadre", J, "cadre") is Decision.HIDE
    for action in SUPERIOR_ACTS:
        assert decide("leader", action, SUB, "cadre") is Decision.ALLOW
        assert decide("leader", action, SELF, "cadre") is Decision.FORBID  # not their own report
        assert decide("leader", action, J, "cadre") is Decision.HIDE
    assert decide("leader", "save_report", SUB, "cadre") is Decision.FORBID  # a subordinate's draft is theirs


def test_a_clerk_writes_inside_the_jurisdiction_and_an_auditor_writes_nothing() -> None:
    for action in CLERK_DOSSIER_WRITES:
        assert decide("clerk", action, J, "cadre") is Decision.ALLOW
        assert decide("clerk", action, set(), "cadre") is Decision.HIDE
        assert decide("auditor", action, J, "cadre") is Decision.FORBID
    assert decide("auditor", "read_cadre", J, "cadre") is Decision.ALLOW
    assert decide("auditor", "read_cadre", set(), "cadre") is Decision.HIDE
    assert decide("clerk", "define_category", J, None) is Decision.FORBID
    assert decide("clerk", "define_category", {Relation.TOP_LEVEL}, None) is Decision.ALLOW


def test_the_access_log_is_for_auditors_and_the_audit_administrator() -> None:
    assert decide("audit_admin", "read_access_log", set(), None) is Decision.ALLOW
    assert decide("auditor", "read_access_log", J, "cadre") is Decision.ALLOW
    assert decide("auditor", "read_access_log", set(), "cadre") is Decision.HIDE
    for role in ("cadre", "leader", "clerk", "system_admin", "security_admin"):
        assert decide(role, "read_access_log", J, "cadre") is Decision.FORBID
