"""Operations: the daily refresh, a bulk import's report, the access log."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import Field

from shared.answers.base import Answer, example


class DailyRefresh(Answer):
    model_config = example({"as_of": "2026-12-06", "cadres": 5, "raised": 7, "cleared": 0, "totals_published": 0})
    as_of: dt.date
    cadres: int = Field(description="cadres re-evaluated")
    raised: int = Field(description="warnings raised")
    cleared: int = Field(description="warnings cleared")
    totals_published: int = Field(description="totals that changed and were published")


class RowError(Answer):
    row: int = Field(ge=1, description="the line of an NDJSON file, the data row of a CSV file")
    field: str
    rule: str
    message: str


class ImportReport(Answer):
    model_config = example({
        "rows": 2, "recorded": 1, "replayed": 0, "refused": 1, "events": 1, "seconds": 0.011, "events_per_second": 95,
        "errors": [{"row": 2, "field": "body.title", "rule": "missing", "message": "Field required"}],
        "errors_listed": 1})
    rows: int
    recorded: int = Field(description="rows that appended events")
    replayed: int = Field(description="rows imported before (same row key, same content): nothing new")
    refused: int
    events: int
    seconds: float
    events_per_second: int | None
    errors: list[RowError] = Field(description="every refused row's errors, up to a limit")
    errors_listed: int


class AccessEntry(Answer):
    seq: int = Field(description="the entry's place in the log; a page's last is the next page's cursor")
    entry_id: uuid.UUID
    recorded_at: dt.datetime
    subject: str
    role: str
    unit: str | None
    client: str | None
    method: str
    path: str
    query: str | None
    action: str
    cadre_id: str | None
    status: int
    outcome: Literal["allowed", "refused", "failed"]
    request_id: str | None
    hash: str = Field(description="the log's hash chain, <algorithm>:<hex>")


class AccessLog(Answer):
    model_config = example({"entries": [{
        "seq": 1, "entry_id": "ade221f1-6ee5-476f-bce5-15cdb8878514", "recorded_at": "2026-12-06T04:52:48.262966+00:00",
        "subject": "demo-loader", "role": "clerk", "unit": "qhd", "client": "127.0.0.1", "method": "POST",
        "path": "/api/v1/units", "query": None, "action": "register_unit", "cadre_id": None, "status": 201,
        "outcome": "allowed", "request_id": "52b49800a20c492a9b47304247afd5c1",
        "hash": "sm3:c90720734066fa63003b7ecb383801a79d8758b9c5f9e1e37991b44f0a295a62"}], "next": "1"})
    entries: list[AccessEntry] = Field(description="oldest first")
    next: str | None = Field(description="the cursor of the next page; null on the last")
