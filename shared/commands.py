"""The dossier's commands as the public API accepts them (request bodies).

They are a contract like the events: the gateway validates a request against them before it
forwards it, and the dossier validates it again. Unknown fields are refused; server-set fields
(ids, actor, recorded time) are not accepted from a client.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from shared.events import EARLIEST_EFFECTIVE_DATE, Basis, EntryKind, Points, points_sign_problem

# C0 control characters but tab, newline and carriage return, and DEL. A NUL cannot even be stored
# (PostgreSQL's jsonb refuses \u0000: such a request used to end in a 500); the others are noise
# no clerk means to type into a record that is kept forever.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_character(value: Any, path: str = "") -> str | None:
    """Where the first control character in ``value`` (a string, or strings nested in dicts and
    lists) is, e.g. ``reason: U+0000``; None when there is none."""
    if isinstance(value, str):
        found = _CONTROL.search(value)
        if found is None:
            return None
        return f"{path}: U+{ord(found.group()):04X}" if path else f"U+{ord(found.group()):04X}"
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if problem := control_character(item, f"{path}.{key}" if path else str(key)):
            return problem
    return None


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if problem := control_character(value):
            raise ValueError(f"must not contain control characters ({problem})")
        return value


class RegisterCadre(Command):
    name: str = Field(min_length=1, max_length=100, examples=["张伟"])
    unit_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$", examples=["qhd-haigang-fgw"])


class RecordEntry(Command):
    kind: EntryKind = Field(description="achievement (实绩, points >= 0), positive (正面清单, > 0) or negative (负面清单, < 0)")
    category: str = Field(min_length=1, max_length=100, examples=["重点项目"])
    title: str = Field(min_length=1, max_length=300, examples=["提前完成港口改造项目"])
    points: Points = Field(examples=[3])
    effective_date: dt.date = Field(description="the day the entry counts from, not after today", examples=["2026-03-15"])
    basis: Basis

    @field_validator("points")
    @classmethod
    def _points_match_kind(cls, points, info: ValidationInfo):
        kind = info.data.get("kind")
        if kind is not None and (problem := points_sign_problem(kind, points)):
            raise ValueError(problem)
        return points

    @field_validator("effective_date")
    @classmethod
    def _not_before_records_began(cls, value: dt.date) -> dt.date:
        if value < EARLIEST_EFFECTIVE_DATE:
            raise ValueError(f"effective_date must not be before {EARLIEST_EFFECTIVE_DATE.isoformat()}")
        return value


class RevokeEntry(Command):
    reason: str = Field(min_length=1, max_length=2000, examples=["申诉成立，撤销该条记录"])
