"""The cadre's dossier (实绩档案) as a fold of its events, and the decisions taken on it.

Pure Python: no I/O, no framework. ``evolve`` rebuilds state from events; each decision takes
the state and a command and returns the new events, or raises a ``DomainError`` naming the rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from shared.commands import RecordEntry, RegisterCadre, RevokeEntry
from shared.events import CadreRegistered, DomainEvent, EntryKind, EntryRecorded, EntryRevoked


class DomainError(Exception):
    """A command the dossier refuses; ``field`` and ``rule`` say which input broke which rule."""

    status = 422

    def __init__(self, message: str, *, field: str | None = None, rule: str) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule


class CadreNotFound(DomainError):
    status = 404


class EntryNotFound(DomainError):
    status = 404


class AlreadyDone(DomainError):
    """The command asks for a state change that already happened (e.g. revoking a revoked entry)."""

    status = 409


@dataclass(frozen=True, slots=True)
class Entry:
    entry_id: str
    kind: EntryKind
    points: Decimal
    effective_date: dt.date
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class Dossier:
    cadre_id: str
    name: str = ""
    unit_id: str = ""
    version: int = 0  # the stream version: how many events the cadre's stream holds
    entries: dict[str, Entry] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return self.version > 0


def evolve(state: Dossier, event: DomainEvent) -> Dossier:
    """The dossier after ``event``; unknown event types leave it as it was, apart from the version."""
    state = replace(state, version=state.version + 1)
    match event:
        case CadreRegistered():
            return replace(state, name=event.name, unit_id=event.unit_id)
        case EntryRecorded():
            entry = Entry(event.entry_id, event.kind, event.points, event.effective_date)
            return replace(state, entries={**state.entries, event.entry_id: entry})
        case EntryRevoked():
            entry = state.entries[event.entry_id]
            return replace(state, entries={**state.entries, event.entry_id: replace(entry, revoked=True)})
    return state


def fold(cadre_id: str, events: Iterable[DomainEvent]) -> Dossier:
    state = Dossier(cadre_id)
    for event in events:
        state = evolve(state, event)
    return state


def register_cadre(state: Dossier, command: RegisterCadre) -> list[DomainEvent]:
    if state.exists:
        raise AlreadyDone(f"cadre {state.cadre_id} is already registered", rule="cadre_already_registered")
    return [CadreRegistered(cadre_id=state.cadre_id, name=command.name, unit_id=command.unit_id)]


def _require_cadre(state: Dossier) -> None:
    if not state.exists:
        raise CadreNotFound(f"no cadre {state.cadre_id}", rule="cadre_exists")


def record_entry(state: Dossier, command: RecordEntry, entry_id: str, today: dt.date) -> list[DomainEvent]:
    _require_cadre(state)
    if command.effective_date > today:
        raise DomainError(
            f"effective_date {command.effective_date} is after today ({today}): record an entry once it has happened",
            field="effective_date",
            rule="not_in_future",
        )
    return [
        EntryRecorded(
            entry_id=entry_id,
            kind=command.kind,
            category=command.category,
            title=command.title,
            points=command.points,
            effective_date=command.effective_date,
            basis=command.basis,
        )
    ]


def revoke_entry(state: Dossier, entry_id: str, command: RevokeEntry) -> list[DomainEvent]:
    _require_cadre(state)
    entry = state.entries.get(entry_id)
    if entry is None:
        raise EntryNotFound(f"cadre {state.cadre_id} has no entry {entry_id}", field="entry_id", rule="entry_exists")
    if entry.revoked:
        raise AlreadyDone(f"entry {entry_id} is already revoked", field="entry_id", rule="entry_not_revoked")
    return [EntryRevoked(entry_id=entry_id, reason=command.reason)]
