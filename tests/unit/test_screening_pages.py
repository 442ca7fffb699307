"""The screening list's cursor (services/scoring/screening_pages.py): pages following ``next`` are the list, in
its order, each cadre once, even when cadres come and go between pages."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.scoring.screening_pages import Cursor, page_of
from shared.problems import Problem

MOMENT = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)


def follow(ids: list[str], limit: int, changes: list[set[str]]) -> list[str]:
    """Every page, the list changing before each page after the first as ``changes`` say (ids added)."""
    listed, after, more, n = [], None, True, 0
    while more:
        if after is not None and n < len(changes):
            ids = sorted(set(ids) | changes[n])
            n += 1
        page, more = page_of(ids, after, limit)
        listed += page
        after = page[-1] if page else after
    return listed


@given(st.sets(st.uuids().map(str), max_size=40), st.integers(1, 7))
def test_the_pages_are_the_list_in_order(ids: set[str], limit: int) -> None:
    ordered = sorted(ids)
    assert follow(ordered, limit, []) == ordered
    assert page_of(ordered, None, None) == (ordered, False)


@given(st.sets(st.uuids().map(str), min_size=1, max_size=30), st.integers(1, 5),
       st.lists(st.sets(st.uuids().map(str), max_size=3), max_size=5))
def test_cadres_added_between_pages_neither_move_nor_double_the_others(ids: set[str], limit: int,
                                                                      changes: list[set[str]]) -> None:
    listed = follow(sorted(ids), limit, changes)
    assert len(listed) == len(set(listed)) and listed == sorted(listed)
    assert set(ids) <= set(listed)  # keyset: a cadre added before the cursor shifts nobody


def test_a_cursor_carries_the_first_pages_moment() -> None:
    cursor = Cursor("b", dt.date(2026, 6, 30), MOMENT)
    assert Cursor.decode(cursor.encode()) == cursor
    marked = Cursor("b", dt.date(2026, 6, 30), MOMENT, "1234.68553")  # read from the day sheet as it was then
    assert Cursor.decode(marked.encode()) == marked and Cursor.decode(marked.encode()).sheet == "1234.68553"
    assert page_of(["a", "b", "c", "d"], cursor.after, 1) == (["c"], True)
    assert page_of(["a", "b", "c"], "b", 1) == (["c"], False)


@pytest.mark.parametrize("text", ["", "bm90LWEtY3Vyc29y", "!!", Cursor("a", dt.date(2026, 1, 1), MOMENT).encode()[:-4],
                                  "W1sxXSwgIjIwMjYtMDEtMDEiLCAiMjAyNi0wMS0wMVQwMDowMDowMCJd",
                                  base64.urlsafe_b64encode(b'["a", "2026-01-01", "2026-01-01T00:00:00+00:00", 7]').decode(),
                                  base64.urlsafe_b64encode(b'["a", "2026-01-01", "2026-01-01T00:00:00+00:00", "m", "x"]'
                                                           ).decode()])
def test_a_cursor_not_given_out_is_refused_by_name(text: str) -> None:
    with pytest.raises(Problem) as refused:
        Cursor.decode(text)
    assert refused.value.status == 422 and refused.value.extra["errors"][0]["rule"] == "cursor_format"
