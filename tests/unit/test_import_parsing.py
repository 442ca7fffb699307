"""The bulk import reads a line with orjson, and what orjson refuses exactly as ``json`` reads it: a row is
refused (or accepted) with the same field and rule as before."""

from __future__ import annotations

import json

from services.dossier.importer import ndjson_rows, parse_row
from services.dossier.store import _json_text

BODY = ('{"operation": "record_entry", "row_key": "r", "params": {"cadre_id": "0b6f3a52-6a43-4d4e-9d55-3f1a4c2b7e10"}, '
        '"body": {"kind": "positive", "category": "honour", "title": "%s", "points": %s, "effective_date": "2026-01-05", '
        '"basis": {"reason": "r", "document": "d"}}}')
LINES = [BODY % ("t", "2"), BODY % ("t", "NaN"), BODY % ("t", "Infinity"), BODY % ("t", "1e400"),
         BODY % ("t", 2**70), BODY % ("\\ud800", "2"), BODY % ("t\\u0000", "2"), '{"operation": ', "[1, 2]"]


def outcome(parsed):
    if isinstance(parsed, list):
        return [(e.row, e.field, e.rule) for e in parsed]
    return parsed.item.command, parsed.item.idempotency


def test_every_line_reads_as_json_reads_it() -> None:
    by_json = []
    for number, line in enumerate(LINES, start=1):
        try:
            by_json.append(outcome(parse_row(number, json.loads(line))))
        except ValueError:
            by_json.append([(number, "", "json")])
    assert [outcome(p) for p in ndjson_rows(LINES)] == by_json
    assert by_json[0][0].title == "t"  # not vacuously: the first row is accepted, the others refused
    assert all(isinstance(o, list) for o in by_json[1:])


def test_the_copy_s_json_text_holds_what_orjson_refuses() -> None:
    assert json.loads(_json_text({"a": 2**70, "b": "张"})) == {"a": 2**70, "b": "张"}
    assert json.loads(_json_text({"a": [1.5, None, True]})) == {"a": [1.5, None, True]}
