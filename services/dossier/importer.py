"""Bulk import (批量导入): a clerk's spreadsheet or an old system's export, appended in batches.

A file is rows of commands, as NDJSON (one object a line: ``operation``, ``params``, ``body``,
``row_key``) or CSV (one column per field: ``operation``, ``row_key``, the path parameters by name,
body fields with dots for nesting, e.g. ``basis.reason``; an empty cell is an absent field).
Every row is validated by the same command model and decided by the same domain rules as a single
write through the API, with the same events and hash chain. Rows are appended in batches of many
streams, one transaction per batch (``DossierService.execute_batch``).

Idempotency is per row: ``import:<row_key>`` (or, without a row key, a hash of the row's content)
is an idempotency key, so importing the same file again records nothing new. A refused row is
reported (row number, field, rule) and never blocks the rest: the domain refuses rows one by one
inside a batch, and if the database refuses a whole batch, its rows are retried one per transaction.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import AsyncIterable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from services.dossier.errors import DomainError
from services.dossier.idempotency import IdempotencyKeyReused, IdempotentRequest, Outcome
from services.dossier.sealing import SealingUnavailable
from services.dossier.service import BatchItem, DossierService
from services.dossier.store import Actor, ConcurrencyError
from shared.commands import OPERATIONS, Operation, control_character
from shared.db import REFUSED, database_unavailable
from shared.imports import NEW_ID, NOT_IMPORTABLE
from shared.routing import PATH_PARAMETERS, path_parameters

BY_NAME = {op.name: op for op in OPERATIONS}
MAX_ROW_KEY = 200
MAX_REPORTED_ERRORS = 10_000  # beyond this a report counts refused rows without listing them


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    field: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "rule": self.rule, "message": self.message}


@dataclass(frozen=True, slots=True)
class ImportRow:
    number: int  # 1-based: the line of an NDJSON file, the data row of a CSV file (header excluded)
    item: BatchItem


@dataclass
class ImportReport:
    rows: int = 0
    recorded: int = 0  # rows that appended events
    replayed: int = 0  # rows already imported (same row key, same content): nothing new
    refused: int = 0
    events: int = 0
    seconds: float = 0.0
    errors: list[RowError] = field(default_factory=list)

    def refuse(self, errors: Iterable[RowError]) -> None:
        self.refused += 1
        for error in errors:
            if len(self.errors) < MAX_REPORTED_ERRORS:
                self.errors.append(error)

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "recorded": self.recorded, "replayed": self.replayed, "refused": self.refused,
                "events": self.events, "seconds": round(self.seconds, 3),
                "events_per_second": round(self.events / self.seconds) if self.seconds else None,
                "errors": [e.as_dict() for e in self.errors],
                "errors_listed": len(self.errors)}


# ------------------------------------------------------------------------------------------- parsing


def _params_model(op: Operation) -> type[BaseModel]:
    names = path_parameters(op.path)
    fields: dict[str, Any] = {n: (PATH_PARAMETERS[n], ...) for n in names}
    if (new := NEW_ID.get(op.name)) is not None:
        fields[new] = (PATH_PARAMETERS[new] | None, None)
    return create_model(f"{op.name}_params", __config__=ConfigDict(extra="forbid"), **fields)


PARAMS = {op.name: _params_model(op) for op in OPERATIONS}


def _validation_errors(number: int, exc: ValidationError, prefix: str) -> list[RowError]:
    return [RowError(number, ".".join([prefix, *(str(p) for p in e["loc"])]).strip("."), e["type"], e["msg"])
            for e in exc.errors(include_url=False)]


def parse_row(number: int, raw: Any) -> ImportRow | list[RowError]:
    """Validate one row: its operation, path parameters and body, by the API's own models."""
    if not isinstance(raw, dict):
        return [RowError(number, "", "row_is_object", "a row is an object with operation, params and body")]
    unknown = set(raw) - {"operation", "params", "body", "row_key"}
    if unknown:
        return [RowError(number, sorted(unknown)[0], "extra_forbidden", "a row holds operation, params, body, row_key")]
    op = BY_NAME.get(raw.get("operation"))  # type: ignore[arg-type]
    if op is None:
        return [RowError(number, "operation", "known_operation",
                         f"operation must be one of: {', '.join(sorted(BY_NAME))}")]
    if op.name in NOT_IMPORTABLE:
        return [RowError(number, "operation", "importable_operation",
                         f"{op.name} is a superior's own act: it goes through the API, not an import")]
    row_key = raw.get("row_key")
    if row_key is not None and (not isinstance(row_key, str) or not 0 < len(row_key) <= MAX_ROW_KEY
                                or control_character(row_key)):
        return [RowError(number, "row_key", "row_key_format", f"a row key is text of 1..{MAX_ROW_KEY} characters")]
    try:
        params = PARAMS[op.name].model_validate(raw.get("params") or {})
    except ValidationError as exc:
        return _validation_errors(number, exc, "params")
    try:
        command = op.body.model_validate(raw.get("body") or {})
    except ValidationError as exc:
        return _validation_errors(number, exc, "body")
    given = {k: str(getattr(v, "value", v)) for k, v in params.model_dump().items() if v is not None}
    new_id = given.pop(NEW_ID.get(op.name, ""), None)
    path_params = {k: given[k] for k in path_parameters(op.path)}
    request_hash = IdempotentRequest.of(Actor("", ""), "", op.name, {**path_params, "new_id": new_id or ""},
                                        command).request_hash
    key = f"import:{row_key}" if row_key else f"import:sha256:{request_hash}"
    return ImportRow(number, BatchItem(op.name, command, path_params, IdempotentRequest(key, request_hash), new_id))


def _loads(line: str) -> Any:
    """orjson's parse (a few times faster); what it refuses (NaN, huge integers, lone surrogates) is read by
    ``json`` as before, so a row is refused or accepted exactly as it was."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)


def ndjson_rows(lines: Iterable[str]) -> Iterator[ImportRow | list[RowError]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = _loads(line)
        except ValueError as exc:
            yield [RowError(number, "", "json", f"not a JSON object: {exc}")]
            continue
        yield parse_row(number, raw)


def _nest(flat: dict[str, str]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for name, value in flat.items():
        if value == "":
            continue
        target = nested
        *parents, last = name.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    return nested


def csv_rows(lines: Iterable[str], operation: str | None = None) -> Iterator[ImportRow | list[RowError]]:
    """A CSV file, one row per command; ``operation`` for a file without an ``operation`` column."""
    reader = csv.DictReader(lines)
    for number, record in enumerate(reader, start=1):
        if None in record:  # more cells than the header names
            yield [RowError(number, "", "csv_columns", "the row has more cells than the header")]
            continue
        values = {k.strip(): (v or "").strip() for k, v in record.items() if k}
        op_name = values.pop("operation", "") or operation
        row_key = values.pop("row_key", "") or None
        op = BY_NAME.get(op_name or "")
        names = set(path_parameters(op.path)) | {NEW_ID.get(op.name, "")} if op else set()
        params = {k: v for k, v in values.items() if k in names and v != ""}
        body = _nest({k: v for k, v in values.items() if k not in names})
        yield parse_row(number, {"operation": op_name, "row_key": row_key, "params": params, "body": body})


def rows_of(lines: Iterable[str], fmt: str, operation: str | None = None) -> Iterator[ImportRow | list[RowError]]:
    if fmt == "ndjson":
        return ndjson_rows(lines)
    if fmt == "csv":
        return csv_rows(lines, operation)
    raise ValueError(f"unknown import format {fmt!r} (ndjson or csv)")


def format_of(name: str | None, content_type: str | None = None) -> str:
    """The format a file name or a content type says: ``csv`` or ``ndjson`` (the default)."""
    if (content_type or "").split(";")[0].strip() in ("text/csv", "application/csv"):
        return "csv"
    return "csv" if (name or "").lower().endswith(".csv") else "ndjson"


def text_lines(data: bytes) -> Iterator[str]:
    return iter(io.StringIO(data.decode("utf-8-sig", errors="replace"), newline=""))


# ------------------------------------------------------------------------------------------- importing


def _refusal(number: int, exc: Exception) -> RowError:
    match exc:
        case DomainError():
            return RowError(number, exc.field or "", exc.rule, str(exc))
        case IdempotencyKeyReused():
            return RowError(number, "row_key", "same_request_same_key",
                            "this row key was imported before with different content")
        case SealingUnavailable():
            return RowError(number, "operation", "sealing_configured", str(exc))
    return RowError(number, "", "stored", f"{type(exc).__name__}: {exc}")


class Importer:
    """Feeds rows to ``DossierService.execute_batch`` and keeps the report.

    ``batch_rows``: rows per transaction. ``max_streams``: a batch is cut early when it would touch
    more streams (each holds an advisory lock until commit). ``on_progress`` is called after each batch."""

    def __init__(self, service: DossierService, actor: Actor, *, batch_rows: int = 2000, max_streams: int = 500,
                 on_progress: Callable[[ImportReport], None] = lambda report: None) -> None:
        self._service = service
        self._actor = actor
        self._batch_rows = batch_rows
        self._max_streams = max_streams
        self._on_progress = on_progress
        self.report = ImportReport()
        self._batch: list[ImportRow] = []
        self._appended_before = service.appended
        self._started = time.perf_counter()
        self._streams: set[str] = set()

    async def add(self, parsed: ImportRow | list[RowError]) -> None:
        self.report.rows += 1
        if isinstance(parsed, list):
            self.report.refuse(parsed)
            return
        item = parsed.item
        stream = (item.params.get("cadre_id") or item.params.get("unit_id") or item.new_id
                  or getattr(item.command, "unit_id", None) or item.operation)
        if len(self._batch) >= self._batch_rows or (stream not in self._streams
                                                    and len(self._streams) >= self._max_streams):
            await self.flush()
        self._batch.append(parsed)
        self._streams.add(stream)

    async def flush(self) -> None:
        batch, self._batch, self._streams = self._batch, [], set()
        if not batch:
            return
        try:
            outcomes = await self._service.execute_batch([r.item for r in batch], self._actor)
        except (*REFUSED, ConcurrencyError) as exc:
            if database_unavailable(exc):
                raise
            # The database refused the batch as a whole: nothing of it was written. Find the culprit
            # by trying each row on its own; the good ones are stored, the bad one reported.
            outcomes = []
            for row in batch:
                try:
                    outcomes.extend(await self._service.execute_batch([row.item], self._actor))
                except (*REFUSED, ConcurrencyError) as exc:
                    if database_unavailable(exc):
                        raise
                    outcomes.append(exc)
        for row, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Outcome):
                if outcome.replayed:
                    self.report.replayed += 1
                else:
                    self.report.recorded += 1
            else:
                self.report.refuse([_refusal(row.number, outcome)])
        self.report.events = self._service.appended - self._appended_before
        self.report.seconds = time.perf_counter() - self._started
        self._on_progress(self.report)

    async def run(self, rows: Iterable[ImportRow | list[RowError]] | AsyncIterable[ImportRow | list[RowError]],
                  ) -> ImportReport:
        self._appended_before = self._service.appended
        self._started = time.perf_counter()
        if isinstance(rows, AsyncIterable):
            async for parsed in rows:
                await self.add(parsed)
        else:
            for parsed in rows:
                await self.add(parsed)
        await self.flush()
        return self.report
