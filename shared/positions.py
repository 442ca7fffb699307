"""Positions for reading your own writes: ``<stream>:<version>``, the same on the write side and in scoring.

A write appends to one stream (a cadre's, ``unit-<id>``, ``catalogue``) and answers the position of what
it appended: the stream and its version after the write (the version is the ETag). Scoring consumes a
partitioned topic, so no global order exists on its side; but one stream's events stay on one partition in
order, and scoring keeps, per stream, the newest version it has applied (``services/scoring/positions.py``,
written in the consumer's own transaction, in the database every scoring instance shares). So "scoring is
current up to ``s:v``" means: every event of stream ``s`` up to version ``v`` is in the projection, and so
in every answer computed from it after that moment.

The text is opaque to clients: they take it from a write's answer (``position``, header
``X-Shiji-Position``) and hand it back as ``min_position``. Parsed here, by the last ``:`` (a unit's id may
hold one).
"""

from __future__ import annotations

from dataclasses import dataclass

POSITION_HEADER = "X-Shiji-Position"
MAX_STREAM_LENGTH = 100
PATTERN = r"^[A-Za-z0-9_.:-]{1,100}:[0-9]{1,18}$"


class InvalidPosition(ValueError):
    """Text that is not a position this system gave out."""


@dataclass(frozen=True, slots=True, order=True)
class StreamPosition:
    stream: str
    version: int

    def __str__(self) -> str:
        return f"{self.stream}:{self.version}"

    def reached_by(self, applied: int) -> bool:
        """Whether a projection that has applied ``applied`` of this stream reflects this position."""
        return applied >= self.version


def position(stream: str, version: int) -> str:
    return str(StreamPosition(stream, version))


def parse_position(text: str) -> StreamPosition:
    stream, sep, version = text.rpartition(":")
    if not sep or not stream or len(stream) > MAX_STREAM_LENGTH or not version.isascii() or not version.isdigit() \
            or len(version) > 18:
        raise InvalidPosition(f"{text[:120]!r} is not a position: give one a write answered, <stream>:<version>")
    if any(not (ch.isascii() and (ch.isalnum() or ch in "_.:-")) for ch in stream):
        raise InvalidPosition(f"{text[:120]!r} is not a position: its stream holds characters no stream has")
    return StreamPosition(stream, int(version))
