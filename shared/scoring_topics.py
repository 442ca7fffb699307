"""What scoring publishes for other government systems: CloudEvents 1.0 JSON on two topics.

``shiji.scoring.totals.v1`` is compacted, key = cadre id: the newest three-year totals of each cadre
whenever they change (an entry, a correction, or a day passing). ``shiji.scoring.warnings.v1``,
key = cadre id: each warning raised and cleared. Event ids are derived from the content, so a
message published twice carries the same id and receivers can de-duplicate.
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


def cloudevent(message: TotalsChanged | WarningChanged, time: dt.datetime) -> bytes:
    name = "totals_changed" if isinstance(message, TotalsChanged) else "warning_changed"
    data = message.model_dump(mode="json")
    event_id = uuid.uuid5(_NAMESPACE, json.dumps([name, data], sort_keys=True))
    return json.dumps({
        "specversion": "1.0", "id": str(event_id), "source": SOURCE, "type": f"cn.shiji.scoring.{name}.v1",
        "subject": message.cadre_id, "time": time.isoformat(), "datacontenttype": "application/json", "data": data,
    }, ensure_ascii=False).encode()
