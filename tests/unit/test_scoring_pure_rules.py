"""Scoring's rules are pure: no module they import, however indirectly, brings in SQLAlchemy (or FastAPI)."""

from __future__ import annotations

import subprocess
import sys

import pytest

PURE = ["model", "window", "rules", "screening", "warnings", "ranking", "what_if", "announcements"]


@pytest.mark.parametrize("module", PURE)
def test_a_rule_module_imports_no_database_or_web_framework(module: str) -> None:
    probe = (f"import sys, services.scoring.{module}; "
             "print(sorted(m for m in ('sqlalchemy', 'asyncpg', 'fastapi', 'kafka') if m in sys.modules))")
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert found == "[]", f"services.scoring.{module} imports {found}"
