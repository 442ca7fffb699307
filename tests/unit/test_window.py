"""The three-year window against a brute-force oracle that walks the calendar day by day."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.scoring.window import Quarter, quarters_touching, rolling_window, summarize, years_before

ONE_DAY = dt.timedelta(days=1)


def oracle_anchor(as_of: dt.date) -> dt.date:
    """Walk back from as_of to the first day three calendar years earlier that is not after
    as_of's month and day: that is 'the same calendar day three years earlier' (or 28 Feb)."""
    day = as_of
    while not (day.year == as_of.year - 3 and (day.month, day.day) <= (as_of.month, as_of.day)):
        day -= ONE_DAY
    return day


def oracle_counts(as_of: dt.date, effective: dt.date) -> bool:
    return oracle_anchor(as_of) < effective <= as_of


dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31))


@given(as_of=dates, offset=st.integers(min_value=-1200, max_value=30))
@settings(max_examples=400)
def test_membership_matches_the_oracle(as_of: dt.date, offset: int) -> None:
    effective = as_of + dt.timedelta(days=offset)
    assert (effective in rolling_window(as_of)) == oracle_counts(as_of, effective)


@given(as_of=dates)
@settings(max_examples=200)
def test_window_bounds_match_the_oracle(as_of: dt.date) -> None:
    window = rolling_window(as_of)
    assert window.start == oracle_anchor(as_of) + ONE_DAY
    assert window.end == as_of


def test_the_day_three_years_back_is_outside_and_the_next_day_inside() -> None:
    window = rolling_window(dt.date(2026, 11, 21))
    assert dt.date(2023, 11, 21) not in window
    assert dt.date(2023, 11, 22) in window
    assert dt.date(2026, 11, 21) in window
    assert dt.date(2026, 11, 22) not in window


def test_29_february_falls_back_to_28_february() -> None:
    assert years_before(dt.date(2028, 2, 29), 3) == dt.date(2025, 2, 28)
    window = rolling_window(dt.date(2028, 2, 29))
    assert dt.date(2025, 2, 28) not in window
    assert window.start == dt.date(2025, 3, 1)


def test_window_reaching_back_to_a_leap_day() -> None:
    # as of 28 Feb 2027 the anchor is 28 Feb 2024, so 29 Feb 2024 counts.
    window = rolling_window(dt.date(2027, 2, 28))
    assert dt.date(2024, 2, 28) not in window
    assert dt.date(2024, 2, 29) in window
    # as of 1 Mar 2027 the anchor is 1 Mar 2024.
    assert dt.date(2024, 2, 29) not in rolling_window(dt.date(2027, 3, 1))


# (day, points, entries): a count above one is a sum of entries of one sign, as the database returns them
entries = st.lists(
    st.tuples(dates, st.decimals(min_value=-50, max_value=50, places=2, allow_nan=False, allow_infinity=False),
              st.integers(min_value=1, max_value=3)),
    max_size=40,
)


@given(as_of=dates, items=entries)
@settings(max_examples=300)
def test_summary_matches_the_oracle_and_quarters_add_up(as_of: dt.date, items: list[tuple[dt.date, Decimal, int]]) -> None:
    summary = summarize(items, as_of)
    counted = [p for d, p, _ in items if oracle_counts(as_of, d)]
    assert summary.overall.total == sum(counted, Decimal(0))
    assert summary.overall.positive == sum((p for p in counted if p > 0), Decimal(0))
    assert summary.overall.negative == sum((p for p in counted if p < 0), Decimal(0))
    assert summary.overall.negative <= 0 <= summary.overall.positive
    assert sum((q.total for q in summary.quarters.values()), Decimal(0)) == summary.overall.total
    assert summary.overall.count == sum(n for d, _, n in items if oracle_counts(as_of, d))
    assert sum(q.count for q in summary.quarters.values()) == summary.overall.count


def test_entries_outside_the_window_expire_with_time_alone() -> None:
    items = [(dt.date(2023, 7, 1), Decimal("4"), 1), (dt.date(2025, 1, 2), Decimal("-1.5"), 1)]
    assert summarize(items, dt.date(2026, 6, 30)).overall.total == Decimal("2.5")
    assert summarize(items, dt.date(2026, 7, 1)).overall.total == Decimal("-1.5")  # the first has expired
    assert summarize(items, dt.date(2024, 12, 31)).overall.total == Decimal("4")  # the second not yet effective


def test_quarters_cover_the_window_in_order() -> None:
    window = rolling_window(dt.date(2026, 11, 21))
    quarters = quarters_touching(window)
    assert quarters[0] == Quarter(2023, 4) and quarters[-1] == Quarter(2026, 4)
    assert len(quarters) == 13
    assert str(quarters[0]) == "2023-Q4"
    assert Quarter(2024, 1).last_day == dt.date(2024, 3, 31)


@given(as_of=dates, items=entries)
@settings(max_examples=200)
def test_quarter_buckets_match_a_brute_force_sum(as_of: dt.date, items: list[tuple[dt.date, Decimal, int]]) -> None:
    from services.scoring.window import by_quarter, quarters_ending

    buckets = by_quarter(items, as_of)
    twelve = quarters_ending(Quarter.of(as_of), 12)
    assert len(twelve) == 12 and twelve[-1] == Quarter.of(as_of) and twelve == sorted(twelve)
    assert all(a.next() == b for a, b in itertools.pairwise(twelve))
    for q in twelve:
        expected = sum((p for d, p, _ in items if Quarter.of(d) == q and d <= as_of), Decimal(0))
        assert (buckets[q].total if q in buckets else Decimal(0)) == expected
    for year in range(as_of.year - 3, as_of.year):
        expected = sum((p for d, p, _ in items if d.year == year), Decimal(0))
        got = sum((buckets[Quarter(year, n)].total for n in range(1, 5) if Quarter(year, n) in buckets), Decimal(0))
        assert got == expected
