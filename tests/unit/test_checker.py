"""The fault tests' checker is itself checked: its window against the day-walking oracle, its totals
with amendments and revocations, and its comparison noticing an amendment the projection lacks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.dossier.store import StoredEvent
from tests.support.checker import Projection, in_window, recompute
from tests.unit.test_window import dates, oracle_counts

AT = dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC)


@given(as_of=dates, offset=st.integers(min_value=-1200, max_value=30))
@settings(max_examples=400)
def test_the_checker_s_window_matches_the_oracle(as_of: dt.date, offset: int) -> None:
    effective = as_of + dt.timedelta(days=offset)
    assert in_window(effective, as_of) == oracle_counts(as_of, effective)


def test_the_checker_s_window_edges() -> None:
    # 29 Feb 2028 looks back to 28 Feb 2025 (no 29th that year): the 28th is out, 1 March in
    assert not in_window(dt.date(2025, 2, 28), dt.date(2028, 2, 29))
    assert in_window(dt.date(2025, 3, 1), dt.date(2028, 2, 29))
    # 28 Feb 2027 looks back to 28 Feb 2024, so the leap day 29 Feb 2024 counts
    assert in_window(dt.date(2024, 2, 29), dt.date(2027, 2, 28))
    assert not in_window(dt.date(2024, 2, 28), dt.date(2027, 2, 28))
    assert in_window(dt.date(2026, 11, 21), dt.date(2026, 11, 21))
    assert not in_window(dt.date(2026, 11, 22), dt.date(2026, 11, 21))


def stored(n: int, event_type: str, data: dict, stream: str = "c-1") -> StoredEvent:
    return StoredEvent(position=n, tx_id=n, stream_id=stream, stream_version=n, event_id=f"ev-{n}",
                       event_type=event_type, schema_version=1, data=data, effective_date=None,
                       recorded_at=AT + dt.timedelta(seconds=n), actor="clerk", actor_role="clerk")


def entry(n: int, entry_id: str, points: str, effective: str) -> StoredEvent:
    return stored(n, "entry_recorded", {"entry_id": entry_id, "kind": "positive", "category": "honour",
                                        "points": points, "effective_date": effective})


def amended(n: int, entry_id: str, points: str, effective: str) -> StoredEvent:
    return stored(n, "entry_amended", {"entry_id": entry_id, "category": "honour", "points": points,
                                       "effective_date": effective, "impact_period": None, "reason": "更正"})


def test_totals_count_each_entry_as_last_amended_and_leave_revoked_ones_out() -> None:
    events = [stored(1, "cadre_registered", {"name": "张伟", "unit_id": "u"}),
              entry(2, "e-1", "2", "2026-01-01"),
              entry(3, "e-2", "3", "2026-01-01"),
              entry(4, "e-3", "4", "2020-01-01"),  # out of the window ...
              amended(5, "e-1", "5", "2026-02-01"),
              amended(6, "e-1", "1.5", "2026-03-01"),  # the newest amendment counts
              amended(7, "e-3", "4", "2025-01-01"),  # ... until moved into it
              stored(8, "entry_revoked", {"entry_id": "e-2", "reason": "撤销"}),
              entry(9, "e-4", "7", "2026-01-01")]
    expected = recompute(events)
    assert expected.total("c-1", dt.date(2026, 11, 21)) == Decimal("1.5") + 4 + 7
    assert expected.total("c-1", dt.date(2025, 12, 31)) == 4  # e-1 and e-4 not yet effective
    assert expected.total("c-2", dt.date(2026, 11, 21)) == 0
    assert list(expected.amendments) == ["ev-5", "ev-6", "ev-7"]
    assert expected.amendments["ev-6"] == ("e-1", "c-1", "honour", 150, dt.date(2026, 3, 1), None, None,
                                           AT + dt.timedelta(seconds=6))


def test_a_missing_or_wrong_amendment_row_is_a_difference() -> None:
    expected = recompute([entry(1, "e-1", "2", "2026-01-01"), amended(2, "e-1", "3", "2026-01-01")])
    actual = Projection(cadres=dict(expected.cadres), entries=dict(expected.entries),
                        revocations=dict(expected.revocations))
    assert expected.differences(actual) == [
        f"amendments[ev-2]: expected {expected.amendments['ev-2']}, projected None"]
    actual.amendments = {"ev-2": (*expected.amendments["ev-2"][:3], 200, *expected.amendments["ev-2"][4:])}
    assert len(expected.differences(actual)) == 1
    actual.amendments = dict(expected.amendments)
    assert expected.differences(actual) == []
