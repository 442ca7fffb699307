"""Sealing of declarations and the hash chain's links, without a database."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from types import SimpleNamespace

import pytest
from cryptography.exceptions import InvalidTag

from services.dossier import views
from services.dossier.sealing import Sealer
from shared import chain


def test_sealed_details_open_only_in_their_own_context() -> None:
    sealer = Sealer.from_base64(base64.b64encode(secrets.token_bytes(32)).decode(), "k1")
    sealed = sealer.seal("配偶之兄任财务科科长", "c-1/relatives")
    assert "配偶" not in base64.b64decode(sealed).decode(errors="replace")
    assert sealer.open(sealed, "c-1/relatives") == "配偶之兄任财务科科长"
    with pytest.raises(InvalidTag):
        sealer.open(sealed, "c-2/relatives")  # moved to another cadre's dossier
    flipped = base64.b64encode(bytes([base64.b64decode(sealed)[0] ^ 1]) + base64.b64decode(sealed)[1:]).decode()
    with pytest.raises(InvalidTag):
        sealer.open(flipped, "c-1/relatives")
    with pytest.raises(ValueError):
        Sealer(b"short", "k0")


def event(version: int, **overrides: object) -> SimpleNamespace:
    fields = {"stream_id": "c-1", "stream_version": version, "event_id": f"e{version}", "event_type": "x",
              "schema_version": 1, "data": {"points": 3.0, "b": "中"}, "effective_date": dt.date(2026, 1, 1),
              "recorded_at": dt.datetime(2026, 1, 1, 8, tzinfo=dt.UTC), "actor": "a", "actor_role": "clerk"}
    return SimpleNamespace(**{**fields, **overrides})


@pytest.mark.parametrize("algorithm", ["sm3", "sha256"])
def test_links_depend_on_the_predecessor_and_every_field(algorithm: str) -> None:
    first = chain.link(chain.GENESIS, event(1), algorithm)
    assert first.startswith(f"{algorithm}:") and first == chain.link(chain.GENESIS, event(1), algorithm)
    assert chain.link(first, event(2), algorithm) != chain.link(chain.GENESIS, event(2), algorithm)
    # the canonical form ignores key order and number spelling, but not values
    assert chain.link(chain.GENESIS, event(1, data={"b": "中", "points": 3}), algorithm) == first
    assert chain.link(chain.GENESIS, event(1, data={"b": "中", "points": 3.5}), algorithm) != first
    same_moment = dt.datetime(2026, 1, 1, 16, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert chain.link(chain.GENESIS, event(1, recorded_at=same_moment), algorithm) == first


def test_verify_stream_names_the_first_break() -> None:
    events = []
    previous = chain.GENESIS
    for v in (1, 2, 3):
        e = event(v)
        e.hash = previous = chain.link(previous, e)
        events.append(e)
    assert chain.verify_stream(events) is None
    events[1].actor = "forger"
    assert chain.verify_stream(events).stream_version == 2
    assert chain.verify_stream([events[0], events[2]]).problem.startswith("version 2 is missing")


def test_years_in_post_are_completed_years() -> None:
    assert views.full_years(dt.date(2023, 3, 1), dt.date(2026, 2, 28)) == 2
    assert views.full_years(dt.date(2023, 3, 1), dt.date(2026, 3, 1)) == 3
    assert views.full_years(dt.date(2024, 2, 29), dt.date(2027, 2, 28)) == 2
