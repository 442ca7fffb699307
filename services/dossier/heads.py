"""The heads of streams this process wrote or read lately (``StreamHeads``): a write reads only the events
after the head it finds here instead of reading and folding the whole stream."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.dossier import domain
from services.dossier.plans import Plan
from services.dossier.store import StoredEvent
from shared import chain
from shared.events import DomainEvent


@dataclass(frozen=True, slots=True)
class StreamHead:
    """A stream as last seen: its folded state, version, last hash and recorded time."""

    state: Any
    version: int
    hash: str
    recorded_at: dt.datetime
    events: tuple[DomainEvent, ...]  # kept only for streams folded whole each time (units, the catalogue)

    @classmethod
    def start(cls, plan: Plan) -> StreamHead:
        return cls(plan.fold(plan.stream_id, ()), 0, chain.GENESIS, dt.datetime.min.replace(tzinfo=dt.UTC), ())

    def after(self, plan: Plan, new_events: Sequence[DomainEvent], last: StoredEvent | dict[str, Any]) -> StreamHead:
        """The head once ``new_events`` follow, ``last`` being the stored row of the last of them."""
        if not new_events:
            return self
        if plan.fold is domain.fold:  # a cadre: evolve, rather than keep and fold hundreds of events again
            events, state = (), self.state
            for event in new_events:
                state = domain.evolve(state, event)
        else:  # units and the catalogue hold few events
            events = (*self.events, *new_events)
            state = plan.fold(plan.stream_id, events)
        if isinstance(last, StoredEvent):
            return StreamHead(state, last.stream_version, last.hash or chain.GENESIS, last.recorded_at, events)
        return StreamHead(state, last["stream_version"], last["hash"], last["recorded_at"], events)

    def followed_by(self, plan: Plan, stored: Sequence[StoredEvent]) -> StreamHead:
        return self.after(plan, [e.domain_event() for e in stored], stored[-1]) if stored else self


class StreamHeads:
    """The heads of the streams this process wrote or read lately, newest last (least recently used
    dropped first). A command reads only the events after the head it finds here (usually none),
    instead of reading and folding the whole stream: a busy cadre's hundreds of events made every
    write cost milliseconds of parsing and folding. A head is put here only once what it holds is
    committed, and it is only ever behind the store, never ahead (the tail read catches it up), so
    several dossier instances may write the same streams. Bounded: a folded dossier of a few hundred
    entries takes a few hundred kilobytes."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._heads: OrderedDict[str, StreamHead] = OrderedDict()

    def get(self, stream_id: str) -> StreamHead | None:
        head = self._heads.get(stream_id)
        if head is not None:
            self._heads.move_to_end(stream_id)
        return head

    def put(self, stream_id: str, head: StreamHead) -> None:
        if self._size <= 0:
            return
        self._heads[stream_id] = head
        self._heads.move_to_end(stream_id)
        while len(self._heads) > self._size:
            self._heads.popitem(last=False)

    def forget(self, stream_id: str) -> None:
        self._heads.pop(stream_id, None)
