"""The event contract: published schemas match the models, envelopes round-trip, upcasting works."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import ClassVar

import pytest

from shared import events
from shared.contract import SCHEMA_DIR, render, schema_documents
from shared.envelope import Envelope, InvalidEnvelope, type_name
from shared.events import EntryRecorded, EntryRevoked, UnknownEventType, from_data, to_data


@pytest.mark.parametrize("name", sorted(schema_documents()))
def test_published_schema_matches_the_model(name: str) -> None:
    published = SCHEMA_DIR / name
    assert published.exists(), f"{name} is not published: run python -m shared.contract"
    assert published.read_text(encoding="utf-8") == render(schema_documents()[name]), (
        f"{name} changed. A published event version is a contract: add a new schema_version with an "
        "upcaster instead, then run python -m shared.contract"
    )


def test_every_published_schema_is_current_or_upcast() -> None:
    """Removing an event type, or a version without an upcaster, would strand the events already stored."""
    current = set(schema_documents())
    for path in SCHEMA_DIR.glob("*.json"):
        if path.name in current:
            continue
        event_type, version = path.name.removesuffix(".json").rsplit(".v", 1)
        assert event_type in events.EVENT_TYPES, f"{path.name}: its event type is gone"
        assert (event_type, int(version)) in events.UPCASTERS, f"{path.name}: no upcaster from v{version}"


def test_stored_v1_entries_are_read_as_the_current_version() -> None:
    """The walking skeleton stored entry_recorded v1 (no impact period); it reads as v2 with none."""
    stored = json.loads((Path(__file__).parents[1] / "fixtures" / "entry_recorded.v1.json").read_text())
    event = from_data("entry_recorded", 1, stored)
    assert isinstance(event, EntryRecorded) and event.schema_version == 2
    assert event.impact_period is None and event.category == "作风问题" and event.points == -1
    assert (SCHEMA_DIR / "entry_recorded.v1.json").exists()  # the old contract stays published


def sample_entry() -> EntryRecorded:
    return EntryRecorded(
        entry_id="e-1", kind="negative", category="作风问题", title="会议无故缺席", points=-1.5,
        effective_date=dt.date(2025, 3, 1), basis={"reason": "通报", "document": "组字〔2025〕3号"},
    )


def test_events_round_trip_through_their_json() -> None:
    event = sample_entry()
    data = to_data(event)
    assert data["points"] == -1.5  # a JSON number, not a string
    assert data["effective_date"] == "2025-03-01"
    assert from_data("entry_recorded", 2, json.loads(json.dumps(data))) == event


def test_envelope_round_trip_and_attributes() -> None:
    env = Envelope(id="ev-1", source="/shiji/dossier", type=type_name("entry_recorded", 2), subject="c-1",
                   time=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC), data=to_data(sample_entry()),
                   streamversion=2, position=17, effectivedate=dt.date(2025, 3, 1), actor="u", actorrole="clerk")
    raw = json.loads(env.to_bytes())
    assert raw["specversion"] == "1.0"
    assert raw["type"] == "cn.shiji.dossier.entry_recorded.v2"
    assert raw["effectivedate"] == "2025-03-01"
    back = Envelope.from_bytes(env.to_bytes())
    assert back == env and back.event_type == "entry_recorded" and back.schema_version == 2


@pytest.mark.parametrize("raw", [b"", b"not json", b"[]", b'{"id": "x"}', b"\xff\xfe",
                                 b'{"specversion":"1.0","id":"x","source":"s","type":"org.other.thing",'
                                 b'"subject":"c","time":"2026-01-01T00:00:00Z","data":{},"streamversion":1,"position":1}'])
def test_malformed_envelopes_are_refused(raw: bytes) -> None:
    with pytest.raises(InvalidEnvelope):
        Envelope.from_bytes(raw)


def test_unknown_and_future_event_versions_are_refused() -> None:
    with pytest.raises(UnknownEventType):
        from_data("salary_paid", 1, {})
    with pytest.raises(UnknownEventType):
        from_data("entry_revoked", 2, {"entry_id": "e", "reason": "r"})


def test_deploying_a_v2_upcasts_stored_v1_json(monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulate the next release: entry_revoked v2 adds a required 'appeal_id'; v1 rows stay as stored."""

    class EntryRevokedV2(events.DomainEvent):
        event_type: ClassVar[str] = "entry_revoked"
        schema_version: ClassVar[int] = 2
        entry_id: str
        reason: str
        appeal_id: str | None

    monkeypatch.setitem(events.EVENT_TYPES, "entry_revoked", EntryRevokedV2)
    monkeypatch.setitem(events.UPCASTERS, ("entry_revoked", 1), lambda d: {**d, "appeal_id": None})
    stored_v1 = to_data(EntryRevoked(entry_id="e-1", reason="申诉成立"))
    lifted = from_data("entry_revoked", 1, stored_v1)
    assert isinstance(lifted, EntryRevokedV2)
    assert lifted.appeal_id is None and lifted.reason == "申诉成立"
    assert from_data("entry_revoked", 2, {**stored_v1, "appeal_id": "a-9"}).appeal_id == "a-9"
