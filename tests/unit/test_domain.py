"""The dossier's fold and decisions, and the command rules, without a database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError

from services.dossier import domain
from shared.commands import RecordEntry, RegisterCadre, RevokeEntry

TODAY = dt.date(2026, 11, 21)
BASIS = {"reason": "市委通报表扬", "document": "组字〔2026〕8号"}


def entry(**overrides) -> RecordEntry:
    fields = {"kind": "positive", "category": "表彰奖励", "title": "先进个人", "points": 3,
              "effective_date": "2026-05-01", "basis": BASIS, **overrides}
    return RecordEntry.model_validate(fields)


def registered() -> domain.Dossier:
    state = domain.Dossier("c-1")
    events = domain.register_cadre(state, RegisterCadre(name="张伟", unit_id="u-1"))
    return domain.fold("c-1", events)


def test_register_then_record_then_revoke() -> None:
    state = registered()
    assert state.exists and state.version == 1 and state.name == "张伟"
    recorded = domain.record_entry(state, entry(), "e-1", TODAY)
    state = domain.fold("c-1", [*domain.register_cadre(domain.Dossier("c-1"), RegisterCadre(name="张伟", unit_id="u-1")),
                                *recorded])
    assert state.version == 2 and state.entries["e-1"].points == Decimal(3)
    revoked = domain.revoke_entry(state, "e-1", RevokeEntry(reason="申诉成立"))
    state = domain.evolve(state, revoked[0])
    assert state.entries["e-1"].revoked and state.version == 3


def test_registering_twice_is_refused() -> None:
    with pytest.raises(domain.AlreadyDone):
        domain.register_cadre(registered(), RegisterCadre(name="x", unit_id="u"))


def test_recording_for_an_unknown_cadre_is_not_found() -> None:
    with pytest.raises(domain.CadreNotFound):
        domain.record_entry(domain.Dossier("nobody"), entry(), "e-1", TODAY)


def test_an_entry_dated_after_today_is_refused_naming_the_field() -> None:
    with pytest.raises(domain.DomainError) as err:
        domain.record_entry(registered(), entry(effective_date="2026-11-22"), "e-1", TODAY)
    assert err.value.field == "effective_date" and err.value.rule == "not_in_future"


def test_revoking_an_unknown_or_revoked_entry_is_refused() -> None:
    state = registered()
    with pytest.raises(domain.EntryNotFound):
        domain.revoke_entry(state, "e-404", RevokeEntry(reason="r"))
    state = domain.evolve(state, domain.record_entry(state, entry(), "e-1", TODAY)[0])
    state = domain.evolve(state, domain.revoke_entry(state, "e-1", RevokeEntry(reason="r"))[0])
    with pytest.raises(domain.AlreadyDone):
        domain.revoke_entry(state, "e-1", RevokeEntry(reason="again"))


@pytest.mark.parametrize(("kind", "points", "ok"), [
    ("positive", 1, True), ("positive", 0, False), ("positive", -1, False),
    ("negative", -0.5, True), ("negative", 0, False), ("negative", 2, False),
    ("achievement", 0, True), ("achievement", 5, True), ("achievement", -1, False),
])
def test_points_sign_follows_the_kind(kind: str, points: float, ok: bool) -> None:
    if ok:
        assert entry(kind=kind, points=points).points == Decimal(str(points))
    else:
        with pytest.raises(ValidationError) as err:
            entry(kind=kind, points=points)
        assert err.value.errors()[0]["loc"] == ("points",)


@pytest.mark.parametrize("overrides", [
    {"points": 1000.5}, {"points": 1.234}, {"basis": {"reason": "", "document": "x"}},
    {"basis": {"reason": "r"}}, {"effective_date": "1900-01-01"}, {"unexpected": 1}, {"kind": "bonus"},
    {"title": ""},
])
def test_bad_commands_are_refused(overrides: dict) -> None:
    with pytest.raises(ValidationError):
        entry(**overrides)
