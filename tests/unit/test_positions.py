"""Positions for reading your own writes: the text, its comparison, the wait's bound, and the gateway's wait
against a fake scoring (shared/positions.py, services/gateway/freshness.py, services/scoring/positions.py)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import httpx
import pytest

from services.gateway.freshness import Freshness, wait_bound
from services.scoring.positions import newest
from shared.envelope import Envelope, type_name
from shared.positions import InvalidPosition, StreamPosition, parse_position, position
from shared.problems import Problem

CADRE = "c74c06f3-7bbc-442b-9971-498e6ab6d484"


def test_a_position_is_its_stream_and_version_and_reads_back() -> None:
    for stream, version in ((CADRE, 15), ("unit-qhd:haigang", 2), ("catalogue", 11)):
        text = position(stream, version)
        assert text == f"{stream}:{version}"
        assert parse_position(text) == StreamPosition(stream, version)


@pytest.mark.parametrize("text", ["", "15", f"{CADRE}", f"{CADRE}:", ":15", f"{CADRE}:-1", f"{CADRE}:1.5",
                                  f"{CADRE}:١٥", "a b:1", "x" * 101 + ":1", f"{CADRE}:" + "9" * 19])
def test_text_no_write_answered_is_not_a_position(text: str) -> None:
    with pytest.raises(InvalidPosition):
        parse_position(text)


def test_a_position_is_reached_by_its_version_or_a_later_one() -> None:
    wanted = StreamPosition(CADRE, 5)
    assert not wanted.reached_by(0) and not wanted.reached_by(4)
    assert wanted.reached_by(5) and wanted.reached_by(6)


@pytest.mark.parametrize(("prefer", "bound"), [(None, 5.0), ("", 5.0), ("wait=2", 2.0), ("respond-async, wait=0.5", 0.5),
                                                ("WAIT = 1", 1.0), ("wait=30", 5.0), ("wait=abc", 5.0),
                                                ("return=minimal", 5.0)])
def test_the_wait_is_the_gateways_bound_or_less_as_the_caller_prefers(prefer: str | None, bound: float) -> None:
    assert wait_bound(prefer, 5.0) == bound


def _envelope(stream: str, version: int) -> Envelope:
    return Envelope(id=f"{stream}-{version}", source="test", type=type_name("entry_revoked", 1), subject=stream,
                    time=dt.datetime.now(dt.UTC), data={}, streamversion=version, position=version)


def test_a_batch_records_each_streams_newest_version() -> None:
    batch = [_envelope("a", 3), _envelope("b", 1), _envelope("a", 5), _envelope("a", 4)]
    assert newest(batch) == {"a": 5, "b": 1}
    assert newest([]) == {}


class FakeScoring:
    """Answers /v1/applied with the versions given, one per ask (the last one again when they run out)."""

    def __init__(self, *versions: int) -> None:
        self.versions = list(versions)
        self.asked = 0

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        assert (method, path) == ("GET", "/v1/applied") and kwargs["params"] == {"stream": CADRE}
        version = self.versions[min(self.asked, len(self.versions) - 1)]
        self.asked += 1
        return httpx.Response(200, json={"stream": CADRE, "version": version})


def freshness(scoring: FakeScoring, ceiling_s: float = 5.0) -> Freshness:
    return Freshness(scoring, guard=None, ceiling_s=ceiling_s)  # type: ignore[arg-type]  # the cadre's own stream


async def test_no_min_position_asks_nothing() -> None:
    scoring = FakeScoring(0)
    assert await freshness(scoring).await_position(None, None, None, None, CADRE) is None  # type: ignore[arg-type]
    assert scoring.asked == 0


async def test_the_wait_ends_as_soon_as_scoring_reaches_the_position() -> None:
    scoring = FakeScoring(3, 4, 7)
    reached = await freshness(scoring).await_position(None, None, f"{CADRE}:6", None, CADRE)  # type: ignore[arg-type]
    assert reached == StreamPosition(CADRE, 6) and scoring.asked == 3


async def test_a_wait_that_runs_out_is_503_with_retry_after() -> None:
    scoring = FakeScoring(3)
    started = time.monotonic()
    with pytest.raises(Problem) as refused:
        await freshness(scoring, ceiling_s=0.3).await_position(None, None, f"{CADRE}:6", None, CADRE)  # type: ignore[arg-type]
    assert 0.3 <= time.monotonic() - started < 1.0
    assert refused.value.status == 503 and refused.value.slug == "not-caught-up"
    assert refused.value.headers == {"Retry-After": "1"}
    assert 3 <= scoring.asked <= 10  # paused between asks, not spinning
