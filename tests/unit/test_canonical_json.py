"""The hash chain's canonical JSON: the fast path writes exactly the bytes of the RFC 8785 reference."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import rfc8785
from hypothesis import assume, given
from hypothesis import strategies as st

from shared.chain import canonical, canonical_json

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


texts = st.text(max_size=12)


@given(st.builds(dict, stream_id=texts, stream_version=st.integers(0, 2**31), event_id=texts, event_type=texts,
                 schema_version=st.integers(1, 5), data=st.dictionaries(st.text(), values, max_size=4),
                 effective_date=st.none() | st.dates(),
                 recorded_at=st.datetimes(timezones=st.just(dt.UTC)), actor=texts, actor_role=texts))
def test_an_event_s_canonical_bytes_are_the_reference_s(fields) -> None:
    event = SimpleNamespace(**fields)
    reference = {**fields, "effective_date": fields["effective_date"].isoformat() if fields["effective_date"] else None,
                 "recorded_at": fields["recorded_at"].isoformat(timespec="microseconds")}
    try:
        expected = rfc8785.dumps(reference)
    except rfc8785.CanonicalizationError:
        expected = None
    assume(expected is not None)
    assert canonical(event) == expected
