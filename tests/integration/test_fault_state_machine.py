"""A hypothesis state machine: record / revoke / retry / crash / restart / redeliver, in any order.

The pieces are the production ones (DossierService, Relay, ScoringConsumer) on the embedded wiring's
adapters (SQLite files, the file-backed bus), in process, so that hundreds of interleavings run in
seconds. Crashes are the real crash points of ``shared/faults.py``, armed to raise: the transaction
in flight rolls back and nothing after the point runs, as when the process dies there.

Entries are amended too (a correction of points and effective date): the model, the checker and the
projection must all count each entry as last amended.

Invariants, after every step: the event store holds exactly the acknowledged writes, and every
projected row is one the event store implies (nothing wrong, nothing extra). At the end, once the
relay and the consumer have caught up: the projection equals the recomputation, row for row, and
the rolling totals equal the model's.
"""

from __future__ import annotations

import asyncio
import atexit
import datetime as dt
import functools
import shutil
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from services.dossier.relay import Relay
from services.dossier.service import DossierService
from services.dossier.store import Actor
from services.scoring.consumer import ScoringConsumer
from services.scoring.facts import load_entries
from shared import faults
from shared.bus import DeliveredMessage, OutgoingMessage
from shared.commands import AmendEntry, RecordEntry, RegisterCadre, RegisterUnit, RevokeEntry
from shared.db import make_engine, sqlite_url, upgrade_to_head
from shared.log_bus import LogBus
from tests.support.checker import Projection, in_window, projected, read_all_events, recompute

TODAY = dt.date(2026, 11, 21)
ACTOR = Actor("machine", "clerk")
TOPIC = "events"


@functools.cache
def migrated_templates() -> Path:
    """Migrated, empty dossier and scoring databases, made once and copied for every example."""
    folder = Path(tempfile.mkdtemp(prefix="shiji-machine-templates-"))
    atexit.register(shutil.rmtree, folder, True)

    async def migrate() -> None:
        await upgrade_to_head("dossier", sqlite_url(folder / "dossier.db"))
        await upgrade_to_head("scoring", sqlite_url(folder / "scoring.db"))
    asyncio.run(migrate())
    return folder


def points_of(kind: str, halves: int) -> Decimal:
    return {"achievement": Decimal(halves - 1) / 2, "positive": Decimal(halves) / 2, "negative": -Decimal(halves) / 2}[kind]


def entry_command(kind: str, halves: int, days_ago: int) -> RecordEntry:
    category = {"achievement": "key_project", "positive": "honour", "negative": "inaction"}[kind]  # ranges fit
    return RecordEntry(kind=kind, category=category, title="t", points=points_of(kind, halves),
                       effective_date=TODAY - dt.timedelta(days=days_ago), basis={"reason": "r", "document": "d"})


class Pipeline(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.folder = Path(tempfile.mkdtemp(prefix="shiji-machine-"))
        for name in ("dossier.db", "scoring.db"):
            shutil.copy(migrated_templates() / name, self.folder / name)
        self.dossier_db = make_engine(sqlite_url(self.folder / "dossier.db"))
        self.scoring_db = make_engine(sqlite_url(self.folder / "scoring.db"))
        self.bus = LogBus(self.folder / "bus.db")
        self.dossier = DossierService(self.dossier_db, today=lambda: TODAY)
        self.relay = Relay(self.dossier_db, self.bus, TOPIC, batch_size=5)
        self.consumer = ScoringConsumer(self.scoring_db, lambda start: self.bus.subscribe(TOPIC, start))
        self.subscription = self.bus.subscribe(TOPIC, self.consumer.start_positions)
        self.delivered: list[DeliveredMessage] = []
        # The model: what the clients were told.
        self.cadres: list[str] = []
        self.entries: dict[str, tuple[str, Decimal, dt.date]] = {}  # entry id -> (cadre, points, effective date)
        self.revoked: set[str] = set()
        self.kinds: dict[str, str] = {}  # entry id -> kind (an amendment keeps it)
        self.last_write = None  # (key, command, cadre, entry id or None): for a retry with the same key

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    # --- the dossier: writes, retries, crashes around its commit -------------------------------

    @initialize()
    def register_cadres(self) -> None:
        self.run(self.dossier.seed_catalogue())
        self.run(self.dossier.execute("register_unit", RegisterUnit(unit_id="u", name="局", level="city", unit_class="c"),
                                      {}, ACTOR))
        for n in range(2):
            outcome = self.run(self.dossier.execute("register_cadre", RegisterCadre(name=f"干部{n}", unit_id="u"), {}, ACTOR,
                                                      f"c{n}"))
            self.cadres.append(outcome.body["id"])

    def _record(self, cadre: str, command: RecordEntry, key: str) -> str:
        outcome = self.run(self.dossier.execute("record_entry", command, {"cadre_id": cadre}, ACTOR, key))
        entry_id = outcome.body["entry_id"]
        self.entries[entry_id] = (cadre, command.points, command.effective_date)
        self.kinds[entry_id] = command.kind.value
        self.last_write = (key, command, cadre, None)
        return entry_id

    @rule(cadre=st.integers(0, 1), kind=st.sampled_from(["achievement", "positive", "negative"]),
          halves=st.integers(1, 20), days_ago=st.integers(0, 1300))
    def record(self, cadre: int, kind: str, halves: int, days_ago: int) -> None:
        self._record(self.cadres[cadre], entry_command(kind, halves, days_ago), str(uuid.uuid4()))

    @precondition(lambda self: set(self.entries) - self.revoked)
    @rule(data=st.data())
    def revoke(self, data: st.DataObject) -> None:
        entry_id = data.draw(st.sampled_from(sorted(set(self.entries) - self.revoked)))
        cadre, key, command = self.entries[entry_id][0], str(uuid.uuid4()), RevokeEntry(reason="申诉成立")
        self.run(self.dossier.execute("revoke_entry", command, {"cadre_id": cadre, "entry_id": entry_id}, ACTOR, key))
        self.revoked.add(entry_id)
        self.last_write = (key, command, cadre, entry_id)

    @precondition(lambda self: set(self.entries) - self.revoked)
    @rule(data=st.data(), halves=st.integers(1, 20), days_ago=st.integers(0, 1300))
    def amend(self, data: st.DataObject, halves: int, days_ago: int) -> None:
        entry_id = data.draw(st.sampled_from(sorted(set(self.entries) - self.revoked)))
        cadre, points, effective = self.entries[entry_id]
        new = (points_of(self.kinds[entry_id], halves), TODAY - dt.timedelta(days=days_ago))
        if new == (points, effective):
            return  # an amendment that changes nothing is refused (test_domain.py)
        command = AmendEntry(points=new[0], effective_date=new[1], reason="核实后更正")
        self.run(self.dossier.execute("amend_entry", command, {"cadre_id": cadre, "entry_id": entry_id}, ACTOR,
                                      str(uuid.uuid4())))
        self.entries[entry_id] = (cadre, *new)

    @precondition(lambda self: self.last_write is not None)
    @rule()
    def retry_the_last_write(self) -> None:
        """The client did not hear the answer and sends the same request with the same key."""
        key, command, cadre, revoked_entry = self.last_write
        if revoked_entry is None:
            outcome = self.run(self.dossier.execute("record_entry", command, {"cadre_id": cadre}, ACTOR, key))
            assert outcome.body["entry_id"] in self.entries
        else:
            params = {"cadre_id": cadre, "entry_id": revoked_entry}
            outcome = self.run(self.dossier.execute("revoke_entry", command, params, ACTOR, key))
        assert outcome.replayed

    @rule(point=st.sampled_from(["dossier.before_commit", "dossier.after_commit"]), cadre=st.integers(0, 1))
    def crash_the_dossier_around_its_commit_then_retry(self, point: str, cadre: int) -> None:
        command, key = entry_command("positive", 3, 10), str(uuid.uuid4())
        faults.arm(point)
        try:
            self.run(self.dossier.execute("record_entry", command, {"cadre_id": self.cadres[cadre]}, ACTOR, key))
            raise AssertionError(f"{point} did not fire")
        except faults.SimulatedCrash:
            pass
        finally:
            faults.disarm()
        self._record(self.cadres[cadre], command, key)  # the retry after the restart: recorded once

    # --- the relay ------------------------------------------------------------------------------

    @rule()
    def relay_round(self) -> None:
        self.run(self.relay.run_once())

    @rule()
    def relay_crashes_after_the_bus_acknowledged(self) -> None:
        faults.arm("relay.after_publish")
        try:
            self.run(self.relay.run_once())  # returns normally when there was nothing to publish
        except faults.SimulatedCrash:
            pass
        finally:
            faults.disarm()

    # --- the consumer ---------------------------------------------------------------------------

    async def _poll_and_apply(self, max_records: int) -> None:
        batch = await self.subscription.poll(max_records, 0.01)
        self.delivered.extend(batch)
        await self.consumer.apply_batch(batch)

    @rule(max_records=st.integers(1, 8))
    def consume(self, max_records: int) -> None:
        self.run(self._poll_and_apply(max_records))

    @rule(point=st.sampled_from(["consumer.before_commit", "consumer.after_commit"]), max_records=st.integers(1, 8))
    def consumer_crashes_and_restarts(self, point: str, max_records: int) -> None:
        faults.arm(point)
        try:
            self.run(self._poll_and_apply(max_records))
        except faults.SimulatedCrash:
            pass
        finally:
            faults.disarm()
        self.restart_consumer()

    @rule()
    def restart_consumer(self) -> None:
        """A new process: the subscription starts again from the positions in the database."""
        self.run(self.subscription.close())
        self.subscription = self.bus.subscribe(TOPIC, self.consumer.start_positions)

    @precondition(lambda self: self.delivered)
    @rule(data=st.data())
    def redeliver(self, data: st.DataObject) -> None:
        """Old messages again at their old offsets, duplicated and out of order."""
        again = data.draw(st.lists(st.sampled_from(self.delivered), min_size=1, max_size=10))
        self.run(self.consumer.apply_batch(again))

    @precondition(lambda self: self.delivered)
    @rule(data=st.data())
    def republish(self, data: st.DataObject) -> None:
        """Copies of old messages published again, after newer ones (new offsets, any order)."""
        again = data.draw(st.lists(st.sampled_from(self.delivered), min_size=1, max_size=10))
        self.run(self.bus.publish(TOPIC, [OutgoingMessage(m.key or "", m.value) for m in again]))

    @rule(garbage=st.binary(max_size=40))
    def poison(self, garbage: bytes) -> None:
        self.run(self.bus.publish(TOPIC, [OutgoingMessage("x", garbage)]))

    # --- invariants -----------------------------------------------------------------------------

    @invariant()
    def the_store_holds_exactly_the_acknowledged_writes(self) -> None:
        events = self.run(read_all_events(self.dossier_db))
        recorded = [e.data["entry_id"] for e in events if e.event_type == "entry_recorded"]
        revoked = [e.data["entry_id"] for e in events if e.event_type == "entry_revoked"]
        assert sorted(recorded) == sorted(self.entries) and sorted(revoked) == sorted(self.revoked)

    @invariant()
    def every_projected_row_is_implied_by_the_store(self) -> None:
        expected = recompute(self.run(read_all_events(self.dossier_db)))
        actual = self.run(projected(self.scoring_db))
        for table in Projection.TABLES:
            want, got = getattr(expected, table), getattr(actual, table)
            wrong = {k: v for k, v in got.items() if want.get(k) != v}
            assert not wrong, f"{table}: rows not implied by the event store: {wrong}"

    def teardown(self) -> None:
        try:
            self.run(self._drain_and_compare())
        finally:
            faults.disarm()
            self.run(self.subscription.close())
            self.run(self.bus.close())
            self.run(self.dossier_db.dispose())
            self.run(self.scoring_db.dispose())
            self.loop.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    async def _drain_and_compare(self) -> None:
        while await self.relay.run_once():
            pass
        while batch := await self.subscription.poll(100, 0.01):
            await self.consumer.apply_batch(batch)
        expected = recompute(await read_all_events(self.dossier_db))
        assert expected.differences(await projected(self.scoring_db)) == []
        for cadre in self.cadres:
            model = sum((p for e, (c, p, d) in self.entries.items()
                         if c == cadre and in_window(d, TODAY) and e not in self.revoked), Decimal(0))
            async with self.scoring_db.connect() as conn:  # what the score endpoint sums
                found = await load_entries(conn, [cadre], dt.datetime.now(dt.UTC))
            answered = sum((e.points for e in found.get(cadre, []) if in_window(e.effective_date, TODAY)), Decimal(0))
            assert answered == model == expected.total(cadre, TODAY)


TestPipelineUnderFaults = Pipeline.TestCase
TestPipelineUnderFaults.settings = settings(max_examples=30, stateful_step_count=25, deadline=None,
                                            suppress_health_check=[HealthCheck.too_slow])
