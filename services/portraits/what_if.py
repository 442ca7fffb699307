"""What-if on teams (班子模拟配备调整, issue 20): moves tried on paper, each team's report after them. Pure; nothing
is recorded.

A move is one of:
- ``out``: ``cadre_id`` leaves the team of ``unit_id``;
- ``in``: ``cadre_id`` joins the team of ``unit_id`` as ``leadership`` (chief or deputy), leaving any team of the
  plan they were in;
- ``swap``: ``cadre_id`` of ``unit_id``'s team and ``other_cadre_id`` of ``other_unit_id``'s team change places,
  each taking the other's leadership.

Moves apply in order. A cadre who joins a team comes from another unit: their career feature in it is
``same_class`` or ``other_class`` by the class of the unit they serve in now. A move that names a cadre not in
the team it says is refused (``MoveRefused`` with the move's index, the field and the rule).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Member = dict[str, Any]


@dataclass(frozen=True)
class Move:
    kind: str  # out | in | swap
    cadre_id: str
    unit_id: str
    leadership: str | None = None  # in: chief or deputy
    other_cadre_id: str | None = None  # swap
    other_unit_id: str | None = None  # swap


class MoveRefused(ValueError):
    def __init__(self, index: int, field: str, rule: str, message: str) -> None:
        super().__init__(message)
        self.field = f"moves.{index}.{field}"
        self.rule = rule


def _joining(member: Member, unit_class: str | None, leadership: str) -> Member:
    came_from = "same_class" if member.get("unit_class") == unit_class else "other_class"
    return {**member, "leadership": leadership, "came_from": came_from}


def apply(teams: Mapping[str, list[Member]], classes: Mapping[str, str | None], candidates: Mapping[str, Member],
          moves: Sequence[Move]) -> dict[str, list[Member]]:
    """The teams (unit id -> members) after ``moves``; ``candidates``: the row of each cadre a move brings in."""
    after = {unit: list(members) for unit, members in teams.items()}

    def member(index: int, unit: str, cadre: str, field: str) -> Member:
        found = next((m for m in after.get(unit, []) if m["cadre_id"] == cadre), None)
        if found is None:
            raise MoveRefused(index, field, "member_of_team", f"{cadre} is not in the team of {unit}")
        return found

    for index, move in enumerate(moves):
        if move.kind == "out":
            gone = member(index, move.unit_id, move.cadre_id, "cadre_id")
            after[move.unit_id] = [m for m in after[move.unit_id] if m is not gone]
        elif move.kind == "in":
            if any(m["cadre_id"] == move.cadre_id for m in after.get(move.unit_id, [])):
                raise MoveRefused(index, "cadre_id", "not_member_yet", f"{move.cadre_id} is in that team already")
            row = candidates.get(move.cadre_id)
            if row is None:
                raise MoveRefused(index, "cadre_id", "cadre_exists", f"no cadre {move.cadre_id} in the jurisdiction")
            for unit in after:
                after[unit] = [m for m in after[unit] if m["cadre_id"] != move.cadre_id]
            after[move.unit_id] = [*after[move.unit_id], _joining(row, classes.get(move.unit_id),
                                                                  move.leadership or "deputy")]
        else:  # swap
            first = member(index, move.unit_id, move.cadre_id, "cadre_id")
            second = member(index, move.other_unit_id or "", move.other_cadre_id or "", "other_cadre_id")
            a, b = move.unit_id, move.other_unit_id or ""
            after[a] = [m for m in after[a] if m is not first] + [
                _joining(second, classes.get(a), first["leadership"])]
            after[b] = [m for m in after[b] if m is not second] + [
                _joining(first, classes.get(b), second["leadership"])]
    return after
