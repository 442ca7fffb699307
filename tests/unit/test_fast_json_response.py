"""``FastJSONResponse`` writes the bytes Starlette's ``JSONResponse`` writes for what our answers hold, the same
values for any finite float, and falls back to the standard encoder for what orjson refuses."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from fastapi.responses import JSONResponse
from hypothesis import given
from hypothesis import strategies as st

from shared.http import FastJSONResponse

# What our answers hold: text (Chinese included, control characters, quotes), integers in 64 bits, points
# (exact decimals of at most four places, ``views.number`` makes them floats), booleans, nulls, lists and
# objects with text keys.
_points = st.decimals(min_value=-10**6, max_value=10**6, places=4, allow_nan=False).map(lambda d: float(Decimal(d)))
_scalars = (st.text() | st.integers(min_value=-(2**63), max_value=2**64 - 1) | st.booleans() | st.none() | _points)


def _answers(scalars: st.SearchStrategy) -> st.SearchStrategy:
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=5)
                        | st.dictionaries(st.text(), inner, max_size=5), max_leaves=30)


@given(_answers(_scalars))
def test_the_same_bytes_as_the_standard_encoder(value: object) -> None:
    assert FastJSONResponse(value).body == JSONResponse(value).body


@given(_answers(st.floats(allow_nan=False, allow_infinity=False)))
def test_any_finite_float_reads_back_the_same(value: object) -> None:
    """Very small or large floats may be written in another notation (6.103515625e-05 / 0.00006103515625)."""
    assert json.loads(FastJSONResponse(value).body) == json.loads(JSONResponse(value).body)


def test_a_screening_shaped_answer_is_written_the_same() -> None:
    body = {"unit": "市委组织部", "as_of": "2026-12-06", "cadres": 2, "eligible": ["c-1"],
            "ineligible": [{"cadre_id": "c-2", "name": "张三", "unit_id": None, "excluded_by": ["tenure", "negative"]}],
            "total": 12.5, "note": 'a "quoted"\n\u2028 line'}
    assert FastJSONResponse(body).body == JSONResponse(body).body


@pytest.mark.parametrize("value", [{1: "an integer key"}, {"big": 2**70}, [{"nested": {2: None}}]])
def test_what_orjson_refuses_is_written_by_the_standard_encoder(value: object) -> None:
    assert FastJSONResponse(value).body == JSONResponse(value).body
