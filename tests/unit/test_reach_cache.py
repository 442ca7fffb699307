"""The gateway's kept relations (services/gateway/reach_cache.py): when an answer is kept, used and forgotten.

Pure logic: the dossier's version is a function the test controls, the clock a counter. That the gateway
forgets after its own directory writes, and sees another instance's, is tested end to end
(tests/e2e/test_authorization_kept.py)."""

from __future__ import annotations

import asyncio

import pytest

from services.gateway import reach_cache
from services.gateway.reach_cache import ReachCache

ANSWER = {"jurisdiction": ["u1"], "top_level": False, "cadres": {"c1": ["in_jurisdiction"]}}


class Dossier:
    def __init__(self) -> None:
        self.version = "v1"
        self.asked = 0
        self.fails = False
        self.gate: asyncio.Event | None = None

    async def __call__(self) -> str:
        self.asked += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fails:
            raise RuntimeError("dossier unavailable")
        return self.version


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def cache(check_s: float = 1.0) -> tuple[ReachCache, Dossier, Clock]:
    dossier, clock = Dossier(), Clock()
    return ReachCache(dossier, check_s, clock), dossier, clock


async def test_an_answer_is_kept_and_the_version_asked_once_per_interval() -> None:
    kept, dossier, clock = cache()
    assert await kept.get("k") is None
    kept.keep("k", ANSWER, kept.generation)
    assert await kept.get("k") == ANSWER
    clock.now += 0.5
    assert await kept.get("k") == ANSWER
    assert dossier.asked == 1
    clock.now += 0.6  # past the interval: asked again, unchanged, still kept
    assert await kept.get("k") == ANSWER
    assert dossier.asked == 2


async def test_a_new_version_forgets_every_answer() -> None:
    kept, dossier, clock = cache()
    await kept.get("k")
    kept.keep("k", ANSWER, kept.generation)
    dossier.version = "v2"
    clock.now += 1.0
    assert await kept.get("k") is None
    assert dossier.asked == 2


async def test_forgetting_drops_the_answers_and_refuses_those_asked_for_before() -> None:
    kept, _, _ = cache()
    await kept.get("k")
    asked_at = kept.generation  # a request asks the dossier...
    kept.keep("other", ANSWER, kept.generation)
    kept.forget()  # ...a directory write is answered meanwhile...
    kept.keep("k", ANSWER, asked_at)  # ...and the answer arrives: it may be older than the write
    assert await kept.get("k") is None
    assert await kept.get("other") is None


async def test_requests_arriving_during_a_check_wait_for_that_one_check() -> None:
    kept, dossier, _ = cache()
    dossier.gate = asyncio.Event()
    waiting = [asyncio.create_task(kept.get("k")) for _ in range(5)]
    await asyncio.sleep(0)
    dossier.gate.set()
    assert await asyncio.gather(*waiting) == [None] * 5
    assert dossier.asked == 1


async def test_when_the_version_cannot_be_had_nothing_kept_is_used() -> None:
    kept, dossier, clock = cache()
    await kept.get("k")
    kept.keep("k", ANSWER, kept.generation)
    dossier.fails = True
    clock.now += 1.0
    assert await kept.get("k") is None
    dossier.fails = False  # back: the version is unchanged, the answer still current
    assert await kept.get("k") == ANSWER


async def test_zero_seconds_keeps_nothing_and_asks_nothing() -> None:
    kept, dossier, _ = cache(check_s=0)
    kept.keep("k", ANSWER, kept.generation)
    assert await kept.get("k") is None
    assert dossier.asked == 0


async def test_memory_is_bounded_by_the_answers_weight(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reach_cache, "WEIGHT_LIMIT", 10)
    kept, _, _ = cache()
    await kept.get("a")
    big = {"jurisdiction": [f"u{n}" for n in range(6)], "top_level": True, "cadres": {}}
    kept.keep("a", big, kept.generation)
    kept.keep("b", big, kept.generation)  # both would pass the limit: the first is dropped
    assert await kept.get("a") is None
    assert await kept.get("b") == big
