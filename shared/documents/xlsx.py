"""Lists as workbooks (XLSX): Chinese headers, the header row frozen, widths that fit, dates as dates and numbers
as numbers. Written by XlsxWriter in constant-memory mode (each row goes to disk as it is written, so a whole
city's list takes the memory of one row); read back by python-calamine, typed."""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import xlsxwriter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Kind = Literal["text", "number", "date", "datetime"]
MAX_WIDTH = 60


@dataclass(frozen=True)
class Column:
    """One column: ``key`` of the answer's row, its Chinese ``header``, how its cells are typed, and (``names``)
    the Chinese names of its codes."""

    key: str
    header: str
    kind: Kind = "text"
    names: dict[str, str] | None = None

    def value(self, row: dict[str, Any]) -> Any:
        """The cell: a number, a date or datetime (naive, UTC), a text, or None for an empty cell."""
        value = row.get(self.key)
        if value is None or value == "":
            return None
        match self.kind:
            case "number":  # exact decimals come as text ("93.60"): a spreadsheet keeps a number
                return float(value) if isinstance(value, str) else value
            case "date":
                return dt.date.fromisoformat(str(value))
            case "datetime":
                moment = dt.datetime.fromisoformat(str(value))
                return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment
        if isinstance(value, list):
            value = "；".join(str(v) for v in value)
        return self.names.get(str(value), str(value)) if self.names else str(value)


@dataclass(frozen=True)
class Table:
    """A list's workbook: its sheet's name, its columns, and how an answer (one page) becomes rows."""

    sheet: str
    columns: tuple[Column, ...]
    rows: Callable[[dict[str, Any]], Iterable[dict[str, Any]]]


def _temporary() -> Path:
    fd, name = tempfile.mkstemp(prefix="shiji-", suffix=".xlsx")
    os.close(fd)
    return Path(name)


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: a CJK (wide) character two, any other one."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


WIDTHS: dict[Kind, int] = {"date": 12, "datetime": 21, "number": 10, "text": 4}


@dataclass
class SheetWriter:
    """Writes one table into a workbook on disk, row by row; ``close`` gives the file's path."""

    table: Table
    path: Path = field(default_factory=lambda: _temporary())

    def __post_init__(self) -> None:
        self._book = xlsxwriter.Workbook(str(self.path), {"constant_memory": True, "tmpdir": tempfile.gettempdir(),
                                                         "default_date_format": "yyyy-mm-dd"})
        self._book.set_properties({"created": dt.datetime(2000, 1, 1)})  # no clock in the bytes
        self._sheet = self._book.add_worksheet(self.table.sheet)
        header = self._book.add_format({"bold": True, "bg_color": "#E8E8E8", "border": 1, "align": "center"})
        self._formats: dict[Kind, Any] = {"date": self._book.add_format({"num_format": "yyyy-mm-dd"}),
                                          "datetime": self._book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
                                          "number": None, "text": None}
        self._widths = [max(display_width(c.header) + 2, WIDTHS[c.kind]) for c in self.table.columns]
        for n, column in enumerate(self.table.columns):
            self._sheet.write_string(0, n, column.header, header)
        self._sheet.freeze_panes(1, 0)
        self.rows = 0

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.rows += 1
            for n, column in enumerate(self.table.columns):
                value = column.value(row)
                if value is None:
                    continue
                if column.kind in ("date", "datetime"):
                    self._sheet.write_datetime(self.rows, n, value, self._formats[column.kind])
                elif column.kind == "number":
                    self._sheet.write_number(self.rows, n, value)
                else:
                    self._sheet.write_string(self.rows, n, value)
                    if len(value) + 2 > self._widths[n] or not value.isascii():  # it may be wider: measure it
                        self._widths[n] = max(self._widths[n], min(display_width(value) + 2, MAX_WIDTH))

    def close(self) -> Path:
        for n, width in enumerate(self._widths):
            self._sheet.set_column(n, n, width)  # widths are written when the workbook closes
        self._sheet.autofilter(0, 0, self.rows, len(self.table.columns) - 1)
        self._book.close()
        return self.path

    def discard(self) -> None:
        """Give up the workbook: its file and XlsxWriter's temporary row files are removed."""
        try:
            self._book.close()
        finally:
            self.path.unlink(missing_ok=True)


def workbook(table: Table, answers: Iterable[dict[str, Any]]) -> bytes:
    """The whole workbook of ``answers`` (pages of one list) in memory: for small lists and tests."""
    writer = SheetWriter(table)
    try:
        for answer in answers:
            writer.write(table.rows(answer))
        return writer.close().read_bytes()
    finally:
        writer.path.unlink(missing_ok=True)


def read_sheet(data: bytes) -> list[list[Any]]:
    """The first sheet's cells, typed (float, date, datetime, text; an empty cell is ``""``)."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return book.get_sheet_by_index(0).to_python(skip_empty_area=False)
