"""The per-subject token bucket, on a clock the test moves."""

from __future__ import annotations

from services.gateway.rate_limit import RateLimiter


def test_a_burst_then_the_rate_and_subjects_are_independent() -> None:
    now = [0.0]
    limiter = RateLimiter(rate_per_s=2, burst=3, clock=lambda: now[0])
    assert [limiter.take("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.take("a") == 0.5  # one token arrives every half second
    assert limiter.take("b") == 0
    now[0] += 0.5
    assert limiter.take("a") == 0
    assert limiter.take("a") > 0
    now[0] += 10
    assert [limiter.take("a") for _ in range(3)] == [0, 0, 0]  # refilled to the burst, no more
    assert limiter.take("a") > 0
    assert RateLimiter.retry_after(0.2) == "1" and RateLimiter.retry_after(2.1) == "3"
