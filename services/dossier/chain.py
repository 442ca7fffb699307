"""Tamper evidence: every cadre's (and unit's) stream is a hash chain.

An event's hash covers the previous event's hash and the event's canonical JSON (RFC 8785):
stream, version, id, type, schema version, data, effective date, recorded time, actor. Editing,
deleting or reordering a stored row breaks the chain at that event, and ``verify`` names it.
SM3 (GB/T 32905, the national standard) by default, SHA-256 as the alternative; every hash
carries its algorithm's name, so a stream can change algorithm without breaking old links.

A chain cannot reveal that a stream's *newest* events were cut off; the hash also travels in
each published envelope (``chainhash``), so another system holding the stream's head can.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import rfc8785
from cryptography.hazmat.primitives import hashes

ALGORITHMS = {"sm3": hashes.SM3, "sha256": hashes.SHA256}
GENESIS = ""


class Linkable(Protocol):
    stream_id: str
    stream_version: int
    event_id: str
    event_type: str
    schema_version: int
    data: dict[str, Any]
    effective_date: dt.date | None
    recorded_at: dt.datetime
    actor: str
    actor_role: str


def canonical(event: Linkable) -> bytes:
    return rfc8785.dumps({
        "stream_id": event.stream_id,
        "stream_version": event.stream_version,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "schema_version": event.schema_version,
        "data": event.data,
        "effective_date": event.effective_date.isoformat() if event.effective_date else None,
        "recorded_at": event.recorded_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": event.actor,
        "actor_role": event.actor_role,
    })


def link(previous: str, event: Linkable, algorithm: str = "sm3") -> str:
    """``"<algorithm>:<hex>"`` of the previous hash and the event's canonical JSON."""
    digest = hashes.Hash(ALGORITHMS[algorithm]())
    digest.update(previous.encode())
    digest.update(b"\n")
    digest.update(canonical(event))
    return f"{algorithm}:{digest.finalize().hex()}"


def algorithm_of(hash_value: str) -> str:
    name = hash_value.split(":", 1)[0]
    if name not in ALGORITHMS:
        raise ValueError(f"unknown hash algorithm {name!r}")
    return name


@dataclass(frozen=True, slots=True)
class Break:
    stream_id: str
    stream_version: int
    event_id: str | None
    problem: str


def verify_stream(events: Iterable[Any]) -> Break | None:
    """The first broken link of one stream's events (given in stored order), or None.

    Each event needs the ``Linkable`` fields plus ``hash``.
    """
    previous, expected_version = GENESIS, 1
    for event in events:
        if event.stream_version != expected_version:
            return Break(event.stream_id, expected_version, None,
                         f"version {expected_version} is missing (found {event.stream_version} next)")
        try:
            recomputed = link(previous, event, algorithm_of(event.hash or ""))
        except ValueError as exc:
            return Break(event.stream_id, event.stream_version, event.event_id, str(exc))
        if recomputed != event.hash:
            return Break(event.stream_id, event.stream_version, event.event_id,
                         "hash mismatch: the event or its predecessor was altered")
        previous, expected_version = event.hash, expected_version + 1
    return None
