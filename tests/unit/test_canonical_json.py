"""The hash chain's canonical JSON: the fast path writes exactly the bytes of the RFC 8785 reference."""

from __future__ import annotations

import rfc8785
from hypothesis import assume, given
from hypothesis import strategies as st

from shared.chain import canonical_json

scalars = (st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.text()
           | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([2.5, -0.5, -1.0, 0.0, -0.0, 1e-5, 1e16]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                      max_leaves=20)


@given(values)
def test_canonical_json_equals_the_reference_encoder(value) -> None:
    try:
        expected = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        expected = None
    assume(expected is not None)  # the reference refuses it (an integer beyond 2**53): nothing to match
    assert canonical_json(value) == expected


def test_an_entry_s_data_takes_the_fast_path_with_the_same_bytes() -> None:
    data = {"entry_id": "e", "kind": "negative", "points": -1.0, "title": "会议无故缺席\n被通报\u2028", "year": 2024,
            "basis": {"reason": "r\"\\", "document": "示组字〔2024〕12号"}, "impact_period": None, "ratio": 2.25}
    assert canonical_json(data) == rfc8785.dumps(data)
    assert b'"points":-1,' in canonical_json(data)
