"""The verdict of ``shiji verify --cadre --hash`` on a stream, without a store: a printed hash matches the version
it seals only while the chain up to that version recomputes to it."""

from __future__ import annotations

import dataclasses
import datetime as dt

from services.dossier.store import StoredEvent
from services.verify_printed import check_printed
from shared import chain

CADRE = "c74c06f3-7bbc-442b-9971-498e6ab6d484"


def stream(kinds: list[str]) -> list[StoredEvent]:
    events, previous = [], chain.GENESIS
    for n, kind in enumerate(kinds, start=1):
        event = StoredEvent(position=n, tx_id=n, stream_id=CADRE, stream_version=n, event_id=f"e{n}", event_type=kind,
                            schema_version=1, data={"n": n}, effective_date=None,
                            recorded_at=dt.datetime(2026, 12, n, 8, tzinfo=dt.UTC), actor="clerk-1", actor_role="clerk")
        previous = chain.link(previous, event)
        events.append(dataclasses.replace(event, hash=previous))
    return events


EVENTS = stream(["cadre_registered", "entry_recorded", "entry_recorded", "annual_grade_recorded"])


def test_the_hash_of_the_last_version_is_the_record_as_it_stands() -> None:
    verdict = check_printed(CADRE, EVENTS, EVENTS[-1].hash)
    assert verdict.matches and "version 4" in verdict.message and "as it stands now" in verdict.message


def test_an_older_page_matches_its_version_and_names_what_came_after() -> None:
    typed = "  " + EVENTS[1].hash.upper().replace(":", ":\n ")  # copied by hand: case and line breaks
    verdict = check_printed(CADRE, EVENTS, typed, version=2)
    assert verdict.matches, verdict.message
    assert "version 2" in verdict.message and "2 event(s) (1 entry_recorded, 1 annual_grade_recorded)" in verdict.message
    assert check_printed(CADRE, EVENTS, EVENTS[1].hash.split(":")[1]).matches  # the sm3: prefix left out


def test_a_hash_of_no_version_or_of_another_version_does_not_match() -> None:
    assert not check_printed(CADRE, EVENTS, "sm3:" + "0" * 64).matches
    wrong = check_printed(CADRE, EVENTS, EVENTS[1].hash, version=3)
    assert not wrong.matches and "version 3" in wrong.message
    assert not check_printed(CADRE, EVENTS, EVENTS[1].hash, version=9).matches
    assert "NO RECORD" in check_printed(CADRE, [], EVENTS[1].hash).message


def test_a_record_altered_in_place_no_longer_vouches_for_its_page() -> None:
    altered = [*EVENTS]
    altered[1] = dataclasses.replace(EVENTS[1], data={"n": 99})  # the stored hash kept, the event changed
    verdict = check_printed(CADRE, altered, EVENTS[2].hash)
    assert not verdict.matches and "BROKEN" in verdict.message and "version 2" in verdict.message
    assert check_printed(CADRE, altered, EVENTS[0].hash).matches  # before the alteration, still good
