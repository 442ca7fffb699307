"""The dead-letter topic, ``shiji.scoring.dead-letters.v1``: what scoring did not apply, for operators and other
systems to see (the same messages are kept in scoring's ``dead_letters`` table).

One CloudEvent 1.0 (structured JSON) of type ``cn.shiji.scoring.dead_letter_recorded.v1`` per message of the
dossier topic that scoring kept aside, published through scoring's outbox in the transaction that kept it
aside (so once, in order, and never for a message it then applied). Key and ``subject``: the message's stream
(the cadre id, ``unit-<id>``...) when it could be read, else ``<topic>/<partition>/<offset>``. The id is a
UUID 5 of the topic, partition and offset, so a republished dead letter has the same id.

``reason``: ``unreadable`` (not an event of ours: not a CloudEvent, an unknown type, invalid data),
``unlinked`` (a version that does not follow the last one applied in its stream, or a chain hash that does
not link to it: services/scoring/stream_check.py; an incident, alerted on) or ``refused`` (the database
refused it). Deleted after 180 days (``dead_letters_topic_config``): the table keeps them for good.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.scoring_topics import SOURCE

DEAD_LETTERS_TOPIC = "shiji.scoring.dead-letters.v1"
TYPE = "cn.shiji.scoring.dead_letter_recorded.v1"
_NAMESPACE = uuid.UUID("0b6f4f43-3f0e-4d55-a5c9-9d0f6f1f2a71")

Reason = Literal["unreadable", "unlinked", "refused"]


class DeadLetterRecorded(BaseModel):
    """A message of the dossier topic that scoring did not apply (type ``cn.shiji.scoring.dead_letter_recorded.v1``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: str
    partition: int
    offset: int
    reason: Reason
    error: str
    stream_id: str | None
    stream_version: int | None
    event_id: str | None
    value_base64: str


def subject_of(letter: DeadLetterRecorded) -> str:
    return letter.stream_id or f"{letter.topic}/{letter.partition}/{letter.offset}"


def dead_letter_event(letter: DeadLetterRecorded, time: dt.datetime) -> bytes:
    event_id = uuid.uuid5(_NAMESPACE, f"{letter.topic}/{letter.partition}/{letter.offset}")
    return json.dumps({
        "specversion": "1.0", "id": str(event_id), "source": SOURCE, "type": TYPE, "subject": subject_of(letter),
        "time": time.isoformat(), "datacontenttype": "application/json", "data": letter.model_dump(mode="json"),
    }, ensure_ascii=False).encode()


def encoded(value: bytes) -> str:
    return base64.b64encode(value).decode()
