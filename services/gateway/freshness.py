"""Reading your own writes (issue 15, item 6): a read of scoring may ask for ``min_position`` and is then
answered only once scoring reflects it, or refused with 503 and ``Retry-After`` after a bounded wait.

What a position is (``shared/positions.py``): ``<stream>:<version>``, which every write answers for what
it appended. Scoring keeps the newest version it has applied per stream, in the database all its instances
share (``services/scoring/positions.py``). So the wait needs no global order, which a partitioned topic
does not have: it asks scoring ``GET /v1/applied?stream=`` (one primary-key lookup) until the version is
reached, pausing 20 ms, doubling to 250 ms, between asks. Nothing is held while it pauses: the gateway has
no database, and scoring's connection goes back to its pool after each ask. The bound is the gateway's
``min_position_wait_s`` (default 5 s), shortened by the caller's ``Prefer: wait=<seconds>`` (RFC 7240).

Then the read is made as any other; its answer states the position it is current up to in the
``X-Shiji-Position`` header (a cadre's answers also in the body's ``position``): the cadre's stream for a
cadre's answer, the stream ``min_position`` named for a jurisdiction's (screenings, rankings, warnings),
which without ``min_position`` states none (a partitioned projection has no single position to state).

A position names a stream, so asking one leaks how far that stream is applied: a stream outside the
caller's reach (another jurisdiction's cadre or unit, or none at all) is refused with 422, the same for a
hidden stream and a missing one.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Header, Query, Request, Response

from services.gateway.auth import Principal
from services.gateway.docs import READ_ERRORS, responses
from services.gateway.guard import Guard
from services.gateway.policy import allowed
from services.gateway.upstream import Upstream
from shared.http import invalid
from shared.positions import PATTERN, POSITION_HEADER, InvalidPosition, StreamPosition, parse_position
from shared.problems import Problem

CATALOGUE_STREAM, UNIT_STREAM_PREFIX = "catalogue", "unit-"
RETRY_AFTER_S = 1
FIRST_PAUSE_S, LONGEST_PAUSE_S = 0.02, 0.25

MinPosition = Annotated[str | None, Query(
    max_length=130, pattern=PATTERN,
    description="a `position` a write answered: answer only once this read reflects that write, waiting for "
                "scoring up to a few seconds (`Prefer: wait=<s>` to wait less); 503 with Retry-After if it has "
                "not caught up by then. A position of a stream outside your reach is refused (422).")]
Prefer = Annotated[str | None, Header(
    alias="Prefer",
    description="`wait=<seconds>` (RFC 7240): wait at most this long for `min_position` (never longer than the "
                "gateway's own bound)")]

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*([0-9]+(?:\.[0-9]+)?)", re.IGNORECASE)
POSITION_HEADER_DOC = {POSITION_HEADER: {
    "description": "a write: the position of what it appended; a read: the position its answer is current up to "
                   "(`<stream>:<version>`, see `min_position`)", "schema": {"type": "string"}}}


def fresh_read_responses() -> dict[int | str, dict[str, Any]]:
    """The documented answers of a read that takes ``min_position``: its position header, and the 503 of a wait
    that ran out."""
    documented = responses(READ_ERRORS)
    documented[503] = {**documented[503], "description": (
        "A service behind the gateway is unavailable; or (type `not-caught-up`) scoring has not yet applied "
        "`min_position` within the wait: retry after `Retry-After` seconds"),
        "headers": {"Retry-After": {"description": "seconds to wait before asking again",
                                    "schema": {"type": "integer"}}}}
    return {200: {"headers": POSITION_HEADER_DOC}, **documented}


def parse_min_position(text: str) -> StreamPosition:
    try:
        return parse_position(text)
    except InvalidPosition as exc:
        raise invalid("min_position", "position_format", str(exc)) from exc


def wait_bound(prefer: str | None, ceiling_s: float) -> float:
    """How long to wait: the gateway's ``ceiling_s``, or less when the caller prefers (``Prefer: wait=N``)."""
    if prefer and (m := _WAIT.search(prefer)):
        return min(float(m.group(1)), ceiling_s)
    return ceiling_s


@dataclass(frozen=True)
class Freshness:
    scoring: Upstream
    guard: Guard
    ceiling_s: float

    async def await_position(self, caller: Principal, request: Request, min_position: str | None,
                             prefer: str | None, cadre_id: str | None = None) -> StreamPosition | None:
        """Return once scoring reflects ``min_position`` (None when none was asked); 422 for a position that is
        malformed or outside the caller's reach, 503 with Retry-After when the wait runs out.
        ``cadre_id``: the cadre the read is about, already authorized."""
        if min_position is None:
            return None
        wanted = parse_min_position(min_position)
        if wanted.stream != cadre_id:
            await self._authorize(caller, request, wanted.stream)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_bound(prefer, self.ceiling_s)
        pause = FIRST_PAUSE_S
        while True:
            applied = await self._applied(request, wanted.stream)
            if wanted.reached_by(applied):
                return wanted
            if (left := deadline - loop.time()) <= 0:
                raise Problem(503, "not-caught-up", "Scoring has not yet applied this position",
                              f"{wanted.stream} is applied up to version {applied} of the {wanted.version} asked; "
                              f"retry in {RETRY_AFTER_S} s", rule="min_position_reached",
                              headers={"Retry-After": str(RETRY_AFTER_S)})
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 2, LONGEST_PAUSE_S)

    async def _applied(self, request: Request, stream: str) -> int:
        answer = await self.scoring.call("GET", "/v1/applied", request=request, params={"stream": stream})
        if answer.status_code != 200:
            raise Problem(503, "upstream-unavailable", "The scoring service is unavailable",
                          f"applied answered {answer.status_code}")
        return int(answer.json()["version"])

    async def _authorize(self, caller: Principal, request: Request, stream: str) -> None:
        if stream == CATALOGUE_STREAM:
            return
        if stream.startswith(UNIT_STREAM_PREFIX):
            unit = stream.removeprefix(UNIT_STREAM_PREFIX)
            if (await self.guard.reach(caller, request, unit_ids=[unit])).unit(unit):
                return
        elif _UUID.fullmatch(stream):  # a cadre's stream is named by the cadre's id
            relations = (await self.guard.reach(caller, request, [stream])).cadres.get(stream)
            if relations is not None and allowed(caller.role, "read_cadre", relations):
                return
        raise invalid("min_position", "position_reach", "min_position names no stream within your reach")


def stating(response: Response, upstream_headers: Any) -> Response:
    """``response`` (made by the gateway from a scoring answer) with the position that answer stated."""
    if (stated := upstream_headers.get(POSITION_HEADER)) is not None:
        response.headers[POSITION_HEADER] = stated
    return response
