"""The embedded bus file: headers round-trip, and a file written before headers existed still reads."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from shared.bus import OutgoingMessage
from shared.log_bus import LogBus


async def no_positions(topic: str, partitions: list[int]) -> dict[int, int]:
    return {}


async def test_headers_round_trip_and_the_admin_reports_the_end(tmp_path: Path) -> None:
    bus = LogBus(tmp_path / "bus.db")
    admin = bus.admin()
    assert await admin.end_offsets("t", [0]) == {0: 0}
    await bus.publish("t", [OutgoingMessage("k", b"v", (("traceparent", b"00-ab-cd-01"), ("request_id", b"r\xff")))])
    (message,) = await bus.subscribe("t", no_positions).poll(10, 0.1)
    assert message.headers == (("traceparent", b"00-ab-cd-01"), ("request_id", b"r\xff"))
    assert message.header("traceparent") == "00-ab-cd-01" and message.header("request_id") is None
    assert await admin.end_offsets("t", [0]) == {0: message.offset + 1}
    await admin.close()  # the admin does not own the log: it stays open
    assert await admin.end_offsets("t", [0]) == {0: message.offset + 1}
    await bus.close()


async def test_a_log_from_before_headers_gains_the_column_and_keeps_its_messages(tmp_path: Path) -> None:
    path = tmp_path / "bus.db"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE messages (offset INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, key TEXT,"
                " value BLOB NOT NULL)")
    old.execute("INSERT INTO messages (topic, key, value) VALUES ('t', 'k', x'7b7d')")
    old.commit()
    old.close()
    bus = LogBus(path)
    (message,) = await bus.subscribe("t", no_positions).poll(10, 0.1)
    assert (message.key, message.value, message.headers) == ("k", b"{}", ())
    await bus.close()
