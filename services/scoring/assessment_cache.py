"""Computed years of the annual comprehensive assessment kept between reads (issue 16).

Computing a year costs the whole scheme: every input row, every subject's composite, the proposals and the
ranks (~1 s for a province's 108 units × 50 indicators × 12 months). One subject's explained result is a slice
of that, so a read reuses the year computed for the same key: (scheme, year, as_of, the known_at asked, the
input watermarks of ``assessment_marks``). The scheme version is not in the key because the marks and ``as_of``
determine it. The marks make invalidation a matter of the key: an input of the scheme applied by any scoring
process changes them, and the next read computes afresh; nothing is dropped by hand. A read that states no
``known_at`` is keyed as "now" (None), so reads of the current state share one computed year.

The cache is per process and small (least recently used first out); misses are computed one at a time, so a
burst of reads after an input computes the year once, not once per read.

A kept year is some hundred thousand small objects. The cycle collector's full passes walk every tracked object,
so with a year kept each of them took tens of milliseconds and made the reads' p99. Once a year is kept, the heap
is frozen (``gc.freeze``): what is alive then is left out of later passes and is still freed by reference counting
when it goes (results hold no cycles). A full collection runs just before, so cyclic garbage alive at that moment
is freed first rather than frozen for good (a long-running service misses after every input of a scheme); its
cost is paid on a miss, which computes a whole year anyway.
"""

from __future__ import annotations

import asyncio
import gc
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class ComputedYears(Generic[T]):
    def __init__(self, capacity: int = 8) -> None:
        self.capacity = capacity  # 0: every read computes (the bench's "before")
        self._kept: OrderedDict[Hashable, T] = OrderedDict()
        self._computing = asyncio.Lock()
        self.hits = self.misses = 0

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        if self.capacity <= 0:
            self.misses += 1
            return await compute()
        if (found := self._take(key)) is not None:
            return found
        async with self._computing:
            if (found := self._take(key)) is not None:  # computed by the read we waited for
                return found
            self.misses += 1
            value = await compute()
            self._kept[key] = value
            while len(self._kept) > self.capacity:
                self._kept.popitem(last=False)
            gc.collect()
            gc.freeze()
            return value

    def _take(self, key: Hashable) -> T | None:
        found = self._kept.get(key)
        if found is not None:
            self._kept.move_to_end(key)
            self.hits += 1
        return found
