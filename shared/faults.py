"""Fault-injection points: deterministic crashes in the windows a random kill would rarely hit.

A crash point is a named place in a server path, e.g. between the scoring consumer's database
commit and its Kafka offset commit. It does nothing unless the process was started with
``SHIJI_FAULT_CRASH_AT`` naming it, e.g. ``SHIJI_FAULT_CRASH_AT=relay.after_publish`` (crash at
the first pass) or ``relay.after_publish:3`` (at the third). Then the process dies on the spot
with ``os._exit`` - no ``finally``, no flush of anything but this module's one log line - which
is what ``kill -9`` does at that instant. Several points: comma-separated.

In-process tests (the hypothesis state machine) ``arm`` a point instead; it then raises
``SimulatedCrash``, which unwinds like a dying process: open transactions roll back, nothing
after the point runs.

The points, and the window each one opens:

- ``relay.after_publish``: Kafka acknowledged a batch, the relay's checkpoint is not written.
- ``consumer.before_commit``: the scoring consumer applied a batch in its transaction, not committed.
- ``consumer.after_commit``: the batch and positions are committed, the Kafka offsets are not.
- ``dossier.before_commit``: an append (and its idempotency key) is written, not committed.
- ``dossier.after_commit``: the append is committed, the client has no answer yet.
"""

from __future__ import annotations

import os
import sys

ENV = "SHIJI_FAULT_CRASH_AT"
EXIT_CODE = 70  # what a crash point exits with, so a test can tell it from any other death
POINTS = frozenset({"relay.after_publish", "consumer.before_commit", "consumer.after_commit",
                    "dossier.before_commit", "dossier.after_commit"})


class SimulatedCrash(BaseException):
    """An armed crash point, in-process. A BaseException, so no ``except Exception`` retries it."""


def _parse(spec: str) -> dict[str, int]:
    plan: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, nth = item.partition(":")
        if name not in POINTS:
            raise ValueError(f"{ENV}: unknown crash point {name!r}; known: {', '.join(sorted(POINTS))}")
        plan[name] = int(nth or 1)
    return plan


# Remaining passes before each point fires: from the environment (exits) or from ``arm`` (raises).
_exits: dict[str, int] = _parse(os.environ.get(ENV, ""))
_raises: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Die here if this process was told to (see the module docstring); otherwise do nothing."""
    for plan in (_exits, _raises):
        if name in plan:
            plan[name] -= 1
            if plan[name] == 0:
                del plan[name]
                if plan is _raises:
                    raise SimulatedCrash(name)
                print(f"shiji fault injection: crashing at {name}", file=sys.stderr, flush=True)
                os._exit(EXIT_CODE)


def arm(name: str, nth: int = 1) -> None:
    """In-process: make the ``nth`` next pass through ``name`` raise ``SimulatedCrash``."""
    if name not in POINTS:
        raise ValueError(f"unknown crash point {name!r}")
    _raises[name] = nth


def disarm() -> None:
    _raises.clear()
