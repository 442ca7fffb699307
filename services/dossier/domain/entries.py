"""Entries of the positive (正面清单) and negative (负面清单) lists, checked against the catalogue, and the
cadre's appeals (申诉) against them."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from services.dossier.domain.state import (
    Context,
    Dossier,
    Entry,
    not_after_today,
    require_cadre,
    require_self,
)
from services.dossier.errors import AlreadyDone, DomainError, EntryNotFound, NotAllowed, NotFound
from shared import commands as c
from shared.events import (
    AppealDecided,
    AppealFiled,
    AppealOutcome,
    DomainEvent,
    EntryAmended,
    EntryKind,
    EntryRecorded,
    EntryRevoked,
    ImpactPeriod,
)


def check_against_catalogue(ctx: Context, kind: EntryKind, category: str, points: Decimal,
                             impact_period: ImpactPeriod | None) -> None:
    definition = ctx.catalogue.get(category)
    if definition is None:
        raise DomainError(f"category {category!r} is not in the catalogue", field="category", rule="category_defined")
    if definition.kind != kind:
        raise DomainError(f"category {category!r} is for {definition.kind} entries, not {kind}",
                          field="category", rule="category_matches_kind")
    if not definition.min_points <= points <= definition.max_points:
        raise DomainError(f"points {points} are outside {definition.min_points}..{definition.max_points} "
                          f"allowed for category {category!r}", field="points", rule="points_within_category_range")
    if definition.sanction and impact_period is None:
        raise DomainError(f"category {category!r} is a sanction: give its impact period (影响期)",
                          field="impact_period", rule="sanction_has_impact_period")
    if not definition.sanction and impact_period is not None:
        raise DomainError(f"category {category!r} is not a sanction: it has no impact period",
                          field="impact_period", rule="impact_period_only_for_sanctions")


def _active_entry(state: Dossier, entry_id: str) -> Entry:
    entry = state.entries.get(entry_id)
    if entry is None:
        raise EntryNotFound(f"cadre {state.cadre_id} has no entry {entry_id}", field="entry_id", rule="entry_exists")
    if entry.revoked:
        raise AlreadyDone(f"entry {entry_id} is revoked", field="entry_id", rule="entry_not_revoked")
    return entry


def record_entry(state: Dossier, cmd: c.RecordEntry, entry_id: str, ctx: Context) -> list[DomainEvent]:
    require_cadre(state)
    not_after_today(cmd.effective_date, ctx, "effective_date")
    check_against_catalogue(ctx, cmd.kind, cmd.category, cmd.points, cmd.impact_period)
    return [EntryRecorded(entry_id=entry_id, **cmd.model_dump())]


def amend_entry(state: Dossier, entry_id: str, cmd: c.AmendEntry, ctx: Context) -> list[DomainEvent]:
    require_cadre(state)
    entry = _active_entry(state, entry_id)
    changes = cmd.model_dump(exclude={"reason"}, exclude_unset=True)
    amended = replace(entry, **changes)
    if amended == entry:
        raise DomainError("the amendment changes nothing", rule="amendment_changes_something")
    not_after_today(amended.effective_date, ctx, "effective_date")
    check_against_catalogue(ctx, entry.kind, amended.category, amended.points, amended.impact_period)
    return [EntryAmended(entry_id=entry_id, category=amended.category, points=amended.points,
                         effective_date=amended.effective_date, impact_period=amended.impact_period, reason=cmd.reason)]


def revoke_entry(state: Dossier, entry_id: str, cmd: c.RevokeEntry) -> list[DomainEvent]:
    require_cadre(state)
    _active_entry(state, entry_id)
    return [EntryRevoked(entry_id=entry_id, reason=cmd.reason)]


def file_appeal(state: Dossier, entry_id: str, cmd: c.FileAppeal, appeal_id: str, ctx: Context) -> list[DomainEvent]:
    require_cadre(state)
    entry = _active_entry(state, entry_id)
    require_self(state, ctx, "appeal against an entry in their dossier")
    if entry.open_appeal:
        raise AlreadyDone(f"entry {entry_id} already has an open appeal {entry.open_appeal}", field="entry_id",
                          rule="one_open_appeal")
    return [AppealFiled(appeal_id=appeal_id, entry_id=entry_id, grounds=cmd.grounds)]


def decide_appeal(state: Dossier, appeal_id: str, cmd: c.DecideAppeal, ctx: Context) -> list[DomainEvent]:
    require_cadre(state)
    appeal = state.appeals.get(appeal_id)
    if appeal is None:
        raise NotFound(f"no appeal {appeal_id}", field="appeal_id", rule="appeal_exists")
    if appeal.outcome is not None:
        raise AlreadyDone(f"appeal {appeal_id} was already decided: {appeal.outcome}", field="appeal_id",
                          rule="appeal_open")
    if ctx.actor == state.cadre_id:
        raise NotAllowed("nobody may decide their own appeal", rule="not_own_record")
    decided = AppealDecided(appeal_id=appeal_id, entry_id=appeal.entry_id, outcome=cmd.outcome, reason=cmd.reason)
    if cmd.outcome is AppealOutcome.REVOKED:
        return [decided, EntryRevoked(entry_id=appeal.entry_id, reason=f"appeal {appeal_id} upheld by decision: {cmd.reason}")]
    return [decided]
