"""The dossier's event contract: what is stored in the event store and published on Kafka.

Every event is a frozen pydantic model with a stable snake_case ``event_type`` and a
``schema_version``. The stored and published type is that name, never a Python path, so
moving a class never breaks stored data. Old versions are never rewritten: an upcaster (a pure
dict -> dict function registered per (type, version)) lifts stored JSON to the current model on
read. The JSON Schemas in ``shared/schemas/`` are generated from these models and checked by
``tests/unit/test_event_contract.py``; change an event only by adding a version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

# Points carry at most two decimals (source sheets use halves and tenths) and are
# serialised as JSON numbers, not strings, so other systems read them as numbers.
Points = Annotated[
    Decimal,
    Field(ge=Decimal("-1000"), le=Decimal("1000"), decimal_places=2, max_digits=6),
    PlainSerializer(lambda v: float(v), return_type=float, when_used="json"),
]

# No dossier record predates the People's Republic; anything earlier is a typing error.
EARLIEST_EFFECTIVE_DATE = dt.date(1949, 10, 1)


class EntryKind(StrEnum):
    """achievement = verified key achievement (实绩); positive = 正面清单; negative = 负面清单."""

    ACHIEVEMENT = "achievement"
    POSITIVE = "positive"
    NEGATIVE = "negative"


def points_sign_problem(kind: EntryKind, points: Decimal) -> str | None:
    """The sign rule of an entry's points, or None when they are allowed for the kind."""
    if kind is EntryKind.POSITIVE and points <= 0:
        return "a positive-list entry must carry points > 0"
    if kind is EntryKind.NEGATIVE and points >= 0:
        return "a negative-list entry must carry points < 0"
    if kind is EntryKind.ACHIEVEMENT and points < 0:
        return "an achievement must carry points >= 0"
    return None


class Basis(BaseModel):
    """加减分依据: why points were added or subtracted, and the document it rests on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)
    document: str = Field(min_length=1, max_length=500, description="document reference, e.g. 秦组字〔2023〕12号")


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int]

    def effective_on(self) -> dt.date | None:
        """The date on which the event counts (its effective date), where it has one."""
        return None


class CadreRegistered(DomainEvent):
    """A cadre (干部) was registered; opens the cadre's stream."""

    event_type: ClassVar[str] = "cadre_registered"
    schema_version: ClassVar[int] = 1

    cadre_id: str
    name: str = Field(min_length=1, max_length=100)
    unit_id: str = Field(min_length=1, max_length=100)


class EntryRecorded(DomainEvent):
    """An achievement, positive-list (正面清单) or negative-list (负面清单) entry was recorded."""

    event_type: ClassVar[str] = "entry_recorded"
    schema_version: ClassVar[int] = 1

    entry_id: str
    kind: EntryKind
    category: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=300)
    points: Points
    effective_date: dt.date
    basis: Basis

    def effective_on(self) -> dt.date:
        return self.effective_date

    @model_validator(mode="after")
    def _points_match_kind(self) -> EntryRecorded:
        # The dossier never emits such an event (the command is checked first); one arriving on the
        # topic from elsewhere is not an entry and must not count (it becomes a dead letter).
        if problem := points_sign_problem(self.kind, self.points):
            raise ValueError(problem)
        return self


class EntryRevoked(DomainEvent):
    """An earlier entry was revoked; the original stays in the stream, it just stops counting."""

    event_type: ClassVar[str] = "entry_revoked"
    schema_version: ClassVar[int] = 1

    entry_id: str
    reason: str = Field(min_length=1, max_length=2000)


EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.event_type: cls for cls in (CadreRegistered, EntryRecorded, EntryRevoked)
}

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
# (event_type, from_version) -> function producing the data of from_version + 1.
UPCASTERS: dict[tuple[str, int], Upcaster] = {}


class UnknownEventType(ValueError):
    pass


def upcast(event_type: str, schema_version: int, data: dict[str, Any]) -> dict[str, Any]:
    """Lift stored data of an old schema version to the current one, step by step."""
    try:
        current = EVENT_TYPES[event_type].schema_version
    except KeyError:
        raise UnknownEventType(event_type) from None
    if schema_version > current:
        raise UnknownEventType(f"{event_type} v{schema_version} is newer than this build (v{current})")
    while schema_version < current:
        data = UPCASTERS[(event_type, schema_version)](data)
        schema_version += 1
    return data


def to_data(event: DomainEvent) -> dict[str, Any]:
    return event.model_dump(mode="json")


def from_data(event_type: str, schema_version: int, data: dict[str, Any]) -> DomainEvent:
    cls = EVENT_TYPES.get(event_type)
    if cls is None:
        raise UnknownEventType(event_type)
    return cls.model_validate(upcast(event_type, schema_version, data))
