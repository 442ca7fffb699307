"""The README's table of who may call what is the gateway's policy written out: it cannot drift (issue 15)."""

from __future__ import annotations

from pathlib import Path

from services.gateway.policy import GRANTS, Relation
from shared.commands import OPERATIONS

README = Path(__file__).resolve().parents[2] / "README.md"
WORDS = {Relation.SELF: "own", Relation.SUBORDINATE: "subordinate's", Relation.IN_JURISDICTION: "in jurisdiction",
         Relation.TOP_LEVEL: "top-level unit", Relation.ANY: "any"}


def who(action: str) -> str:
    """How the README writes an action's grants: ``role (relation, relation), role (relation)``."""
    return ", ".join(f"{role} ({', '.join(WORDS[r] for r in relations)})" for role, relations in GRANTS[action].items())


def readme_table() -> dict[str, list[str]]:
    """The rows of the table under "### Who may call what": operation -> its cells."""
    section = README.read_text(encoding="utf-8").split("### Who may call what", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    cells = [[c.strip() for c in row.strip("|").split(" | ")] for row in rows]
    return {c[0].strip("`"): c for c in cells}


def test_the_readme_names_every_action_of_the_policy_and_no_other() -> None:
    assert set(readme_table()) == set(GRANTS)


def test_each_row_grants_exactly_what_the_policy_grants() -> None:
    table = readme_table()
    for action in GRANTS:
        assert table[action][2] == who(action), action


def test_each_write_row_names_its_path() -> None:
    table = readme_table()
    for op in OPERATIONS:
        assert table[op.name][1] == f"`POST {op.path}`", op.name
