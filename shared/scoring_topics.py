"""What scoring publishes for other government systems: CloudEvents 1.0 JSON on two topics.

``shiji.scoring.totals.v1`` is compacted, key = cadre id: the newest three-year totals of each cadre
whenever they change (an entry, a correction, or a day passing). ``shiji.scoring.warnings.v1``,
key = cadre id: each warning raised and cleared.

The CloudEvent ``id`` is the de-duplication key, so it must be the same for the same event and differ
between distinct ones. It is a UUID 5 of the message type, its *cause* and its ``data``:

- totals: the dossier stream version of the cadre's last applied event the totals rest on (with the
  cadre, the as-of day and the rule set, which ``data`` holds). An id of the content alone repeated when
  a total came back to an earlier value (record +2 and revoke it: the third message had the first one's
  id, and a receiver dropping repeated ids ended on the wrong total: issue 15, item 1). Each publication
  after an event rests on a newer stream version; the daily job (a day passing, no event) publishes for a
  new as-of day, resting on the version of the last published totals.
- warnings: the occurrence number of the warning's key (the how-many-th raising of it for the cadre), with
  the cadre, key and status (``raised``/``cleared``) in ``data``. A key raised, cleared and raised again is
  two occurrences: four distinct ids.

Stable across redelivery: the message, id included, is made once, in the transaction that makes the
change, and stored as the outbox row; publishing again (a retry, a crash before the outbox checkpoint
moved, a Kafka redelivery) sends those same bytes. Stable across a rebuild: a rebuild reproduces every
stream version from the events (the topic, or the event store), and takes over the warnings (with their
occurrence numbers) and the published totals (with the versions they rest on) from the live database, so
a change made again by a rebuilt or a second instance has the same cause, the same content and the same
id, and one announced only there follows on from the live numbering. Not stable across: a scoring database
started empty *without* taking the announcements over (occurrences count from 1 again, and totals are
published again as of the new day), nor a change of the code that derives ids; those publish new ids.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, PlainSerializer

# A sum of many entries, weighed by the rule set: neither one entry's bounds (±1000) nor its two decimals
# hold for it (a busy cadre passes 1,000 points in three years; a weight of 1.5 on 0.25 gives 0.375).
# Bounding it made the consumer refuse its own batch for good (found by bench/run city).
Total = Annotated[Decimal, PlainSerializer(lambda v: float(v), return_type=float, when_used="json")]

TOTALS_TOPIC = "shiji.scoring.totals.v1"
WARNINGS_TOPIC = "shiji.scoring.warnings.v1"
SOURCE = "/shiji/scoring"
_NAMESPACE = uuid.UUID("6f1c3c1e-5a3b-4c8e-9a57-2f1de0b0a3c4")


class TotalsChanged(BaseModel):
    """A cadre's rolling three-year totals as of a day (type ``cn.shiji.scoring.totals_changed.v1``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cadre_id: str
    as_of: dt.date
    window_start: dt.date
    window_end: dt.date
    total: Total
    positive: Total
    negative: Total
    rule_set: str


class WarningChanged(BaseModel):
    """A warning raised or cleared (type ``cn.shiji.scoring.warning_changed.v1``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cadre_id: str
    key: str
    kind: str
    level: Literal["yellow", "red"]
    status: Literal["raised", "cleared"]
    on: dt.date
    detail: str
    rule_set: str


MESSAGES = {"totals_changed": TotalsChanged, "warning_changed": WarningChanged}


def totals_cause(stream_version: int | None) -> dict:
    """What caused a totals message besides its ``data``: the cadre's stream version it rests on."""
    return {"stream_version": stream_version}


def warning_cause(occurrence: int) -> dict:
    """What caused a warning message besides its ``data``: the occurrence of its key."""
    return {"occurrence": occurrence}


def cloudevent(message: TotalsChanged | WarningChanged, time: dt.datetime, *, cause: dict) -> bytes:
    """The message as a CloudEvent whose id is derived from its ``cause`` and its content (see above)."""
    name = "totals_changed" if isinstance(message, TotalsChanged) else "warning_changed"
    return structured(name, message.cadre_id, message, time, cause)


def structured(name: str, subject: str, message: BaseModel, time: dt.datetime, cause: dict) -> bytes:
    """A CloudEvent (structured JSON mode) of type ``cn.shiji.scoring.<name>.v1`` about ``subject`` (the
    Kafka key), its id derived from ``cause`` and the content: what every scoring topic sends."""
    data = message.model_dump(mode="json")
    event_id = uuid.uuid5(_NAMESPACE, json.dumps([name, cause, data], sort_keys=True))
    return json.dumps({
        "specversion": "1.0", "id": str(event_id), "source": SOURCE, "type": f"cn.shiji.scoring.{name}.v1",
        "subject": subject, "time": time.isoformat(), "datacontenttype": "application/json", "data": data,
    }, ensure_ascii=False).encode()
