"""Per-subject rate limits: a token bucket per token ``sub``, answered 429 with Retry-After.

In-process, so the limit is per gateway instance: N instances behind a load balancer let a subject
make up to N times the rate. That bounds a runaway client or a scraping account on each instance,
which is what it is for; a shared limit would need a shared store the gateway does not have.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

# Buckets of subjects not seen for a while are dropped, oldest first, past this many.
MAX_SUBJECTS = 100_000


class RateLimiter:
    def __init__(self, rate_per_s: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate_per_s
        self._burst = burst
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # subject -> (tokens, at)

    def take(self, subject: str) -> float:
        """0 when the request may go ahead (one token taken), else the seconds until it may."""
        now = self._clock()
        tokens, at = self._buckets.pop(subject, (float(self._burst), now))
        tokens = min(float(self._burst), tokens + (now - at) * self._rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self._rate
        self._buckets[subject] = (tokens, now)
        while len(self._buckets) > MAX_SUBJECTS:
            self._buckets.popitem(last=False)
        return wait

    @staticmethod
    def retry_after(wait: float) -> str:
        return str(max(1, math.ceil(wait)))
