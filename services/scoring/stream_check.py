"""What the consumer checks before it applies an event: that it follows, in its stream, the last one applied.

Every dossier stream is a hash chain (shared/chain.py) and every envelope carries its event's link
(``chainhash``). Scoring keeps, per stream, the version and the link of the last event it took
(``applied_versions``), and takes the next event only if

- its version is the next one (a skipped version means an event is missing or forged), and
- its link is the hash of the previous link and of the event itself, as the dossier computed it (a
  broken link means the event, or the one before it, is not what the dossier recorded).

An event at or below the version applied is a redelivery (a relay or consumer restart, a rebalance, a
republished batch): it is skipped, as it always was, and is not a dead letter. Anything else that fails is
*unlinked*: not applied, kept as a dead letter, published to the dead-letter topic, counted and alerted on
(services/scoring/consumer.py); the stream's head does not move, so the genuine next event is still taken.

What this does not do: stop a producer that can write to the dossier topic *and* compute the chain (it is
not keyed), nor tell which of two events with the same version is the true one when the forged one comes
first. The Kafka ACLs (only the dossier's principal may produce there) are the guard against that; this is
the check that what arrives is consistent with what was applied before. An unlinked event is an incident:
investigate, then rebuild scoring from the event store (``shiji rebuild scoring --into ... --from-store ...``), which
takes the heads from the store itself (services/scoring/from_store.py).

A head stored before migration 0010 has a version but no link: the next event's link is taken as given
(its version is still checked), and every later one is checked in full.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.scoring.tables import applied_versions
from shared import chain
from shared.envelope import Envelope

REDELIVERED = "redelivered"


@dataclass(frozen=True, slots=True)
class Head:
    version: int
    hash: str | None  # None: stored before the links were kept (migration 0010)


class Unlinked(Exception):
    """An event that does not follow the last one applied in its stream."""


class Heads:
    """The streams' heads for one batch: loaded once, moved as each event of the batch is taken."""

    def __init__(self, stored: dict[str, Head]) -> None:
        self._heads = stored
        self.moved: dict[str, Head] = {}

    @classmethod
    async def load(cls, conn: AsyncConnection, streams: Iterable[str]) -> Heads:
        wanted = sorted(set(streams))
        if not wanted:
            return cls({})
        rows = await conn.execute(select(applied_versions.c.stream_id, applied_versions.c.version,
                                         applied_versions.c.chain_hash)
                                  .where(applied_versions.c.stream_id.in_(wanted)))
        return cls({r.stream_id: Head(int(r.version), r.chain_hash) for r in rows})

    def admit(self, envelope: Envelope) -> str | None:
        """None when ``envelope`` is the stream's next event (its head then moves to it); ``REDELIVERED`` when it
        was applied already; raises ``Unlinked`` saying why otherwise."""
        head = self._heads.get(envelope.subject, Head(0, chain.GENESIS))
        if envelope.streamversion <= head.version:
            return REDELIVERED
        if envelope.streamversion != head.version + 1:
            raise Unlinked(f"stream {envelope.subject}: version {envelope.streamversion} does not follow the last "
                           f"applied, {head.version} (version {head.version + 1} is missing)")
        if head.hash is not None:
            check_link(envelope, head.hash)
        elif not envelope.chainhash:
            raise Unlinked(f"stream {envelope.subject} version {envelope.streamversion}: no chain hash")
        self._heads[envelope.subject] = self.moved[envelope.subject] = Head(envelope.streamversion, envelope.chainhash)
        return None


def check_link(envelope: Envelope, previous: str) -> None:
    """Raise ``Unlinked`` unless ``envelope.chainhash`` links the event to ``previous``."""
    where = f"stream {envelope.subject} version {envelope.streamversion}"
    if not envelope.chainhash or envelope.actor is None or envelope.actorrole is None:
        raise Unlinked(f"{where}: no chain hash, or no actor to compute it from")
    try:
        expected = chain.envelope_link(previous, envelope, chain.algorithm_of(envelope.chainhash))
    except ValueError as exc:
        raise Unlinked(f"{where}: {exc}") from exc
    if expected != envelope.chainhash:
        raise Unlinked(f"{where}: the chain hash does not link it to version {envelope.streamversion - 1} "
                       "(the event, or the one before it, is not what the dossier recorded)")
