"""Envelopes of one stream as the dossier's relay publishes them: versions in order, each linked to the last by
its chain hash (shared/chain.py). For tests that feed the consumer without a dossier, and forge what it refuses."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from shared import chain
from shared.envelope import Envelope, type_name


@dataclass
class ChainedStream:
    stream_id: str
    version: int = 0
    hash: str = chain.GENESIS
    position: int = 0
    made: list[Envelope] = field(default_factory=list)

    def envelope(self, event_type: str, data: dict[str, Any], *, schema_version: int = 1,
                 effective_date: dt.date | None = None, version: int | None = None, previous: str | None = None,
                 advance: bool = True) -> Envelope:
        """The stream's next envelope (or, with ``version``/``previous``, one that claims another place in it);
        ``advance`` False leaves the stream where it was (a forgery the real stream never held)."""
        self.position += 1
        unlinked = Envelope(id=str(uuid.uuid4()), source="/test", type=type_name(event_type, schema_version),
                            subject=self.stream_id, time=dt.datetime.now(dt.UTC), data=data,
                            streamversion=version or self.version + 1, position=self.position,
                            effectivedate=effective_date, actor="clerk-1", actorrole="clerk")
        link = chain.envelope_link(self.hash if previous is None else previous, unlinked)
        env = unlinked.model_copy(update={"chainhash": link})
        if advance:
            self.version, self.hash = env.streamversion, link
            self.made.append(env)
        return env
