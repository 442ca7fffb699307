"""The invariant every fault test ends with, checked from the databases themselves.

- every write the gateway acknowledged is in the event store exactly once (``check_acknowledged``);
- every event is applied exactly once: the scoring projection equals a recomputation from the
  dossier's event store, row for row (``recompute``, ``projected``, ``wait_converged``);
- the scores the gateway answers equal the points recomputed from the event store (``check_scores``).

The recomputation is written here on purpose, independently of ``services/scoring/projection.py``:
a checker that reused the code it checks would agree with any bug in it. So is the three-year window
(``in_window``, from the rule of domain.md's "Points and the three-year view", not from
``services/scoring/window.py``); and corrections (``entry_amended``) are compared row for row and
counted in the totals.
"""

from __future__ import annotations

import asyncio
import calendar
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.dossier import store
from services.dossier.store import Cursor, StoredEvent
from services.scoring.tables import cadres, entries, entry_amendments, revocations
from shared import chain
from tests.support.load import Ack

WINDOW_YEARS = 3


def in_window(day: dt.date, as_of: dt.date, years: int = WINDOW_YEARS) -> bool:
    """domain.md: the rolling window as of D holds the effective dates e with ``D - 3 years < e <= D``, where
    ``D - 3 years`` is the same calendar day three years earlier, 29 February becoming 28 February."""
    earlier_year = as_of.year - years
    same_day = min(as_of.day, calendar.monthrange(earlier_year, as_of.month)[1])
    return dt.date(earlier_year, as_of.month, same_day) < day <= as_of


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


# Event types that put nothing into the cadres, entries and revocations tables checked here.
NOT_IN_THESE_TABLES = {
    "category_defined", "unit_registered", "team_grade_recorded", "target_evaluation_recorded", "basics_recorded",
    "post_assigned", "post_ended", "self_evaluation_written", "achievement_claimed", "achievement_rejected",
    "quarterly_report_saved", "quarterly_report_submitted", "quarterly_report_endorsed", "quarterly_report_returned",
    "appeal_filed", "appeal_decided", "annual_grade_recorded", "appraisal_level_recorded",
    "democratic_evaluation_recorded", "assessment_scores_recorded", "integrity_veto_recorded", "declaration_recorded",
}


@dataclass
class Projection:
    """The scoring rows, keyed by what they project: cadre id, entry id, revoked entry id."""

    cadres: dict[str, tuple] = field(default_factory=dict)
    entries: dict[str, tuple] = field(default_factory=dict)
    revocations: dict[str, tuple] = field(default_factory=dict)
    amendments: dict[str, tuple] = field(default_factory=dict)  # amendment's event id -> its row, in commit order

    TABLES = ("cadres", "entries", "revocations", "amendments")

    def differences(self, actual: Projection, limit: int = 10) -> list[str]:
        out = []
        for name in self.TABLES:
            want, got = getattr(self, name), getattr(actual, name)
            for key in sorted(want.keys() | got.keys()):
                if want.get(key) != got.get(key):
                    out.append(f"{name}[{key}]: expected {want.get(key)}, projected {got.get(key)}")
        return out[:limit] + ([f"... {len(out) - limit} more"] if len(out) > limit else [])

    def total(self, cadre_id: str, as_of: dt.date) -> Decimal:
        """The cadre's points in the rolling window as of ``as_of``: each entry as last amended, revoked
        entries left out."""
        newest = {entry_id: (points, effective)
                  for entry_id, _, _, points, effective, *_ in self.amendments.values()}  # later rows win
        cents = 0
        for entry_id, (_, cadre, _, _, points, effective, _) in self.entries.items():
            points, effective = newest.get(entry_id, (points, effective))
            if cadre == cadre_id and in_window(effective, as_of) and entry_id not in self.revocations:
                cents += points
        return Decimal(cents) / 100


async def read_all_events(dossier: AsyncEngine) -> list[StoredEvent]:
    out: list[StoredEvent] = []
    async with dossier.connect() as conn:
        while batch := await store.read_committed(conn, out[-1].cursor if out else Cursor(), 5000):
            out.extend(batch)
    return out


def recompute(events: Iterable[StoredEvent]) -> Projection:
    """What the scoring projection must hold after applying every event exactly once."""
    p = Projection()
    for e in events:
        data, at = e.data, _utc(e.recorded_at)
        if e.event_type == "cadre_registered":
            p.cadres[e.stream_id] = (e.event_id, data["name"], data["unit_id"], at)
        elif e.event_type == "entry_recorded":
            cents = int(Decimal(str(data["points"])) * 100)
            p.entries[data["entry_id"]] = (e.event_id, e.stream_id, data["kind"], data["category"], cents,
                                           dt.date.fromisoformat(data["effective_date"]), at)
        elif e.event_type == "achievement_verified":  # a verified achievement counts as an entry
            cents = int(Decimal(str(data["points"])) * 100)
            p.entries[data["achievement_id"]] = (e.event_id, e.stream_id, "achievement", data["category"], cents,
                                                 dt.date.fromisoformat(data["effective_date"]), at)
        elif e.event_type == "entry_amended":  # the entry's row stays; a row of its new values is added
            impact = data.get("impact_period") or {}
            p.amendments[e.event_id] = (data["entry_id"], e.stream_id, data["category"],
                                        int(Decimal(str(data["points"])) * 100),
                                        dt.date.fromisoformat(data["effective_date"]),
                                        _date(impact.get("start")), _date(impact.get("end")), at)
        elif e.event_type == "entry_revoked":
            p.revocations[data["entry_id"]] = (e.event_id, e.stream_id, at)
        elif e.event_type not in NOT_IN_THESE_TABLES:
            raise AssertionError(f"the checker does not know event type {e.event_type}")
    return p


def _date(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


async def projected(scoring: AsyncEngine) -> Projection:
    p = Projection()
    async with scoring.connect() as conn:
        for r in await conn.execute(select(cadres)):
            p.cadres[r.cadre_id] = (r.event_id, r.name, r.unit_id, _utc(r.recorded_at))
        for r in await conn.execute(select(entries)):
            p.entries[r.entry_id] = (r.event_id, r.cadre_id, r.kind, r.category, r.points_cents, r.effective_date,
                                     _utc(r.recorded_at))
        for r in await conn.execute(select(revocations)):
            p.revocations[r.entry_id] = (r.event_id, r.cadre_id, _utc(r.recorded_at))
        for r in await conn.execute(select(entry_amendments).order_by(entry_amendments.c.recorded_at)):
            p.amendments[r.event_id] = (r.entry_id, r.cadre_id, r.category, r.points_cents, r.effective_date,
                                        r.impact_start, r.impact_end, _utc(r.recorded_at))
    return p


async def wait_converged(dossier: AsyncEngine, scoring: AsyncEngine, timeout_s: float = 60) -> Projection:
    """Poll until the projection equals the recomputation; fail with the differences otherwise."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        expected = recompute(await read_all_events(dossier))
        differences = expected.differences(await projected(scoring))
        if not differences:
            return expected
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("projection differs from the event store after "
                                 f"{timeout_s}s:\n" + "\n".join(differences))
        await asyncio.sleep(0.5)


def check_acknowledged(acks: Sequence[Ack], events: Sequence[StoredEvent]) -> None:
    """Each acknowledged write is in the store exactly once, as answered; and the load wrote nothing else."""
    by_key = Counter()
    events_by_key: dict[str, StoredEvent] = {}
    for e in events:
        text = e.data.get("title") if e.event_type == "entry_recorded" else e.data.get("reason")
        if isinstance(text, str) and text.startswith("load "):
            key = text.removeprefix("load ")
            by_key[key] += 1
            events_by_key[key] = e
    doubled = [k for k, n in by_key.items() if n > 1]
    assert not doubled, f"{len(doubled)} writes recorded more than once, e.g. {doubled[:3]}"
    acked_keys = {a.write.key for a in acks}
    assert len(acked_keys) == len(acks), "one key acknowledged twice by the load itself"
    lost = [a.write.key for a in acks if a.write.key not in events_by_key]
    assert not lost, f"{len(lost)} acknowledged writes are not in the event store, e.g. {lost[:3]}"
    unacknowledged = sorted(by_key.keys() - acked_keys)
    assert not unacknowledged, f"{len(unacknowledged)} writes recorded that nobody was told of, e.g. {unacknowledged[:3]}"
    for a in acks:
        e = events_by_key[a.write.key]
        assert (e.stream_id, e.data["entry_id"], e.stream_version) == (a.write.cadre_id, a.entry_id, a.version), (
            f"write {a.write.key} was answered {a.entry_id} v{a.version}, "
            f"stored as {e.data['entry_id']} v{e.stream_version}")


def check_streams(events: Sequence[StoredEvent]) -> None:
    """Each stream has versions 1..n, no gap, no repeat, and its hash chain holds."""
    versions: dict[str, list[int]] = {}
    for e in events:
        versions.setdefault(e.stream_id, []).append(e.stream_version)
    for stream, vs in versions.items():
        assert sorted(vs) == list(range(1, len(vs) + 1)), f"stream {stream} has versions {sorted(vs)}"
    by_stream: dict[str, list[StoredEvent]] = {}
    for e in sorted(events, key=lambda e: (e.stream_id, e.stream_version)):
        by_stream.setdefault(e.stream_id, []).append(e)
    broken = [b for stream in by_stream.values() if (b := chain.verify_stream(stream))]
    assert not broken, f"hash chains broken: {broken[:3]}"


async def check_scores(gateway: httpx.AsyncClient, expected: Projection, cadre_ids: Iterable[str],
                       as_of: dt.date) -> None:
    """The score the gateway answers for each cadre equals the recomputed rolling total."""
    for cadre_id in cadre_ids:
        r = await gateway.get(f"/api/v1/cadres/{cadre_id}/score", params={"as_of": as_of.isoformat()})
        assert r.status_code == 200, r.text
        want = expected.total(cadre_id, as_of)
        assert Decimal(str(r.json()["total"])) == want, f"cadre {cadre_id}: answered {r.json()['total']}, recomputed {want}"
