"""The dossier's answers about who reaches what, kept by the gateway between requests (issue 22).

Every authorized request needs the caller's relations to its objects (``GET /v1/access/relations``,
guard.py). Asked per request, that call was the largest single cost of a write and of a read through the
gateway, in the gateway (the call) and in the dossier (three queries): bench/RESULTS.md, issue 22. Its
answers change rarely (a unit or cadre registered, a post assigned or ended, a new day), so the gateway
keeps them, and asks again only when they may have changed:

- **Its own writes** (``DIRECTORY_WRITES``, and the bulk import): once the dossier has answered one,
  whatever its outcome, every kept answer is forgotten. A change made through a gateway is therefore
  seen by that gateway's next request: read-your-writes, as when every request asked the dossier.
- **Changes made elsewhere** (another gateway instance, ``shiji import``): the dossier's
  ``GET /v1/access/version`` (the day and the counts of units, cadres, posts and ended posts: each only
  grows) is asked at most once per ``check_s`` (default 1 s), by the first request that needs a relation
  after that; the others wait for the same answer. When it has changed, every kept answer is forgotten.
  So such a change is seen within ``check_s`` (plus a request's duration) everywhere.
- An answer asked for before a forgetting and received after it is not kept (the generation counts the
  forgettings), so a request that raced a change cannot bring the old answer back.
- When the version cannot be had (the dossier unavailable), nothing kept is used: the request asks the
  dossier itself, which answers or fails as before.

Why not a projection of units and posts fed from the dossier's topic, as the issue suggested: the gateway
would need Kafka credentials, its ACLs and a consumer per instance, and a change would reach it only once
the relay had published it, so the gateway's own writes would no longer be seen by its next request. The
version check keeps the gateway stateless apart from this cache, and the dossier the one place that
answers relations. ``check_s`` 0 keeps nothing: every request asks the dossier, as before.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

# The writes that can change an answer of the relations: they register units and cadres, assign and end posts.
DIRECTORY_WRITES = frozenset({"register_unit", "register_cadre", "assign_post", "end_post", "transfer"})
# Kept answers are dropped all at once past this many cadres and units in them (a whole jurisdiction's is
# thousands of units): memory stays bounded, and the next requests ask again.
WEIGHT_LIMIT = 2_000_000


class ReachCache:
    def __init__(self, version: Callable[[], Awaitable[str]], check_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._version_of = version
        self._check_s = check_s
        self._clock = clock
        self._answers: dict[Hashable, dict[str, Any]] = {}
        self._weight = 0
        self._generation = 0
        self._version: str | None = None
        self._checked_at: float | None = None
        self._checking: asyncio.Task | None = None

    @property
    def generation(self) -> int:
        return self._generation

    def forget(self) -> None:
        """Every kept answer is dropped, and none asked for before now will be kept."""
        self._generation += 1
        self._answers.clear()
        self._weight = 0

    async def get(self, key: Hashable) -> dict[str, Any] | None:
        """The kept answer for ``key``, if it is still known to be current."""
        if self._check_s <= 0 or not await self._current():
            return None
        return self._answers.get(key)

    def keep(self, key: Hashable, answer: dict[str, Any], generation: int) -> None:
        """Keep ``answer``, asked for at ``generation``, unless something was forgotten since."""
        if self._check_s <= 0 or generation != self._generation:
            return
        weight = 1 + len(answer["jurisdiction"]) + len(answer["cadres"])
        if self._weight + weight > WEIGHT_LIMIT:
            self._answers.clear()
            self._weight = 0
        self._answers[key] = answer
        self._weight += weight

    async def _current(self) -> bool:
        if self._checked_at is not None and self._clock() - self._checked_at < self._check_s:
            return True
        if self._checking is None or self._checking.done():
            self._checking = asyncio.create_task(self._check())
        try:
            await asyncio.shield(self._checking)
        except Exception:  # the dossier unavailable: the request asks it itself, and fails there
            return False
        return True

    async def _check(self) -> None:
        started = self._clock()
        version = await self._version_of()
        if version != self._version:
            self.forget()
        self._version = version
        self._checked_at = started  # counted from when it was asked: a change meanwhile is caught next time
