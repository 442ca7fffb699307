"""Workbooks as a clerk fills them in, for the tests and benches of the XLSX import."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import xlsxwriter


def workbook(header: list[str], rows: list[list[Any]]) -> bytes:
    """A workbook as a clerk fills it in: numbers as numbers, dates as dates, the rest as text."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet, day = book.add_worksheet(), book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, header)
    for n, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(n, c, dt.datetime.combine(value, dt.time()), day)
            elif value not in ("", None):
                sheet.write(n, c, value)
    book.close()
    return out.getvalue()
