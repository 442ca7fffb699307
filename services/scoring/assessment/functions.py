"""The closed set of scoring functions (``shared.assessment_scheme.FUNCTIONS``): a reading to points.

Which function and its parameters are data in the scheme; there is no formula language. Every function
is monotone in the indicator's direction: a better reading never earns fewer points (bands are refused
otherwise, ``bands_not_monotone``). Arithmetic is exact Decimal; nothing is rounded here (the composite
is rounded once, at the end). A reading the function cannot score (no value, no basis, a level off the
scale) gives no points, and the component's missing-input policy says what that does.

Sources: the level map is 001's 好 → 100 / 较好 → 85; comparisons with the target, the same period last
year and the class's peers are 004's monthly tracking; the gap to the average and the best is 000's
business-environment measure; ranks within a class are 000's and 001's. Parameters are illustrative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from services.scoring.assessment.inputs import Reading
from shared.assessment_scheme import Bands, Compare, LevelMap, LinearToTarget, RankInClass, ScoringFunction

HUNDRED = Decimal(100)
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Scored:
    points: Decimal | None  # None: the reading could not be scored
    basis: Decimal | None = None  # the target, last year's figure or the class figure compared with
    basis_kind: str | None = None
    note: str = ""
    capped: bool = False  # the points were held at the function's cap


def _clamp(x: Decimal, low: Decimal, high: Decimal) -> tuple[Decimal, bool]:
    if x > high:
        return high, True
    return max(low, x), False


def _better(a: Decimal, b: Decimal, higher: bool) -> bool:
    return a > b if higher else a < b


def score(fn: ScoringFunction, higher: bool, reading: Reading | None, target: Decimal | None,
          peers: Sequence[Decimal]) -> Scored:
    """The points of ``reading`` under ``fn``; ``peers`` are the readings of the class's other subjects."""
    if reading is None:
        return Scored(None, note="no reading")
    if isinstance(fn, LevelMap):
        if reading.level is None:
            return Scored(None, note="no level")
        if reading.level not in fn.points:
            return Scored(None, note=f"level {reading.level!r} is not in the scale")
        return Scored(fn.points[reading.level], note=f"level {reading.level}")
    value = reading.value
    if value is None:
        return Scored(None, note="no value")
    if isinstance(fn, LinearToTarget):
        return linear_to_target(fn, higher, value, target)
    if isinstance(fn, Bands):
        return bands(fn, higher, value)
    if isinstance(fn, RankInClass):
        rank = 1 + sum(1 for p in peers if _better(p, value, higher))
        pts = max(fn.floor, fn.best - fn.step * (rank - 1))
        return Scored(pts, Decimal(rank), "rank", f"rank {rank} of {len(peers) + 1}")
    return compare(fn, higher, value, target, reading.last_year, peers)


def linear_to_target(fn: LinearToTarget, higher: bool, value: Decimal, target: Decimal | None) -> Scored:
    if target is None or target <= 0:
        return Scored(None, target, "target", "no target above 0")
    if higher:
        raw = HUNDRED * value / target
    elif value <= 0:
        raw = fn.cap + 1  # nothing at all, where less is better: the best there is
    else:
        raw = HUNDRED * target / value
    pts, capped = _clamp(raw, ZERO, fn.cap)
    return Scored(pts, target, "target", capped=capped)


def bands(fn: Bands, higher: bool, value: Decimal) -> Scored:
    ordered = sorted(fn.bands, key=lambda b: b.threshold, reverse=higher)  # best band first
    for band in ordered:
        if (value >= band.threshold) if higher else (value <= band.threshold):
            return Scored(band.points, band.threshold, "band")
    return Scored(fn.otherwise, None, "band", "below every band")


def compare(fn: Compare, higher: bool, value: Decimal, target: Decimal | None, last_year: Decimal | None,
            peers: Sequence[Decimal]) -> Scored:
    if fn.basis == "target":
        basis = target
    elif fn.basis == "last_year":
        basis = last_year
    elif not peers:
        basis = None
    elif fn.basis == "class_average":
        basis = sum(peers, ZERO) / len(peers)
    else:
        basis = max(peers) if higher else min(peers)
    if basis is None:
        return Scored(None, None, fn.basis, f"no {fn.basis.replace('_', ' ')} to compare with")
    diff = value - basis if higher else basis - value
    if basis == 0:
        raw = fn.at_par if diff == 0 else (fn.cap + 1 if diff > 0 else fn.floor)
    else:
        raw = fn.at_par + fn.per_percent * diff * HUNDRED / abs(basis)
    pts, capped = _clamp(raw, fn.floor, fn.cap)
    return Scored(pts, basis, fn.basis, capped=capped)
