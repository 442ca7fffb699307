"""The bulk import's workbooks: a template per operation (header row, an example row, a drop-down list where a
column takes a closed set of values), an uploaded workbook read as the CSV the importer takes, and the upload
returned with an error column filled in for the rows it refused.

A workbook has the CSV's columns: ``operation``, ``row_key``, the path parameters by name, the id a creating
row may choose, and the body's fields with dots for nesting (``basis.reason``); an empty cell is an absent
field. A column headed ``错误`` (the error column of a returned workbook) is not imported, so a corrected
error workbook can be sent again as it is: its rows already imported are replayed by their ``row_key``."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import xlsxwriter

from shared.commands import Operation
from shared.documents.xlsx import display_width, read_sheet
from shared.imports import NEW_ID
from shared.routing import path_parameters

ERROR_COLUMN = "错误"
PATH_EXAMPLES = {"cadre_id": "0b7f3c2e-6d1a-4f5e-9c3b-2a8d4e6f1a90", "unit_id": "qhd-haigang-fgw", "year": "2025",
                 "period": "2025-Q1", "declaration": "relatives"}
VALIDATED_ROWS = 10_000  # the drop-down lists reach this far down the sheet


@dataclass(frozen=True)
class TemplateColumn:
    name: str
    required: bool
    values: list[str] | None
    example: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "required": self.required, "values": self.values, "example": self.example}


def _flatten(schema: dict[str, Any], defs: dict[str, Any], prefix: str, required: bool,
             example: Any) -> Iterator[TemplateColumn]:
    if "$ref" in schema:
        schema = {**defs[schema["$ref"].rsplit("/", 1)[1]], **{k: v for k, v in schema.items() if k != "$ref"}}
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(options) == 1:
        yield from _flatten(options[0], defs, prefix, required, example)
        return
    if schema.get("type") == "object" and "properties" in schema:
        inner = set(schema.get("required", []))
        for name, child in schema["properties"].items():
            yield from _flatten(child, defs, f"{prefix}{name}.", required and name in inner,
                                (example or {}).get(name) if isinstance(example, dict) else None)
        return
    values = schema.get("enum") or ([schema["const"]] if "const" in schema else None)
    text = None if example is None or isinstance(example, dict | list) else (
        ("true" if example else "false") if isinstance(example, bool) else str(example))
    yield TemplateColumn(prefix.rstrip("."), required, [str(v) for v in values] if values else None, text)


def template_columns(op: Operation, example: dict[str, Any]) -> list[TemplateColumn]:
    """The columns of ``op``'s rows, with ``example`` (a valid body) as their example row."""
    columns = [TemplateColumn("operation", True, [op.name], op.name), TemplateColumn("row_key", False, None, "2026-q3-0001")]
    columns += [TemplateColumn(p, True, None, PATH_EXAMPLES.get(p, "c74c06f3-7bbc-442b-9971-498e6ab6d484"))
                for p in path_parameters(op.path)]
    if new_id := NEW_ID.get(op.name):
        columns.append(TemplateColumn(new_id, False, None, None))
    schema = op.body.model_json_schema()
    columns += _flatten(schema, schema.get("$defs", {}), "", True, example)
    return columns


def template_workbook(columns: list[TemplateColumn]) -> bytes:
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    book.set_properties({"created": dt.datetime(2000, 1, 1)})
    sheet = book.add_worksheet("导入")
    required = book.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1})
    optional = book.add_format({"bold": True, "bg_color": "#E8E8E8", "border": 1})
    for n, column in enumerate(columns):
        sheet.write_string(0, n, column.name, required if column.required else optional)
        if column.example is not None:
            sheet.write_string(1, n, column.example)
        if column.values:
            sheet.data_validation(1, n, VALIDATED_ROWS, n, {
                "validate": "list", "source": column.values, "error_title": column.name,
                "error_message": "请从下拉列表中选择：" + "、".join(column.values)})
        width = max(display_width(column.name), display_width(column.example or "")) + 2
        sheet.set_column(n, n, min(max(width, 10), 60))
    sheet.freeze_panes(1, 0)
    book.close()
    return output.getvalue()


def _text(value: Any) -> str:
    """A cell as the CSV's text: whole numbers without a decimal point, dates in ISO 8601."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Upload:
    """An uploaded workbook: its header, its rows (typed cells), and the CSV of its non-empty rows; ``rows_of_csv``
    maps the CSV's data row n (from 1) to the workbook's data row."""

    header: list[str]
    rows: list[list[Any]]
    csv: bytes
    rows_of_csv: list[int]

    def sheet_errors(self, report: dict[str, Any]) -> dict[str, Any]:
        """``report`` with its rows numbered as the workbook's data rows."""
        errors = [{**e, "row": self.rows_of_csv[e["row"] - 1] if 0 < e["row"] <= len(self.rows_of_csv) else e["row"]}
                  for e in report.get("errors", [])]
        return {**report, "errors": errors}


def read_upload(data: bytes) -> Upload:
    cells = read_sheet(data)
    header = [_text(h).strip() for h in (cells[0] if cells else [])]
    keep = [n for n, name in enumerate(header) if name and name != ERROR_COLUMN]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([header[n] for n in keep])
    rows, mapping = [list(r) for r in cells[1:]], []
    for number, row in enumerate(rows, start=1):
        texts = [_text(row[n]) if n < len(row) else "" for n in keep]
        if any(t.strip() for t in texts):
            writer.writerow(texts)
            mapping.append(number)
    while rows and not any(_text(c).strip() for c in rows[-1]):
        rows.pop()
    return Upload(header, rows, out.getvalue().encode(), mapping)


def error_workbook(upload: Upload, report: dict[str, Any]) -> bytes:
    """The upload as sent, with the error column filled in for each refused row (its rows as the workbook's)."""
    by_row: dict[int, list[str]] = {}
    for e in report.get("errors", []):
        by_row.setdefault(e["row"], []).append(f"{e['field'] or '行'}：{e['message']}（{e['rule']}）")
    header = [h for h in upload.header if h != ERROR_COLUMN]
    keep = [n for n, name in enumerate(upload.header) if name != ERROR_COLUMN]
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True, "default_date_format": "yyyy-mm-dd"})
    book.set_properties({"created": dt.datetime(2000, 1, 1)})
    sheet = book.add_worksheet("导入")
    bold = book.add_format({"bold": True, "bg_color": "#E8E8E8", "border": 1})
    wrong = book.add_format({"font_color": "#C00000", "bg_color": "#FDECEA"})
    for n, name in enumerate([*header, ERROR_COLUMN]):
        sheet.write_string(0, n, name, bold)
        sheet.set_column(n, n, 48 if name == ERROR_COLUMN else max(12, display_width(name) + 2))
    for number, row in enumerate(upload.rows, start=1):
        for c, n in enumerate(keep):
            value = row[n] if n < len(row) else ""
            if isinstance(value, dt.date | dt.datetime):
                sheet.write_datetime(number, c, value)
            elif value != "":
                sheet.write(number, c, value)
        if number in by_row:
            sheet.write_string(number, len(header), "；".join(by_row[number]), wrong)
    sheet.freeze_panes(1, 0)
    book.close()
    return output.getvalue()
