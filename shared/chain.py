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
import math
from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Protocol

import orjson
import rfc8785
from cryptography.hazmat.primitives import hashes

from shared.envelope import Envelope

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


_SAFE_INT = 2**53 - 1


class _NotPlain(Exception):
    pass


def _plain(value: Any) -> Any:
    """``value`` with its floats made ints where integral, if orjson would then write exactly the
    RFC 8785 bytes; raises ``_NotPlain`` otherwise. True for what events hold: keys below U+D800, small
    integers, and floats in fixed notation (points like 2.5), where the shortest repr and ES6's agree;
    and orjson's escaping is RFC 8785's (``tests/unit/test_canonical_json.py`` checks both against the reference)."""
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return value
    if kind is dict:
        # Key order: RFC 8785 sorts by UTF-16 code units, orjson by code points; they agree below U+D800.
        for k in value:
            if type(k) is not str or not (k.isascii() or max(k) < "\ud800"):
                raise _NotPlain
        # Text (most values) is taken as it is without a call: a fifth of the chain's cost on an import.
        return {k: v if type(v) is str else _plain(v) for k, v in value.items()}
    if kind is int:
        if -_SAFE_INT <= value <= _SAFE_INT:
            return value
        raise _NotPlain
    if kind is float:
        if value == 0:
            return 0
        if math.isfinite(value) and abs(value) < 1e16:
            if value == int(value):
                return int(value)
            if abs(value) >= 1e-4:
                return value
        raise _NotPlain
    if kind is list or kind is tuple:
        return [_plain(v) for v in value]
    raise _NotPlain  # subclasses (str enums...) and anything else: the reference encoder decides


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) bytes of ``value``: through orjson when it writes the same bytes (every event we make;
    about thirty times faster than the reference, which bulk import needs), else through ``rfc8785``."""
    try:
        return orjson.dumps(_plain(value), option=orjson.OPT_SORT_KEYS)
    except (_NotPlain, orjson.JSONEncodeError):  # JSONEncodeError: a lone surrogate, which rfc8785 refuses too
        return rfc8785.dumps(value)


def _reference_canonical(event: Linkable) -> bytes:
    return canonical_json({
        "stream_id": event.stream_id,
        "stream_version": event.stream_version,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "schema_version": event.schema_version,
        "data": event.data,
        "effective_date": event.effective_date.isoformat() if event.effective_date else None,
        "recorded_at": _recorded(event),
        "actor": event.actor,
        "actor_role": event.actor_role,
    })


def _recorded(event: Linkable) -> str:
    return event.recorded_at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical(event: Linkable) -> bytes:
    """The event's canonical JSON: the object above with its keys already in RFC 8785's order (they are fixed and
    ASCII), written by orjson in one call (``canonical_json``'s fast path); the same bytes. Anything unusual (a
    lone surrogate, an integer out of range) takes the whole reference path."""
    if (type(event.stream_version) is not int or type(event.schema_version) is not int
            or abs(event.stream_version) > _SAFE_INT or abs(event.schema_version) > _SAFE_INT):
        return _reference_canonical(event)
    try:
        return orjson.dumps({
            "actor": event.actor, "actor_role": event.actor_role, "data": _plain(event.data),
            "effective_date": event.effective_date.isoformat() if event.effective_date else None,
            "event_id": event.event_id, "event_type": event.event_type, "recorded_at": _recorded(event),
            "schema_version": event.schema_version, "stream_id": event.stream_id,
            "stream_version": event.stream_version}, option=orjson.OPT_SORT_KEYS)
    except (_NotPlain, orjson.JSONEncodeError):
        return _reference_canonical(event)


def link(previous: str, event: Linkable, algorithm: str = "sm3") -> str:
    """``"<algorithm>:<hex>"`` of the previous hash and the event's canonical JSON."""
    digest = hashes.Hash(ALGORITHMS[algorithm]())
    digest.update(previous.encode())
    digest.update(b"\n")
    digest.update(canonical(event))
    return f"{algorithm}:{digest.finalize().hex()}"


def envelope_link(previous: str, envelope: Envelope, algorithm: str = "sm3") -> str:
    """The link the event an ``envelope`` carries makes after ``previous``: what its ``chainhash`` is when the
    envelope is what the dossier recorded (scoring checks it: services/scoring/stream_check.py)."""
    return link(previous, SimpleNamespace(  # type: ignore[arg-type]
        stream_id=envelope.subject, stream_version=envelope.streamversion, event_id=envelope.id,
        event_type=envelope.event_type, schema_version=envelope.schema_version, data=envelope.data,
        effective_date=envelope.effectivedate, recorded_at=envelope.time, actor=envelope.actor,
        actor_role=envelope.actorrole), algorithm)


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
