"""Regressions from Schemathesis runs against the public API (tests/e2e/test_schemathesis.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.commands import DefineCategory


@pytest.mark.parametrize("kind, low, high", [("negative", 0, 0), ("positive", -1, 2), ("positive", 3, 1)])
def test_bug_define_category_range_breaking_its_kind_was_a_500(kind: str, low: float, high: float) -> None:
    """min = max = 0 for a negative category passed the command and failed building the event (500);
    the command now refuses it, naming max_points (a 422 through the API)."""
    with pytest.raises(ValidationError) as refused:
        DefineCategory(code="k", name="n", kind=kind, min_points=low, max_points=high)
    assert refused.value.errors()[0]["loc"] == ("max_points",)
    assert DefineCategory(code="k", name="n", kind="negative", min_points=-3, max_points=-1).max_points == -1
