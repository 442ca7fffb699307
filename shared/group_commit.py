"""Group commit: callers hand in one item each and wait for it; the items that arrive while a write is
under way go together in the next one.

For writes whose cost is mostly per write, not per item (a transaction and its commit, an HTTP call):
under concurrency they would otherwise take turns one at a time. An item arriving when nothing is being
written goes at once (no added delay when idle). Each caller gets its own result back once its write has
succeeded. A batch that fails is written again one item at a time, so one bad item fails only its own
caller."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """``write`` takes a batch and returns one result per item, in order."""

    def __init__(self, write: Callable[[list[T]], Awaitable[list[R]]]) -> None:
        self._write = write
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._flushing: asyncio.Task | None = None

    async def submit(self, item: T) -> R:
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, done))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        return await asyncio.shield(done)

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                written = await self._write([item for item, _ in batch])
            except Exception as exc:  # handed to the waiting callers
                if len(batch) == 1:
                    _settle(batch[0][1], error=exc)
                    continue
                for item, done in batch:
                    try:
                        [one] = await self._write([item])
                    except Exception as alone:
                        _settle(done, error=alone)
                    else:
                        _settle(done, one)
                continue
            for (_, done), result in zip(batch, written, strict=True):
                _settle(done, result)


def _settle(done: asyncio.Future, result: object = None, error: BaseException | None = None) -> None:
    if not done.done():
        done.set_exception(error) if error is not None else done.set_result(result)
